"""``python -m shoal.bench kafka-wire``: Kafka's clients on Shoal's TCP listener, beside the
references measured in the same run (figures in the README's Performance section).

1. confluent-kafka's Python producer loop (acks=1) against a 1-broker Shoal cluster over TCP
   and against librdkafka's in-process mock cluster (test.mock.num.brokers=1). The client is
   the limit there, so the ratio says whether Shoal's listener slows a Kafka client down
   (goal: >= 1.0).
2. kcat producing N records from a file and reading them back (-C -e), against 1 broker and 3
   (acks=all; replication factor 3 on 3 brokers).
3. Shoal's own Python producer and consumer over shared memory, on the same records.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from typing import Any

import shoal
from shoal import _core


def _topic(bs: str, admin_cls: Any, new_topic: Any, name: str, rf: int) -> None:
    admin = admin_cls({"bootstrap.servers": bs})
    admin.create_topics([new_topic(name, 1, rf)])[name].result(30)
    close = getattr(admin, "close", None)
    if close:
        close()


def _python_producer(
    producer_cls: Any, conf: dict[str, Any], topic: str, n: int, size: int
) -> float:
    """Records/s of a plain produce() loop, flush included."""
    value = b"x" * size
    p = producer_cls(
        {**conf, "acks": "1", "linger.ms": 5, "queue.buffering.max.messages": 1_000_000}
    )
    start = time.perf_counter()
    for i in range(n):
        try:
            p.produce(topic, value)
        except BufferError:
            p.poll(0.005)
            p.produce(topic, value)
        if i % 10_000 == 0:
            p.poll(0)
    left = p.flush(120)
    elapsed = time.perf_counter() - start
    if left:
        raise RuntimeError(f"{left} records were not delivered")
    return n / elapsed


def _shoal_consumer(bs: str, topic: str, n: int) -> float:
    c = shoal.Consumer({"bootstrap.servers": bs, "group.id": "bench-kafka-wire"})
    c.assign([shoal.TopicPartition(topic, 0, shoal.OFFSET_BEGINNING)])
    got = 0
    start = time.perf_counter()
    deadline = start + 120
    while got < n and time.perf_counter() < deadline:
        got += sum(1 for m in c.consume(num_messages=10_000, timeout=0.5) if m.error() is None)
    elapsed = time.perf_counter() - start
    c.close()
    if got < n:
        raise RuntimeError(f"read {got} of {n} records")
    return n / elapsed


def _kcat(kcat: str, bs: str, topic: str, path: str, n: int, acks: str) -> tuple[float, float]:
    start = time.perf_counter()
    with open(path, "rb") as f:
        subprocess.run(
            [kcat, "-b", bs, "-P", "-t", topic, "-X", f"acks={acks}", "-X", "linger.ms=5"],
            stdin=f,
            check=True,
            timeout=600,
        )
    produced = n / (time.perf_counter() - start)
    start = time.perf_counter()
    out = subprocess.run(
        [kcat, "-b", bs, "-C", "-t", topic, "-e", "-q", "-f", "%o\n"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    consumed = n / (time.perf_counter() - start)
    lines = out.stdout.count(b"\n")
    if lines != n:
        raise RuntimeError(f"kcat read {lines} of {n} records")
    return produced, consumed


def _say(what: str, rate: float) -> None:
    print(f"  {what:<44}{rate:>12,.0f} records/s", flush=True)


def run(records: int, record_size: int, kcat_records: int, rounds: int = 8) -> int:
    try:
        import confluent_kafka
        import confluent_kafka.admin
    except ImportError:
        print("kafka-wire needs confluent-kafka: pip install confluent-kafka")
        return 2
    if "SHOAL_LOG_LEVEL" not in os.environ:
        _core.set_log_level("warn")
    print(
        f"kafka-wire: {records:,} records of {record_size} bytes "
        f"(kcat: {kcat_records:,}), {rounds} rounds, "
        f"librdkafka {confluent_kafka.libversion()[0]}",
        flush=True,
    )
    figures: dict[str, float] = {}

    # 1. The Python producer loop, Shoal over TCP and the mock cluster in adjacent turns: the
    # machine is shared and its load drifts, so each round's ratio compares runs that saw the
    # same load. The second turn of a round runs some 8% faster than the first (the process's
    # heap is warm by then), so which goes first alternates, and the figure is the geometric
    # mean of the rounds' ratios, over an even number of rounds so that each order counts the
    # same; one unmeasured turn of each warms up first. The best rate of each is printed too.
    mock = {"test.mock.num.brokers": 1}
    with shoal.Cluster(brokers=1) as c:
        bs = c.kafka_bootstrap_servers
        _topic(bs, confluent_kafka.admin.AdminClient, confluent_kafka.admin.NewTopic, "wire", 1)
        for conf in (mock, {"bootstrap.servers": bs}):
            _python_producer(confluent_kafka.Producer, conf, "wire", records // 5, record_size)
        shoal_rates, mock_rates, ratios = [], [], []
        for r in range(rounds):
            turns = {}
            for who in ("mock", "shoal") if r % 2 == 0 else ("shoal", "mock"):
                conf = mock if who == "mock" else {"bootstrap.servers": bs}
                turns[who] = _python_producer(
                    confluent_kafka.Producer, conf, "wire", records, record_size
                )
            mock_rates.append(turns["mock"])
            shoal_rates.append(turns["shoal"])
            ratios.append(turns["shoal"] / turns["mock"])
        figures["ck_shoal"], figures["ck_mock"] = max(shoal_rates), max(mock_rates)
        figures["ck_ratio"] = statistics.geometric_mean(ratios)
        _say("confluent-kafka producer -> Shoal (TCP)", figures["ck_shoal"])
        _say("confluent-kafka producer -> mock cluster", figures["ck_mock"])
        # 3. Shoal's own clients over shared memory, same records, same broker.
        shm = c.bootstrap_servers
        _topic(shm, shoal.AdminClient, shoal.NewTopic, "shm", 1)
        figures["shoal_producer"] = _python_producer(
            shoal.Producer, {"bootstrap.servers": shm}, "shm", records, record_size
        )
        figures["shoal_consumer"] = _shoal_consumer(shm, "shm", records)
        _say("Shoal producer (shared memory)", figures["shoal_producer"])
        _say("Shoal consumer (shared memory)", figures["shoal_consumer"])
    print(
        f"shoal-tcp/mock-cluster = {figures['ck_ratio']:.2f} (geometric mean of {rounds} rounds' "
        f"ratios: {', '.join(f'{x:.2f}' for x in ratios)})",
        flush=True,
    )

    # 2. kcat, from a file of records and back.
    kcat = shutil.which("kcat")
    if kcat is None:
        print("  kcat: not installed (apt-get install kcat); skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp:
        path = os.path.join(tmp, "records.txt")
        line = b"x" * (record_size - 1) + b"\n"
        with open(path, "wb") as f:
            f.write(line * kcat_records)
        for brokers in (1, 3):
            with shoal.Cluster(brokers=brokers) as c:
                bs = c.kafka_bootstrap_servers
                _topic(
                    bs, confluent_kafka.admin.AdminClient, confluent_kafka.admin.NewTopic, "kcat",
                    brokers,
                )  # fmt: skip
                produced, consumed = _kcat(kcat, bs, "kcat", path, kcat_records, "all")
            print(
                f"  kcat, {brokers} broker(s), rf {brokers}, acks=all: produce "
                f"{produced:>10,.0f} records/s, consume {consumed:>10,.0f} records/s"
            )
    return 0
