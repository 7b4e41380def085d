"""The schema registry on a real cluster: the `_schemas` topic, shm:// and http:// clients,
`shoal schema-registry`, interoperability with confluent-kafka's own registry client and Avro
serdes, schema evolution through a topic, and durability when brokers die.

The registry's semantics without brokers are in test_schema_registry_api.py and
test_schema_evolution.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import Schema as CSchema
from confluent_kafka.schema_registry import SchemaRegistryClient as CSchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as CAvroDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as CAvroSerializer
from confluent_kafka.serialization import MessageField as CMessageField
from confluent_kafka.serialization import SerializationContext as CSerializationContext

import shoal
from conftest import consume_all, create_topic, wait_for
from shoal.admin import ConfigResource
from shoal.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError
from shoal.schema_registry.avro import AvroDeserializer, AvroSerializer
from shoal.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from shoal.schema_registry.server import RegistryServer
from shoal.serialization import (
    MessageField,
    SerializationContext,
    SerializationError,
    StringSerializer,
)

pytestmark = pytest.mark.timeout(300)


def user_schema(*extra: dict) -> str:
    fields = [{"name": "name", "type": "string"}, *extra]
    return json.dumps({"type": "record", "name": "User", "namespace": "shop", "fields": fields})


V1 = user_schema()
V2 = user_schema({"name": "age", "type": "int", "default": -1})  # added with a default
V3_BAD = user_schema({"name": "email", "type": "string"})  # added without a default


@pytest.fixture
def cluster3() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3) as c:
        yield c


@pytest.fixture
def server(cluster1: shoal.Cluster) -> Iterator[RegistryServer]:
    with RegistryServer(cluster1.bootstrap_servers, port=0) as s:
        yield s


@pytest.fixture
def csr(server: RegistryServer) -> Iterator[CSchemaRegistryClient]:
    """confluent-kafka's own registry client on `shoal schema-registry`."""
    client = CSchemaRegistryClient({"url": server.url})
    yield client
    client.close()


def ctx(topic: str = "users") -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


# --- the topic and the shm:// client ----------------------------------------------------------


def test_schemas_topic_is_compacted_and_replicated(cluster3: shoal.Cluster) -> None:
    sr = SchemaRegistryClient({"url": cluster3.bootstrap_servers})
    assert sr.register_schema("users-value", Schema(V1)) == 1
    admin = shoal.AdminClient({"bootstrap.servers": cluster3.bootstrap_servers})
    md = admin.list_topics("_schemas", timeout=10)
    assert list(md.topics["_schemas"].partitions) == [0]
    assert len(md.topics["_schemas"].partitions[0].replicas) == 3
    res = ConfigResource(ConfigResource.Type.TOPIC, "_schemas")
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["cleanup.policy"].value == "compact"
    assert configs["min.insync.replicas"].value == "2"
    # The record is Confluent's KafkaStore format.
    c = shoal.Consumer({"bootstrap.servers": cluster3.bootstrap_servers, "group.id": "t"})
    c.assign([shoal.TopicPartition("_schemas", 0, shoal.OFFSET_BEGINNING)])
    m = wait_for(lambda: c.poll(0.2), what="the _schemas record")
    c.close()
    assert json.loads(m.key()) == {
        "keytype": "SCHEMA",
        "subject": "users-value",
        "version": 1,
        "magic": 1,
    }
    value = json.loads(m.value())
    assert (value["id"], value["version"], value["deleted"]) == (1, 1, False)
    assert json.loads(value["schema"]) == json.loads(V1)
    sr.close()


