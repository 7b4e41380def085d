"""A Kafka client rides through a broker crash over TCP: confluent-kafka's idempotent
acks=all producer and a group consumer, and Shoal's own with the same code and a host:port
bootstrap, keep going while the leader of a partition is SIGKILLed. Every acknowledged record
is in the log exactly once (the producer's retries after the failover write nothing twice)
and the group consumer reads every one of them."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator

import confluent_kafka
import confluent_kafka.admin
import pytest

import shoal
import shoal.admin
from conftest import wait_for

pytestmark = pytest.mark.slow

TOPIC = "tcp-orders"


@pytest.fixture
def cluster3() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3, broker_session_timeout_ms=2000) as c:
        yield c


@pytest.mark.parametrize("kafka", [confluent_kafka, shoal], ids=["confluent_kafka", "shoal"])
def test_idempotent_producer_and_group_consumer_ride_through_a_leader_sigkill(
    cluster3: shoal.Cluster, kafka
) -> None:
    # Addresses taken while all three run: the client keeps the others when one dies.
    bs = cluster3.kafka_bootstrap_servers
    admin = kafka.admin.AdminClient({"bootstrap.servers": bs})
    admin.create_topics([kafka.admin.NewTopic(TOPIC, 3, 3, config={"min.insync.replicas": "2"})])[
        TOPIC
    ].result(30)

    acked: set[str] = set()
    failed: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def delivered(err, msg):
        with lock:
            if err is None:
                acked.add(msg.value().decode())
            else:
                failed[err.name()] += 1

    def produce() -> None:
        p = kafka.Producer(
            {
                "bootstrap.servers": bs,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 2,
                "message.timeout.ms": 60000,
            }
        )
        i = 0
        while not stop.is_set():
            try:
                p.produce(TOPIC, key=str(i % 30), value=f"v-{i}", on_delivery=delivered)
                i += 1
            except BufferError:
                p.poll(0.01)
            p.poll(0)
            if i % 100 == 0:
                time.sleep(0.01)  # about 10,000 records/s
        assert p.flush(90) == 0

    consumed: list[str] = []

    def consume() -> None:
        c = kafka.Consumer(
            {
                "bootstrap.servers": bs,
                "group.id": "tcp-failover",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 6000,
            }
        )
        c.subscribe([TOPIC])
        idle_since = None
        while True:
            msgs = c.consume(num_messages=500, timeout=0.2)
            for m in msgs:
                if m.error() is None:
                    consumed.append(m.value().decode())
            if msgs:
                # A commit across the coordinator's failover can fail: the next one covers it.
                with contextlib.suppress(kafka.KafkaException):
                    c.commit(asynchronous=False)
            if stop.is_set() and not producer.is_alive():
                with lock:
                    done = acked <= set(consumed)
                idle_since = idle_since or time.monotonic()
                if done or time.monotonic() - idle_since > 60:
                    break
        c.close()

    producer = threading.Thread(target=produce)
    consumer = threading.Thread(target=consume)
    producer.start()
    consumer.start()
    wait_for(lambda: len(acked) > 2000, 30, "records acknowledged before the crash")
    victim = cluster3.leader(TOPIC, 0)
    before = len(acked)
    cluster3.kill(victim)
    wait_for(
        lambda: cluster3.leader(TOPIC, 0) not in (-1, victim),
        30,
        "a new leader of partition 0",
    )
    wait_for(lambda: len(acked) > before + 5000, 60, "records acknowledged after the crash")
    stop.set()
    producer.join(120)
    consumer.join(120)
    assert not producer.is_alive() and not consumer.is_alive()

    # The log: every acknowledged record once, nothing twice.
    reader = kafka.Consumer({"bootstrap.servers": bs, "group.id": "tcp-failover-check"})
    ends = {}
    for p in range(3):
        ends[p] = reader.get_watermark_offsets(kafka.TopicPartition(TOPIC, p), 10)[1]
    reader.assign([kafka.TopicPartition(TOPIC, p, 0) for p in range(3)])
    in_log: list[str] = []
    deadline = time.monotonic() + 60
    while len(in_log) < sum(ends.values()) and time.monotonic() < deadline:
        for m in reader.consume(num_messages=10000, timeout=0.5):
            if m.error() is None:
                in_log.append(m.value().decode())
    reader.close()
    counts = Counter(in_log)
    lost = acked - set(in_log)
    dups = {v: n for v, n in counts.items() if n > 1}
    print(
        f"\nacked {len(acked)}, in the log {len(in_log)}, lost {len(lost)}, duplicated "
        f"{len(dups)}, failed deliveries {dict(failed)}, group read {len(set(consumed))}"
    )
    assert not lost, f"{len(lost)} acknowledged records are missing, e.g. {sorted(lost)[:5]}"
    assert not dups, f"{len(dups)} records are in the log twice, e.g. {list(dups)[:5]}"
    assert acked <= set(consumed), "the group consumer missed acknowledged records"
