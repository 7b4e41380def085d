"""Shoal's own clients over TCP: with bootstrap.servers = host:port they speak Kafka's frames
on sockets, the same frames they carry over shared memory, so the same code works against a
Shoal broker's listener and against any Kafka cluster.

Two clusters: a 3-broker Shoal cluster reached through its listeners, and librdkafka's
in-process mock cluster (test.mock.num.brokers), an implementation of Kafka's protocol no one
here wrote, for metadata, produce and fetch. (Not for groups: the mock misreads JoinGroup v6,
the first flexible version, which librdkafka itself never sends: it stops at v5.)"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import confluent_kafka
import pytest

import shoal
import shoal.admin
from conftest import wait_for


@pytest.fixture(scope="module")
def cluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3) as c:
        yield c


@pytest.fixture(scope="module")
def mock_bootstrap() -> Iterator[str]:
    """librdkafka's mock cluster of 3 brokers; it lives as long as the client that made it."""
    holder = confluent_kafka.Producer({"test.mock.num.brokers": 3, "log_level": 0})
    md = holder.list_topics(timeout=10)
    yield ",".join(f"{b.host}:{b.port}" for b in sorted(md.brokers.values(), key=lambda b: b.id))
    holder.flush(5)


def drain(consumer, want: int, timeout: float = 30.0) -> list:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        for m in consumer.consume(num_messages=1000, timeout=0.2):
            assert m.error() is None, m.error()
            got.append(m)
    return got


# -- bootstrap.servers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "localhost",  # port 9092, as librdkafka assumes
        "127.0.0.1:9092",
        "127.0.0.1:9092, 127.0.0.1:9093",
        "PLAINTEXT://127.0.0.1:9092",
        "[::1]:9092",
        "host.example:1",
    ],
)
def test_host_port_lists_are_accepted(value: str) -> None:
    # Nothing is connected at creation, as in librdkafka: an unreachable address is fine here.
    shoal.admin.AdminClient({"bootstrap.servers": value})


@pytest.mark.parametrize(
    "value", ["a:b:c", "host:", "host:0", "host:99999", "host:x", ",", "shm://a,b", "shm://"]
)
def test_bad_bootstrap_servers_are_refused_naming_the_entry(value: str) -> None:
    with pytest.raises(shoal.KafkaException) as e:
        shoal.Producer({"bootstrap.servers": value})
    err = e.value.args[0]
    assert err.code() == shoal.KafkaError._INVALID_ARG
    assert "bootstrap.servers" in err.str()


def test_an_unreachable_cluster_is_all_brokers_down_at_once() -> None:
    admin = shoal.admin.AdminClient({"bootstrap.servers": "127.0.0.1:1"})
    start = time.monotonic()
    with pytest.raises(shoal.KafkaException) as e:
        admin.list_topics(timeout=10)
    assert e.value.args[0].code() == shoal.KafkaError._ALL_BROKERS_DOWN
    assert "127.0.0.1:1" in e.value.args[0].str()
    assert time.monotonic() - start < 5  # a refused connection is not waited out

    # Shoal's produce() looks a topic up before it queues the record (librdkafka queues it and
    # reports _MSG_TIMED_OUT later): the application hears at once that nothing is reachable.
    p = shoal.Producer({"bootstrap.servers": "127.0.0.1:1"})
    with pytest.raises(shoal.KafkaException) as e:
        p.produce("t", b"v")
    assert e.value.args[0].code() == shoal.KafkaError._ALL_BROKERS_DOWN


# -- against Shoal's listeners ----------------------------------------------------------------


def test_metadata_names_the_listeners(cluster: shoal.Cluster) -> None:
    admin = shoal.admin.AdminClient({"bootstrap.servers": cluster.kafka_bootstrap_servers})
    md = admin.list_topics(timeout=30)
    assert {b.id: (b.host, b.port) for b in md.brokers.values()} == cluster.kafka_addresses()
    host, port = cluster.kafka_addresses()[md.orig_broker_id]
    assert md.orig_broker_name == f"{host}:{port}/{md.orig_broker_id}"
    # The same cluster as over shared memory.
    over_shm = shoal.admin.AdminClient({"bootstrap.servers": cluster.bootstrap_servers})
    assert md.cluster_id == over_shm.list_topics(timeout=30).cluster_id