def test_the_conditional_append_the_writers_rely_on(cluster3: shoal.Cluster) -> None:
    conf = {"bootstrap.servers": cluster3.bootstrap_servers}
    create_topic(conf, "cas", rf=3)
    admin = shoal.AdminClient(conf)
    append = admin._admin.append_if_log_end
    assert append("cas", 0, 0, [(b"k", b"v0")], 10)[0] == 0
    code, message, _ = append("cas", 0, 0, [(b"k", b"stale")], 10)  # the log ends at 1 now
    assert code == shoal.KafkaError._CONFLICT
    assert "ends at offset 1, not at the expected 0" in message
    assert append("cas", 0, 5, [(b"k", b"ahead")], 10)[0] == shoal.KafkaError._CONFLICT
    assert append("cas", 0, 1, [(b"k", b"v1"), (b"k2", None)], 10) == (0, "", 1)
    # Still exact after the leader moves: the new leader checks its own log end.
    cluster3.kill(cluster3.leader("cas", 0))
    assert append("cas", 0, 2, [(b"k", b"stale")], 30)[0] == shoal.KafkaError._CONFLICT
    assert append("cas", 0, 3, [(b"k", b"v3")], 30)[0] == 0
    got = consume_all(conf, "cas", 4)
    assert [m.value() for m in got] == [b"v0", b"v1", None, b"v3"]
    admin.close()


def test_a_write_in_one_process_is_read_in_another(cluster1: shoal.Cluster) -> None:
    sr = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    assert sr.register_schema("users-value", Schema(V1)) == 1
    code = textwrap.dedent(
        f"""
        import sys
        from shoal.schema_registry import Schema, SchemaRegistryClient
        sr = SchemaRegistryClient({{"url": {cluster1.bootstrap_servers!r}}})
        assert sr.get_latest_version("users-value").schema_id == 1
        print(sr.register_schema("users-value", Schema(sys.argv[1])))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, V2], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "2"
    # Read-your-writes across processes: no cache stands in the way of the new version.
    latest = sr.get_latest_version("users-value")
    assert (latest.schema_id, latest.version) == (2, 2)
    assert sr.get_versions("users-value") == [1, 2]
    sr.close()


def test_concurrent_writers_in_two_processes_never_share_an_id(cluster1: shoal.Cluster) -> None:
    """Two processes register 25 different schemas each, at the same time, in the same
    subjects (compatibility NONE): every schema gets its own id and every subject contiguous
    versions, because each append is conditional on the log end its writer read."""
    SchemaRegistryClient({"url": cluster1.bootstrap_servers}).set_compatibility(level="NONE")
    code = textwrap.dedent(
        f"""
        import json, sys
        from shoal.schema_registry import Schema, SchemaRegistryClient
        sr = SchemaRegistryClient({{"url": {cluster1.bootstrap_servers!r}}})
        who = sys.argv[1]
        for i in range(25):
            s = json.dumps({{"type": "enum", "name": "E", "symbols": [f"{{who}}{{i}}"]}})
            print(sr.register_schema(f"subject-{{i % 3}}", Schema(s)), flush=True)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, w], stdout=subprocess.PIPE, text=True)
        for w in ("A", "B")
    ]
    try:
        outs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0]
    ids = [int(x) for out in outs for x in out.split()]
    assert len(ids) == 50
    assert sorted(ids) == list(range(1, 51))
    sr = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    for s in range(3):
        versions = sr.get_versions(f"subject-{s}")
        assert versions == list(range(1, len(versions) + 1))
    assert sum(len(sr.get_versions(f"subject-{s}")) for s in range(3)) == 50
    sr.close()


# --- durability ------------------------------------------------------------------------------


def test_schemas_survive_killing_the_schemas_leader(cluster3: shoal.Cluster) -> None:
    url = {"url": cluster3.bootstrap_servers}
    sr = SchemaRegistryClient(url)
    sr.set_compatibility(level="NONE")
    before = {}
    for i in range(10):
        s = json.dumps({"type": "fixed", "name": "F", "size": i + 1})
        before[s] = sr.register_schema(f"s{i % 2}", Schema(s))
    leader = cluster3.leader("_schemas", 0)
    cluster3.kill(leader)
    # Read at once, while the partition may still be without a leader: the call waits.
    during = SchemaRegistryClient(url)
    assert during.get_latest_version("s1").schema_id == max(v for v in before.values())
    during.close()
    wait_for(
        lambda: cluster3.leader("_schemas", 0) not in (-1, leader),
        timeout=30,
        what="a new leader of _schemas",
    )
    fresh = SchemaRegistryClient(url)  # rebuilt from the log alone
    for s, sid in before.items():
        assert json.loads(fresh.get_schema(sid).schema_str) == json.loads(s)
        assert fresh.lookup_schema(f"s{(sid - 1) % 2}", Schema(s)).schema_id == sid
    # New registrations continue, from both the old client and the new one, with new ids.
    a = sr.register_schema("s0", Schema(json.dumps({"type": "fixed", "name": "F", "size": 99})))
    b = fresh.register_schema("s1", Schema(json.dumps({"type": "fixed", "name": "F", "size": 98})))
    assert sorted((a, b)) == [11, 12]
    assert fresh.get_versions("s0") == list(range(1, 7))
    sr.close()
    fresh.close()


