"""Kafka's own clients against Shoal's TCP listener: each one, against a 3-broker cluster,
creates a topic, produces keyed records (placed where Shoal's own producer places the same
keys), consumes them in a consumer group with commits, rebalances when a second member
joins, and describes and deletes the topic. Nothing here knows Shoal: the clients speak
Kafka's wire protocol to host:port addresses, as they would to Apache Kafka."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator

import confluent_kafka
import confluent_kafka.admin
import pytest

import shoal

KEYS = [f"key-{i}" for i in range(40)]
RECORDS = 400  # each key 10 times
PARTITIONS = 6


@pytest.fixture(scope="module")
def kcluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3, group_initial_rebalance_delay_ms=0) as c:
        yield c


def shoal_placement(cluster: shoal.Cluster, partitioner: str) -> dict[str, int]:
    """Where Shoal's own producer (over shared memory) puts each of KEYS, on a topic of
    PARTITIONS partitions, with the given partitioner."""
    topic = f"placement-{partitioner}"
    conf = {"bootstrap.servers": cluster.bootstrap_servers}
    admin = shoal.AdminClient(conf)
    if topic not in admin.list_topics(timeout=10).topics:
        admin.create_topics([shoal.NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    admin.close()
    placed: dict[str, int] = {}
    p = shoal.Producer({**conf, "partitioner": partitioner})

    def done(err, msg):
        assert err is None, err
        placed[msg.key().decode()] = msg.partition()

    for k in KEYS:
        p.produce(topic, key=k, value=b"x", on_delivery=done)
    assert p.flush(30) == 0
    return placed


def distinct(seen: list[tuple[str, int, int]]) -> int:
    return len({(p, o) for _, p, o in seen})


def group_scenario(make, poll_one, assignment, close, produce, timeout: float = 90.0):
    """Half the records, read and committed by a group's only member; then a second member
    joins, both poll until the group has rebalanced (each holds partitions, none both), the
    other half is produced and both read it. Returns every (key, partition, offset) read and
    the partitions each member held after the rebalance."""
    deadline = time.monotonic() + timeout
    half = RECORDS // 2
    produce(0, half)
    first = make()
    seen: list[tuple[str, int, int]] = []
    while distinct(seen) < half:
        assert time.monotonic() < deadline, f"the first member read {distinct(seen)} of {half}"
        seen += poll_one(first)
    second = make()
    while True:
        a, b = set(assignment(first)), set(assignment(second))
        if a and b and not (a & b) and len(a | b) == PARTITIONS:
            break
        assert time.monotonic() < deadline, f"no rebalance: the members hold {a} and {b}"
        seen += poll_one(first) + poll_one(second)
    produce(half, RECORDS)
    by_member: list[set[int]] = [set(), set()]
    while distinct(seen) < RECORDS:
        assert time.monotonic() < deadline, f"the group read {distinct(seen)} of {RECORDS}"
        for i, c in enumerate((first, second)):
            got = poll_one(c)
            seen += got
            by_member[i] |= {p for _, p, _ in got}
    close(first)
    close(second)
    assert by_member[0] <= a and by_member[1] <= b, "a member read another's partition"
    return seen, a, b


# --- confluent-kafka (librdkafka) -------------------------------------------------------------


def test_confluent_kafka_end_to_end(kcluster: shoal.Cluster) -> None:
    bs = kcluster.kafka_bootstrap_servers
    topic, group = "ck-topic", "ck-group"
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": bs})
    admin.create_topics([confluent_kafka.admin.NewTopic(topic, PARTITIONS, 3)])[topic].result(30)

    placed: dict[str, set[int]] = {}

    def done(err, msg):
        assert err is None, err
        placed.setdefault(msg.key().decode(), set()).add(msg.partition())

    p = confluent_kafka.Producer(
        {"bootstrap.servers": bs, "acks": "all", "enable.idempotence": True, "linger.ms": 5}
    )

    def produce(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            p.produce(topic, key=KEYS[i % len(KEYS)], value=f"v{i}".encode(), on_delivery=done)
        assert p.flush(30) == 0

    def make():
        c = confluent_kafka.Consumer(
            {
                "bootstrap.servers": bs,
                "group.id": group,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 10000,
            }
        )
        c.subscribe([topic])
        return c

    def poll_one(c):
        out = []
        for m in c.consume(num_messages=50, timeout=0.2):
            assert m.error() is None, m.error()
            out.append((m.key().decode(), m.partition(), m.offset()))
        if out:
            c.commit(asynchronous=False)
        return out

    seen, _, _ = group_scenario(
        make,
        poll_one,
        lambda c: {tp.partition for tp in c.assignment()},
        lambda c: c.close(),
        produce,
    )
    assert distinct(seen) == RECORDS
    assert {k: next(iter(v)) for k, v in placed.items()} == shoal_placement(
        kcluster, "consistent_random"
    )
    assert all(len(v) == 1 for v in placed.values())
    offsets = admin.list_consumer_group_offsets(
        [confluent_kafka.ConsumerGroupTopicPartitions(group)]
    )[group].result(30)
    committed = sum(tp.offset for tp in offsets.topic_partitions if tp.offset > 0)
    assert committed == RECORDS

    md = admin.list_topics(topic, timeout=10).topics[topic]
    assert len(md.partitions) == PARTITIONS
    assert all(len(pm.replicas) == 3 and len(pm.isrs) == 3 for pm in md.partitions.values())
    admin.delete_topics([topic])[topic].result(30)
    deadline = time.monotonic() + 20
    while topic in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline, "the deleted topic is still listed"
        time.sleep(0.05)


# --- kafka-python ----------------------------------------------------------------------------


# kafka-python 3 reads its message definitions with importlib.resources' deprecated read_text.
@pytest.mark.filterwarnings("ignore:read_text is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")
def test_kafka_python_end_to_end(kcluster: shoal.Cluster) -> None:
    import kafka
    import kafka.admin

    bs = kcluster.kafka_bootstrap_servers.split(",")
    topic, group = "kp-topic", "kp-group"
    admin = kafka.admin.KafkaAdminClient(bootstrap_servers=bs, request_timeout_ms=30000)
    admin.create_topics([kafka.admin.NewTopic(topic, PARTITIONS, 3)], timeout_ms=30000)
    p = kafka.KafkaProducer(bootstrap_servers=bs, acks="all", linger_ms=5)
    placed: dict[str, int] = {}

    def produce(lo: int, hi: int) -> None:
        futures = [
            (KEYS[i % len(KEYS)], p.send(topic, key=KEYS[i % len(KEYS)].encode(), value=b"v"))
            for i in range(lo, hi)
        ]
        p.flush(30)
        for k, f in futures:
            part = f.get(30).partition
            assert placed.setdefault(k, part) == part

    def make():
        return kafka.KafkaConsumer(
            topic,
            bootstrap_servers=bs,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
        )

    def poll_one(c):
        out = []
        for tp, msgs in c.poll(timeout_ms=200, max_records=50).items():
            out += [(m.key.decode(), tp.partition, m.offset) for m in msgs]
        if out:
            c.commit()
        return out

    seen, _, _ = group_scenario(
        make,
        poll_one,
        lambda c: {tp.partition for tp in c.assignment()},
        lambda c: c.close(),
        produce,
    )
    p.close()
    assert distinct(seen) == RECORDS
    assert placed == shoal_placement(kcluster, "murmur2_random")
    offsets = admin.list_group_offsets(group)[group]
    assert sum(o.offset for o in offsets.values()) == RECORDS
    described = admin.describe_topics([topic])
    assert len(described[0]["partitions"]) == PARTITIONS
    admin.delete_topics([topic], timeout_ms=30000)
    admin.close()


# --- aiokafka --------------------------------------------------------------------------------


def test_aiokafka_end_to_end(kcluster: shoal.Cluster) -> None:
    import aiokafka
    import aiokafka.admin

    bs = kcluster.kafka_bootstrap_servers
    topic, group = "ak-topic", "ak-group"

    async def scenario() -> None:
        admin = aiokafka.admin.AIOKafkaAdminClient(bootstrap_servers=bs)
        await admin.start()
        await admin.create_topics([aiokafka.admin.NewTopic(topic, PARTITIONS, 3)])
        p = aiokafka.AIOKafkaProducer(bootstrap_servers=bs, acks="all")
        await p.start()
        placed: dict[str, int] = {}

        async def produce(lo: int, hi: int) -> None:
            for i in range(lo, hi):
                md = await p.send_and_wait(topic, key=KEYS[i % len(KEYS)].encode(), value=b"v")
                assert placed.setdefault(KEYS[i % len(KEYS)], md.partition) == md.partition

        async def make():
            c = aiokafka.AIOKafkaConsumer(
                topic,
                bootstrap_servers=bs,
                group_id=group,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
                session_timeout_ms=10000,
                heartbeat_interval_ms=1000,
            )
            await c.start()
            return c

        async def poll_one(c):
            out = []
            for tp, msgs in (await c.getmany(timeout_ms=200, max_records=50)).items():
                out += [(m.key.decode(), tp.partition, m.offset) for m in msgs]
            if out:
                await c.commit()
            return out

        half = RECORDS // 2
        deadline = time.monotonic() + 90
        await produce(0, half)
        first = await make()
        seen: list[tuple[str, int, int]] = []
        while distinct(seen) < half:
            assert time.monotonic() < deadline
            seen += await poll_one(first)
        second = await make()
        while True:
            a = {tp.partition for tp in first.assignment()}
            b = {tp.partition for tp in second.assignment()}
            if a and b and not (a & b) and len(a | b) == PARTITIONS:
                break
            assert time.monotonic() < deadline, f"no rebalance: the members hold {a} and {b}"
            for got in await asyncio.gather(poll_one(first), poll_one(second)):
                seen += got
        await produce(half, RECORDS)
        while distinct(seen) < RECORDS:
            assert time.monotonic() < deadline, f"the group read {distinct(seen)}"
            for got in await asyncio.gather(poll_one(first), poll_one(second)):
                seen += got
        await first.stop()
        await second.stop()
        await p.stop()
        assert placed == shoal_placement(kcluster, "murmur2_random")
        described = await admin.describe_topics([topic])
        assert len(described[0]["partitions"]) == PARTITIONS
        await admin.delete_topics([topic])
        await admin.close()

    asyncio.run(asyncio.wait_for(scenario(), 180))


# --- kcat ------------------------------------------------------------------------------------


def kcat(*args: str, input: bytes | None = None, timeout: float = 60) -> str:
    exe = shutil.which("kcat")
    assert exe, "kcat is missing: scripts/install-system-packages.sh installs it (make test)"
    r = subprocess.run([exe, *args], input=input, capture_output=True, timeout=timeout)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


def test_kcat_lists_produces_and_consumes(kcluster: shoal.Cluster, tmp_path) -> None:
    bs = kcluster.kafka_bootstrap_servers
    listing = kcat("-b", bs, "-L")
    for b, (host, port) in kcluster.kafka_addresses().items():
        assert f"broker {b} at {host}:{port}" in listing
    topic = "kcat-topic"
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": bs})
    admin.create_topics([confluent_kafka.admin.NewTopic(topic, PARTITIONS, 3)])[topic].result(30)
    lines = "".join(f"{KEYS[i % len(KEYS)]}:value-{i}\n" for i in range(RECORDS))
    kcat("-b", bs, "-P", "-t", topic, "-K", ":", "-X", "acks=all", input=lines.encode())
    out = kcat("-b", bs, "-C", "-t", topic, "-e", "-f", "%k %p %s\n", "-q")
    got = [line.split(" ") for line in out.splitlines()]
    assert len(got) == RECORDS
    placement = shoal_placement(kcluster, "consistent_random")
    assert {k: int(p) for k, p, _ in got} == placement
    assert sorted(v for _, _, v in got) == sorted(f"value-{i}" for i in range(RECORDS))
    # A group consumer that commits, then the group's committed offsets through kcat's -G.
    out = kcat(
        "-b",
        bs,
        "-G",
        "kcat-group",
        topic,
        "-e",
        "-f",
        "%s\n",
        "-q",
        "-X",
        "auto.offset.reset=earliest",
        timeout=90,
    )
    assert len(out.splitlines()) == RECORDS


# --- franz-go --------------------------------------------------------------------------------


def test_franz_go_end_to_end(kcluster: shoal.Cluster, tmp_path_factory) -> None:
    """tests/go/clientcheck, built here from the Go module proxy (go.sum pins franz-go)."""
    from kafka_reference import REPO

    go = shutil.which("go") or "/usr/local/go/bin/go"
    src = REPO / "tests" / "go" / "clientcheck"
    exe = tmp_path_factory.mktemp("go") / "clientcheck"
    r = subprocess.run(
        [go, "build", "-o", str(exe), "."], cwd=src, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, f"go build failed:\n{r.stderr}"
    r = subprocess.run(
        [str(exe), kcluster.kafka_bootstrap_servers], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, f"clientcheck failed:\n{r.stdout}\n{r.stderr}"
    placed = {
        k: int(p)
        for k, p in (line.split()[1:] for line in r.stdout.splitlines() if line.startswith("KEY "))
    }
    assert placed == shoal_placement(kcluster, "murmur2_random")
    assert "REBALANCED" in r.stdout and "DONE" in r.stdout, r.stdout