def test_produce_and_group_consume_over_tcp_place_keys_as_over_shm(cluster: shoal.Cluster) -> None:
    tcp = {"bootstrap.servers": cluster.kafka_bootstrap_servers}
    shm = {"bootstrap.servers": cluster.bootstrap_servers}
    admin = shoal.admin.AdminClient(tcp)
    admin.create_topics([shoal.admin.NewTopic("tcp-keys", 6, 3)])["tcp-keys"].result(30)

    placed: dict[str, dict[bytes, int]] = {"tcp": {}, "shm": {}}
    for name, conf in (("tcp", tcp), ("shm", shm)):
        p = shoal.Producer({**conf, "enable.idempotence": True})
        for i in range(600):

            def report(err, msg, name=name):
                assert err is None, err
                placed[name][msg.key()] = msg.partition()

            p.produce("tcp-keys", key=f"k{i % 60}", value=f"{name}-{i}", on_delivery=report)
        assert p.flush(30) == 0
    assert placed["tcp"] == placed["shm"]
    assert len(set(placed["tcp"].values())) == 6

    # A group over TCP: one member takes everything, a second joins and the partitions split.
    group = {**tcp, "group.id": "tcp-group", "auto.offset.reset": "earliest"}
    first = shoal.Consumer({**group, "enable.auto.commit": False})
    first.subscribe(["tcp-keys"])
    got = drain(first, 1200)
    assert sorted(m.value().decode() for m in got) == sorted(
        [f"tcp-{i}" for i in range(600)] + [f"shm-{i}" for i in range(600)]
    )
    first.commit(asynchronous=False)
    second = shoal.Consumer(group)
    second.subscribe(["tcp-keys"])

    def split() -> bool:
        first.poll(0.1)
        second.poll(0.1)
        a, b = first.assignment(), second.assignment()
        return len(a) == 3 and len(b) == 3

    wait_for(split, 60, "the partitions split between two members")
    # The commit made over TCP is the group's, whichever transport reads it.
    reader = shoal.Consumer({**shm, "group.id": "tcp-group"})
    committed = reader.committed([shoal.TopicPartition("tcp-keys", p) for p in range(6)], 30)
    assert sum(tp.offset for tp in committed) == 1200
    for c in (first, second, reader):
        c.close()

    admin.delete_topics(["tcp-keys"])["tcp-keys"].result(30)
    wait_for(lambda: "tcp-keys" not in admin.list_topics(timeout=10).topics, 30, "tcp-keys deleted")


def shoal_cmd(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_tool_takes_a_host_port_bootstrap(cluster: shoal.Cluster) -> None:
    bs = cluster.kafka_bootstrap_servers.split(",")[1]  # any one broker will do
    out = shoal_cmd("topics", "--bootstrap-server", bs, "--create", "--topic", "tools-tcp",
                    "--partitions", "2", "--replication-factor", "3")  # fmt: skip
    assert (out.returncode, out.stdout) == (0, "Created topic tools-tcp.\n"), out.stderr
    described = shoal_cmd("topics", "--bootstrap-server", bs, "--describe", "--topic", "tools-tcp")
    assert described.returncode == 0, described.stderr
    assert [
        f"Broker: {b}\tAddress: {h}:{p}" for b, (h, p) in sorted(cluster.kafka_addresses().items())
    ] == (described.stdout.split("\n\n")[1].splitlines())
    out = shoal_cmd("console-producer", "--bootstrap-server", bs, "--topic", "tools-tcp",
                    stdin="a\nb\nc\n")  # fmt: skip
    assert out.returncode == 0, out.stderr
    out = shoal_cmd("console-consumer", "--bootstrap-server", bs, "--topic", "tools-tcp",
                    "--from-beginning", "--max-messages", "3", "--group", "tools-g")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.split()) == ["a", "b", "c"]
    out = shoal_cmd("consumer-groups", "--bootstrap-server", bs, "--list")
    assert "tools-g" in out.stdout.splitlines(), out.stderr
    out = shoal_cmd("consumer-groups", "--bootstrap-server", bs, "--describe", "--group",
                    "tools-g")  # fmt: skip
    assert out.returncode == 0 and "tools-tcp" in out.stdout, out.stderr
    out = shoal_cmd("configs", "--bootstrap-server", bs, "--alter", "--topic", "tools-tcp",
                    "--add-config", "retention.ms=60000")  # fmt: skip
    assert out.returncode == 0, out.stderr
    out = shoal_cmd("configs", "--bootstrap-server", bs, "--describe", "--topic", "tools-tcp")
    assert "retention.ms=60000" in out.stdout, out.stderr
    out = shoal_cmd("topics", "--bootstrap-server", bs, "--delete", "--topic", "tools-tcp")
    assert out.returncode == 0, out.stderr
    out = shoal_cmd("topics", "--bootstrap-server", "127.0.0.1:1", "--list")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "127.0.0.1:1" in out.stderr, out.stderr