def test_registrations_during_a_leader_kill_are_all_kept(cluster3: shoal.Cluster) -> None:
    """A writer keeps registering while the `_schemas` leader is SIGKILLed: each call either
    returns an id or raises; every id returned is in the registry afterwards, for its schema,
    and no id is given to two schemas."""
    url = {"url": cluster3.bootstrap_servers}
    sr = SchemaRegistryClient({**url, "timeout": 60})
    sr.set_compatibility(level="NONE")
    acked: dict[int, str] = {}
    errors: list[Exception] = []
    killed = False
    for i in range(40):
        if i == 10:
            leader = cluster3.leader("_schemas", 0)
            cluster3.kill(leader)
            killed = True
        s = json.dumps({"type": "enum", "name": "E", "symbols": [f"S{i}"]})
        try:
            sid = sr.register_schema("during-kill", Schema(s))
        except SchemaRegistryError as e:  # allowed, but then it must not be half-done
            errors.append(e)
            continue
        assert sid not in acked, f"id {sid} given twice"
        acked[sid] = s
    assert killed and len(acked) >= 30, errors
    fresh = SchemaRegistryClient(url)
    for sid, s in acked.items():
        assert json.loads(fresh.get_schema(sid).schema_str) == json.loads(s)
    # A call that failed may still have been written (its answer was lost), never the reverse.
    assert len(acked) <= len(fresh.get_versions("during-kill")) <= len(acked) + len(errors)
    sr.close()
    fresh.close()


def test_schemas_survive_a_restart_of_every_broker(cluster3: shoal.Cluster) -> None:
    sr = SchemaRegistryClient({"url": cluster3.bootstrap_servers})
    assert sr.register_schema("users-value", Schema(V1)) == 1
    assert sr.register_schema("users-value", Schema(V2)) == 2
    sr.set_compatibility("users-value", "FULL")
    sr.close()
    for b in cluster3.broker_ids:
        cluster3.stop(b)
    for b in cluster3.broker_ids:
        cluster3.restart(b)
    cluster3.wait_until_ready()
    sr = SchemaRegistryClient({"url": cluster3.bootstrap_servers})
    assert sr.get_versions("users-value") == [1, 2]
    assert sr.get_compatibility("users-value") == "FULL"
    assert sr.register_schema("other", Schema('"string"')) == 3
    sr.close()


# --- the HTTP server and confluent-kafka's client ---------------------------------------------


