"""Bad input gets a clear error with a Kafka error code; the broker stays up and its log is
untouched."""

from __future__ import annotations

import os
import subprocess

import pytest

import shoal
from conftest import consume_all, create_topic


def _log_bytes(cluster: shoal.Cluster) -> int:
    total = 0
    for root, _dirs, files in os.walk(cluster.dir / "broker-1"):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(".log"))
    return total


def test_oversized_value_is_refused(cluster1):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    create_topic(conf, "sizes")
    p = shoal.Producer(conf)
    with pytest.raises(shoal.KafkaException) as ei:
        p.produce("sizes", b"x" * 2_000_000)
    assert ei.value.args[0].code() == shoal.KafkaError.MSG_SIZE_TOO_LARGE
    # A value the producer accepts but the topic does not: the delivery report says so.
    create_topic(conf, "small", **{"max.message.bytes": "2000"})
    errs = []
    p.produce("small", b"y" * 5000, on_delivery=lambda e, m: errs.append(e))
    p.flush(10)
    assert errs[0].code() == shoal.KafkaError.MSG_SIZE_TOO_LARGE
    assert "max.message.bytes=2000" in errs[0].str()
    assert consume_all(conf, "small", 1, timeout=0.5) == []


def test_unknown_topic_with_auto_create_off():
    with shoal.Cluster(brokers=1, auto_create_topics_enable=False) as c:
        conf = {"bootstrap.servers": c.bootstrap_servers}
        p = shoal.Producer(conf)
        with pytest.raises(shoal.KafkaException) as ei:
            p.produce("nope", b"x")
        assert ei.value.args[0].code() == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
        assert "auto.create.topics.enable" in ei.value.args[0].str()
        assert "nope" not in p.list_topics(timeout=10).topics


@pytest.mark.parametrize("name", ["has space", "x" * 250, "..", "a/b", "ünïcode"])
def test_invalid_topic_names(cluster1, name):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    with pytest.raises(shoal.KafkaException) as ei:
        shoal.Producer(conf).produce(name, b"x")
    assert ei.value.args[0].code() == shoal.KafkaError.TOPIC_EXCEPTION
    fs = shoal.AdminClient(conf).create_topics([shoal.NewTopic(name, 1, 1)])
    with pytest.raises(shoal.KafkaException) as ei:
        fs[name].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.TOPIC_EXCEPTION
    # Nothing escaped the log directory.
    assert not any(p.name.startswith("..") for p in (cluster1.dir).iterdir())


def test_wrong_argument_types(cluster1):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    create_topic(conf, "types")
    p = shoal.Producer(conf)
    before = _log_bytes(cluster1)
    with pytest.raises(TypeError):
        p.produce(123, b"x")
    with pytest.raises(TypeError):
        p.produce("types", value=12345)
    with pytest.raises(TypeError):
        p.produce("types", b"x", partition="zero")
    with pytest.raises(TypeError):
        p.produce("types", b"x", headers=12)
    with pytest.raises(TypeError):
        p.produce("types", b"x", on_delivery="not callable")
    with pytest.raises(TypeError):
        p.produce("types", b"x", bogus=1)
    with pytest.raises(shoal.KafkaException) as ei:
        p.produce("types", b"x", partition=7)
    assert ei.value.args[0].code() == shoal.KafkaError._UNKNOWN_PARTITION
    assert p.flush(5) == 0
    assert _log_bytes(cluster1) == before
    # The broker is still up and serving.
    p.produce("types", b"fine")
    assert p.flush(10) == 0


def test_bad_configuration_is_refused_naming_the_key(cluster1):
    with pytest.raises(shoal.KafkaException) as ei:
        shoal.Producer({"bootstrap.servers": cluster1.bootstrap_servers, "linger.mss": 5})
    assert "linger.mss" in ei.value.args[0].str()
    with pytest.raises(shoal.KafkaException) as ei:
        shoal.Producer({"bootstrap.servers": cluster1.bootstrap_servers, "acks": "some"})
    assert '"acks"' in ei.value.args[0].str()


def test_a_bootstrap_that_is_neither_shm_nor_host_port_gets_an_explanation():
    # host:port lists are Kafka's protocol over TCP (clients/test_shoal_clients_tcp.py).
    with pytest.raises(shoal.KafkaException) as ei:
        shoal.Producer({"bootstrap.servers": "localhost:9092:1"})
    msg = ei.value.args[0].str()
    assert "shm://NAME" in msg and "host:port" in msg
    assert ei.value.args[0].code() == shoal.KafkaError._INVALID_ARG


def test_no_such_cluster():
    with pytest.raises(shoal.KafkaException) as ei:
        shoal.Producer({"bootstrap.servers": "shm://no-such-cluster-here"})
    assert "shoal cluster up" in ei.value.args[0].str()


def test_topic_config_errors_name_the_key(cluster1):
    conf = {"bootstrap.servers": cluster1.bootstrap_servers}
    admin = shoal.AdminClient(conf)
    fs = admin.create_topics([shoal.NewTopic("cfg", 1, 1, config={"retention.mss": "1"})])
    with pytest.raises(shoal.KafkaException) as ei:
        fs["cfg"].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.INVALID_CONFIG
    assert "retention.mss" in ei.value.args[0].str()
    fs = admin.create_topics([shoal.NewTopic("rf", 1, 3)])
    with pytest.raises(shoal.KafkaException) as ei:
        fs["rf"].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.INVALID_REPLICATION_FACTOR
    fs = admin.create_topics([shoal.NewTopic("parts", 0, 1)])
    with pytest.raises(shoal.KafkaException) as ei:
        fs["parts"].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.INVALID_PARTITIONS
    create_topic(conf, "twice")
    fs = admin.create_topics([shoal.NewTopic("twice", 1, 1)])
    with pytest.raises(shoal.KafkaException) as ei:
        fs["twice"].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.TOPIC_ALREADY_EXISTS
    fs = admin.delete_topics(["never-was"])
    with pytest.raises(shoal.KafkaException) as ei:
        fs["never-was"].result(10)
    assert ei.value.args[0].code() == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    fs = admin.delete_topics(["twice"])
    assert fs["twice"].result(10) is None
    assert "twice" not in admin.list_topics(timeout=10).topics


def test_broker_refuses_bad_configuration(tmp_path):
    from shoal.cluster import broker_executable

    for override, key in [
        ("log.retention.mss=5", "log.retention.mss"),
        ("num.partitions=zero", "num.partitions"),
        ("log.cleanup.policy=shred", "log.cleanup.policy"),
    ]:
        r = subprocess.run(
            [
                str(broker_executable()),
                "--cluster",
                "badcfg",
                "--id",
                "1",
                "--dir",
                str(tmp_path),
                "--override",
                override,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode != 0
        assert key in r.stderr and r.stderr[-1] == "\n" and r.stderr.count("\n") == 1, r.stderr