def test_schema_registry_store_over_tcp(cluster: shoal.Cluster) -> None:
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    from shoal.schema_registry.server import RegistryServer

    schema = Schema('{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}',
                    "AVRO")  # fmt: skip
    with RegistryServer(cluster.kafka_bootstrap_servers, port=0) as server:
        client = SchemaRegistryClient({"url": server.url})
        schema_id = client.register_schema("r-value", schema)
        client.close()
    # Kept in the cluster's _schemas topic: a registry over shared memory finds it.
    with RegistryServer(cluster.bootstrap_servers, port=0) as server:
        client = SchemaRegistryClient({"url": server.url})
        assert client.get_latest_version("r-value").schema_id == schema_id
        client.close()


# -- against librdkafka's mock cluster --------------------------------------------------------


def test_mock_cluster_metadata(mock_bootstrap: str) -> None:
    admin = shoal.admin.AdminClient({"bootstrap.servers": mock_bootstrap})
    md = admin.list_topics(timeout=10)
    assert sorted(f"{b.host}:{b.port}" for b in md.brokers.values()) == sorted(
        mock_bootstrap.split(",")
    )
    assert md.cluster_id and md.orig_broker_name.endswith(f"/{md.orig_broker_id}")


def test_mock_cluster_produce_and_fetch(mock_bootstrap: str) -> None:
    conf = {"bootstrap.servers": mock_bootstrap}
    placed: dict[bytes, int] = {}

    def report(err, msg) -> None:
        assert err is None, err
        placed[msg.key()] = msg.partition()

    # The mock creates the topic on first use (4 partitions); idempotence needs its producer id.
    p = shoal.Producer({**conf, "enable.idempotence": True, "compression.type": "lz4"})
    for i in range(2000):
        p.produce("mock-t", key=f"k{i % 40}", value=f"v{i}", on_delivery=report)
    assert p.flush(30) == 0
    parts = sorted(p.list_topics("mock-t", timeout=10).topics["mock-t"].partitions)

    # Shoal's consumer fetches them back from the mock, by assignment.
    c = shoal.Consumer({**conf, "group.id": "unused", "enable.auto.commit": False})
    c.assign([shoal.TopicPartition("mock-t", q, shoal.OFFSET_BEGINNING) for q in parts])
    got = drain(c, 2000)
    assert sorted(m.value().decode() for m in got) == sorted(f"v{i}" for i in range(2000))
    assert {m.key(): m.partition() for m in got} == placed
    c.close()

    # librdkafka reads what Shoal's producer wrote, each key where Shoal's producer put it,
    # which is where librdkafka's murmur2_random partitioner puts it too (Shoal's default is
    # the Java client's murmur2, see docs/configuration.md; librdkafka's is crc32).
    rk = confluent_kafka.Consumer({**conf, "group.id": "unused"})
    rk.assign([confluent_kafka.TopicPartition("mock-t", q, 0) for q in parts])
    seen = drain(rk, 2000)
    assert {m.key(): m.partition() for m in seen} == placed
    rk.close()
    rp = confluent_kafka.Producer({**conf, "partitioner": "murmur2_random"})
    theirs: dict[bytes, int] = {}
    for k in placed:
        rp.produce(
            "mock-t",
            key=k,
            value=b"x",
            on_delivery=lambda e, m: theirs.update({m.key(): m.partition()}),
        )
    rp.flush(10)
    assert theirs == placed