def test_confluent_client_against_the_server(
    server: RegistryServer, csr: CSchemaRegistryClient
) -> None:
    assert csr.register_schema("users-value", CSchema(V1, "AVRO")) == 1
    assert csr.register_schema("users-value", CSchema(V2, "AVRO")) == 2
    assert csr.get_subjects() == ["users-value"]
    assert csr.get_versions("users-value") == [1, 2]
    latest = csr.get_latest_version("users-value")
    assert (latest.schema_id, latest.version, latest.subject) == (2, 2, "users-value")
    assert json.loads(csr.get_schema(1).schema_str) == json.loads(V1)
    assert csr.lookup_schema("users-value", CSchema(V1, "AVRO")).version == 1
    assert csr.get_version("users-value", 1).schema_id == 1
    assert csr.test_compatibility("users-value", CSchema(V3_BAD, "AVRO")) is False
    with pytest.raises(Exception) as e:
        csr.register_schema("users-value", CSchema(V3_BAD, "AVRO"))
    assert (e.value.http_status_code, e.value.error_code) == (409, 409)
    assert "email" in e.value.error_message
    with pytest.raises(Exception) as e:
        csr.register_schema("users-value", CSchema('{"type": "record"', "AVRO"))
    assert e.value.error_code == 42201
    with pytest.raises(Exception) as e:
        csr.get_schema(999)
    assert e.value.error_code == 40403
    with pytest.raises(Exception) as e:
        csr.get_version("nobody", 1)
    assert e.value.error_code == 40401
    with pytest.raises(Exception) as e:
        csr.get_version("users-value", 7)
    assert e.value.error_code == 40402
    with pytest.raises(Exception) as e:
        csr.set_compatibility("users-value", "SIDEWAYS")
    assert e.value.error_code == 42203
    assert csr.set_compatibility("users-value", "full") == {"compatibility": "FULL"}
    assert csr.get_compatibility("users-value") == "FULL"
    assert csr.get_compatibility() == "BACKWARD"
    assert csr.delete_version("users-value", 1) == 1
    assert csr.get_versions("users-value") == [2]
    assert csr.delete_subject("users-value") == [2]
    assert csr.delete_subject("users-value", permanent=True) == [1, 2]
    assert csr.get_subjects() == []
    # The content type is Confluent's.
    with urllib.request.urlopen(f"{server.url}/subjects") as r:
        assert r.headers["Content-Type"] == "application/vnd.schemaregistry.v1+json"


def test_shoal_client_over_http_and_over_shm_see_the_same_registry(
    cluster1: shoal.Cluster, server: RegistryServer
) -> None:
    http = SchemaRegistryClient({"url": server.url})
    shm = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    assert http.register_schema("a", Schema(V1)) == 1
    assert shm.register_schema("b", Schema(V2)) == 2
    assert http.get_subjects() == shm.get_subjects() == ["a", "b"]
    with pytest.raises(SchemaRegistryError) as e:
        http.get_version("a", 5)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40402)
    with pytest.raises(SchemaRegistryError) as e:
        shm.get_version("a", 5)
    assert (e.value.http_status_code, e.value.error_code) == (404, 40402)
    shm.close()


def test_shoal_avro_bytes_are_read_by_confluent_and_the_reverse(
    cluster1: shoal.Cluster, csr: CSchemaRegistryClient
) -> None:
    """Both directions through a topic: Shoal's serializer with Shoal's client (shm://), the
    confluent-kafka deserializer with confluent's client on `shoal schema-registry`; then
    confluent's serializer and Shoal's deserializer."""
    bootstrap = cluster1.bootstrap_servers
    create_topic({"bootstrap.servers": bootstrap}, "users")
    shoal_sr = SchemaRegistryClient({"url": bootstrap})
    c_sr = csr
    users = [{"name": f"user-{i}", "age": i} for i in range(5)]

    p = shoal.SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(shoal_sr, V2),
        }
    )
    # confluent-kafka's deserializer works on the bytes of any consumer: read with Shoal's
    # consumer, decode with confluent's AvroDeserializer.
    c = shoal.Consumer({"bootstrap.servers": bootstrap, "group.id": "g1"})
    c.assign([shoal.TopicPartition("users", 0, shoal.OFFSET_BEGINNING)])
    for u in users:
        p.produce("users", key="k", value=u)
    p.flush(30)
    raw = []
    deadline = time.monotonic() + 60
    while len(raw) < len(users) and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            raw.append(m.value())
    c.close()
    c_de = CAvroDeserializer(c_sr)
    assert [c_de(b, CSerializationContext("users", CMessageField.VALUE)) for b in raw] == users

    # The reverse: confluent's serializer registers through the HTTP server.
    c_ser = CAvroSerializer(c_sr, V1)
    data = c_ser({"name": "from-confluent"}, CSerializationContext("users", CMessageField.VALUE))
    assert data[0] == 0
    assert AvroDeserializer(shoal_sr)(data, ctx()) == {"name": "from-confluent"}
    # Read with the newer schema: the default fills the missing field (BACKWARD).
    assert AvroDeserializer(shoal_sr, V2)(data, ctx()) == {"name": "from-confluent", "age": -1}
    # Both registered under the same subject, with the same ids everywhere.
    assert shoal_sr.get_versions("users-value") == [1, 2]
    shoal_sr.close()


def test_confluent_serializer_to_shoal_deserializing_consumer_through_a_topic(
    cluster1: shoal.Cluster, server: RegistryServer, csr: CSchemaRegistryClient
) -> None:
    """confluent-kafka's producer cannot reach a shm:// cluster, so its AvroSerializer is
    called by hand and Shoal's Producer sends the bytes; Shoal's DeserializingConsumer reads
    them from the topic."""
    bootstrap = cluster1.bootstrap_servers
    create_topic({"bootstrap.servers": bootstrap}, "events")
    c_ser = CAvroSerializer(csr, V2)
    p = shoal.Producer({"bootstrap.servers": bootstrap})
    sent = [{"name": f"n{i}", "age": i} for i in range(3)]
    for v in sent:
        p.produce("events", value=c_ser(v, CSerializationContext("events", CMessageField.VALUE)))
    p.flush(30)
    dc = shoal.DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "readers2",
            "auto.offset.reset": "earliest",
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": server.url}), V1),
        }
    )
    dc.subscribe(["events"])
    got = []
    deadline = time.monotonic() + 60
    while len(got) < 3 and time.monotonic() < deadline:
        m = dc.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value())
    dc.close()
    # The old schema (V1) reads data written with the new one (FORWARD): age is dropped.
    assert got == [{"name": f"n{i}"} for i in range(3)]


# --- evolution through a topic ---------------------------------------------------------------


def test_old_and_new_consumers_read_each_others_data(cluster1: shoal.Cluster) -> None:
    bootstrap = cluster1.bootstrap_servers
    create_topic({"bootstrap.servers": bootstrap}, "users")
    sr = SchemaRegistryClient({"url": bootstrap})
    sr.set_compatibility("users-value", "FULL")
    old_p = shoal.SerializingProducer(
        {"bootstrap.servers": bootstrap, "value.serializer": AvroSerializer(sr, V1)}
    )
    new_p = shoal.SerializingProducer(
        {"bootstrap.servers": bootstrap, "value.serializer": AvroSerializer(sr, V2)}
    )
    old_p.produce("users", value={"name": "old"})
    old_p.flush(30)
    new_p.produce("users", value={"name": "new", "age": 30})
    new_p.flush(30)
    assert sr.get_versions("users-value") == [1, 2]

    def read(reader_schema: str) -> list:
        dc = shoal.DeserializingConsumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"g-{len(reader_schema)}",
                "auto.offset.reset": "earliest",
                "value.deserializer": AvroDeserializer(sr, reader_schema),
            }
        )
        dc.subscribe(["users"])
        out = []
        deadline = time.monotonic() + 60
        while len(out) < 2 and time.monotonic() < deadline:
            m = dc.poll(0.5)
            if m is not None and m.error() is None:
                out.append(m.value())
        dc.close()
        return out

    # FORWARD: the old schema reads the new data; BACKWARD: the new schema reads the old.
    assert read(V1) == [{"name": "old"}, {"name": "new"}]
    assert read(V2) == [{"name": "old", "age": -1}, {"name": "new", "age": 30}]
    # And an incompatible change is refused before any data is written with it.
    with pytest.raises(shoal.ValueSerializationError) as e:
        shoal.SerializingProducer(
            {"bootstrap.servers": bootstrap, "value.serializer": AvroSerializer(sr, V3_BAD)}
        ).produce("users", value={"name": "x", "email": "x@y"})
    assert "email" in str(e.value)
    sr.close()


# --- bad input -------------------------------------------------------------------------------


def test_bad_records_and_unknown_ids_get_clear_errors(cluster1: shoal.Cluster) -> None:
    bootstrap = cluster1.bootstrap_servers
    create_topic({"bootstrap.servers": bootstrap}, "users")
    sr = SchemaRegistryClient({"url": bootstrap})
    p = shoal.SerializingProducer(
        {"bootstrap.servers": bootstrap, "value.serializer": AvroSerializer(sr, V2)}
    )
    with pytest.raises(shoal.ValueSerializationError) as e:
        p.produce("users", value={"name": "x", "age": "not a number"})
    assert "age" in str(e.value)
    # An int out of Avro's 32-bit range is refused, not written as a long.
    with pytest.raises(shoal.ValueSerializationError) as e:
        p.produce("users", value={"name": "x", "age": 2**40})
    assert "age" in str(e.value)
    with pytest.raises(shoal.ValueSerializationError) as e:
        p.produce("users", value={"age": 3})
    assert "name" in str(e.value)
    p.flush(30)
    assert shoal.Consumer({"bootstrap.servers": bootstrap, "group.id": "w"}).get_watermark_offsets(
        shoal.TopicPartition("users", 0), timeout=10
    ) == (0, 0), "a refused record was written"
    with pytest.raises(SchemaRegistryError) as se:
        sr.register_schema("users-value", Schema('{"type": "record", "name": "R"}'))
    assert se.value.error_code == 42201
    with pytest.raises(SchemaRegistryError) as se:
        sr.register_schema("users-value", Schema("not json"))
    assert se.value.error_code == 42201
    # A record framed with an id nobody registered: the consumer says which id.
    raw = shoal.Producer({"bootstrap.servers": bootstrap})
    raw.produce("users", value=b"\x00\x00\x00\x03\xe7\x02x")
    raw.flush(30)
    dc = shoal.DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "g",
            "auto.offset.reset": "earliest",
            "value.deserializer": AvroDeserializer(sr),
        }
    )
    dc.subscribe(["users"])
    deadline = time.monotonic() + 60
    while True:
        try:
            m = dc.poll(0.5)
        except shoal.ValueDeserializationError as err:
            assert "schema id 999" in str(err)
            assert "not in the schema registry" in str(err)
            break
        assert m is None or m.error() is not None, "the record decoded"
        assert time.monotonic() < deadline, "no error for the unknown schema id"
    dc.close()
    sr.close()


def test_json_schema_serdes_on_a_cluster(cluster1: shoal.Cluster) -> None:
    sr = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    schema = json.dumps(
        {
            "title": "Order",
            "type": "object",
            "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
            "required": ["id"],
        }
    )
    ser = JSONSerializer(schema, sr)
    data = ser({"id": 7, "item": "book"}, ctx("orders"))
    assert data[0] == 0 and json.loads(data[5:]) == {"id": 7, "item": "book"}
    assert sr.get_latest_version("orders-value").schema.schema_type == "JSON"
    assert JSONDeserializer(None, schema_registry_client=sr)(data, ctx("orders")) == {
        "id": 7,
        "item": "book",
    }
    with pytest.raises(SerializationError):
        ser({"item": "no id"}, ctx("orders"))
    sr.close()


# --- the command ------------------------------------------------------------------------------


def test_shoal_schema_registry_command(cluster1: shoal.Cluster) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shoal.cli",
            "schema-registry",
            "--bootstrap-server",
            cluster1.bootstrap_servers,
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.rsplit(" ", 1)[1].strip()
        with CSchemaRegistryClient({"url": url}) as csr:
            assert csr.register_schema("t-value", CSchema('"string"', "AVRO")) == 1
        with urllib.request.urlopen(f"{url}/subjects/t-value/versions/1/schema") as r:
            assert json.loads(r.read()) == "string"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    # The schema outlives the server: it is in the cluster.
    sr = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    assert sr.get_latest_version("t-value").schema_id == 1
    sr.close()


def test_shoal_schema_registry_command_errors(cluster1: shoal.Cluster) -> None:
    with RegistryServer(cluster1.bootstrap_servers, port=0) as s:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "shoal.cli",
                "schema-registry",
                "--port",
                str(s.port),
                "--bootstrap-server",
                cluster1.bootstrap_servers,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0
    assert "cannot listen" in out.stderr


# --- serializer configuration ----------------------------------------------------------------


def test_subject_name_strategies_and_registration_modes(cluster1: shoal.Cluster) -> None:
    from shoal.schema_registry import (
        record_subject_name_strategy,
        topic_record_subject_name_strategy,
    )

    sr = SchemaRegistryClient({"url": cluster1.bootstrap_servers})
    user = {"name": "a"}
    AvroSerializer(sr, V1)(user, ctx("t1"))
    AvroSerializer(sr, V1, conf={"subject.name.strategy": record_subject_name_strategy})(
        user, ctx("t1")
    )
    AvroSerializer(sr, V1, conf={"subject.name.strategy": topic_record_subject_name_strategy})(
        user, SerializationContext("t2", MessageField.KEY)
    )
    assert sr.get_subjects() == ["shop.User", "t1-value", "t2-shop.User"]

    # auto.register.schemas=False: the schema must be registered already.
    lookup_only = AvroSerializer(sr, V2, conf={"auto.register.schemas": False})
    with pytest.raises(SerializationError) as e:
        lookup_only({"name": "b", "age": 1}, ctx("t1"))
    assert "40403" in str(e.value)
    sr.register_schema("t1-value", Schema(V2))
    assert lookup_only({"name": "b", "age": 1}, ctx("t1"))[1:5] == (2).to_bytes(4, "big")

    # use.latest.version: write with the subject's latest schema, whatever was given.
    latest = AvroSerializer(
        sr, None, conf={"use.latest.version": True, "auto.register.schemas": False}
    )
    data = latest({"name": "c", "age": 5}, ctx("t1"))
    assert data[1:5] == (2).to_bytes(4, "big")
    assert AvroDeserializer(sr)(data, ctx("t1")) == {"name": "c", "age": 5}
    # ... and a deserializer with use.latest.version reads old data with the latest schema.
    old = AvroSerializer(sr, V1)({"name": "d"}, ctx("t1"))
    assert AvroDeserializer(sr, conf={"use.latest.version": True})(old, ctx("t1")) == {
        "name": "d",
        "age": -1,
    }
    with pytest.raises(ValueError, match="Unrecognized properties"):
        AvroSerializer(sr, V1, conf={"auto.register": True})
    with pytest.raises(ValueError, match="both"):
        AvroSerializer(sr, V1, conf={"use.latest.version": True})
    sr.close()


def test_confluent_serdes_plug_into_shoal_producer_and_consumer(
    cluster1: shoal.Cluster, csr: CSchemaRegistryClient
) -> None:
    """confluent-kafka's AvroSerializer and AvroDeserializer, with confluent's client on
    `shoal schema-registry`, as the serializers of Shoal's SerializingProducer and
    DeserializingConsumer: code written for Kafka keeps its serdes."""
    bootstrap = cluster1.bootstrap_servers
    create_topic({"bootstrap.servers": bootstrap}, "people")
    c_sr = csr
    p = shoal.SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "key.serializer": StringSerializer(),
            "value.serializer": CAvroSerializer(c_sr, V2),
        }
    )
    people = [{"name": f"p{i}", "age": 20 + i} for i in range(4)]
    for person in people:
        p.produce("people", key=person["name"], value=person)
    p.flush(30)
    dc = shoal.DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "people-readers",
            "auto.offset.reset": "earliest",
            "value.deserializer": CAvroDeserializer(c_sr),
        }
    )
    dc.subscribe(["people"])
    got = []
    deadline = time.monotonic() + 60
    while len(got) < len(people) and time.monotonic() < deadline:
        m = dc.poll(0.5)
        if m is not None and m.error() is None:
            got.append((m.key(), m.value()))
    dc.close()
    assert got == [(person["name"].encode(), person) for person in people]
    # Registered under confluent's default subject, visible to Shoal's in-process client.
    sr = SchemaRegistryClient({"url": bootstrap})
    assert sr.get_latest_version("people-value").schema_id == 1
    sr.close()
