"""Producing and consuming through a real broker, in one process and across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import shoal
from conftest import consume_all, create_topic, wait_for


def test_keys_values_headers_and_timestamps_arrive_intact(conf):
    create_topic(conf, "intact", partitions=3)
    reports = []
    p = shoal.Producer(conf)
    sent = []
    for i in range(300):
        key = f"key-{i % 17}".encode()
        value = f"value {i} ".encode() * (i % 5)
        headers = [("h", f"{i}".encode()), ("empty", b""), ("none", None)] if i % 3 == 0 else None
        ts = 1_700_000_000_000 + i
        p.produce(
            "intact",
            value=value,
            key=key,
            headers=headers,
            timestamp=ts,
            on_delivery=lambda err, msg: reports.append((err, msg)),
        )
        sent.append((key, value, headers, ts))
    assert p.flush(30) == 0
    assert len(p) == 0
    assert len(reports) == 300 and all(err is None for err, _ in reports)
    got = consume_all(conf, "intact", 300, partitions=3)
    assert len(got) == 300
    by_key: dict[bytes, list] = {}
    for m in got:
        by_key.setdefault(m.key(), []).append(m)
        assert m.topic() == "intact"
        assert m.timestamp()[0] == shoal.TIMESTAMP_CREATE_TIME
    # Same key, same partition, order kept.
    for msgs in by_key.values():
        assert len({m.partition() for m in msgs}) == 1
        offsets = [m.offset() for m in msgs]
        assert offsets == sorted(offsets)
    expected = {(k, v, ts): h for k, v, h, ts in sent}
    for m in got:
        h = expected[(m.key(), m.value() or b"", m.timestamp()[1])]
        assert m.headers() == (list(h) if h else None)
    # Delivery reports carry the final partition and offset.
    positions = {(m.partition(), m.offset()) for m in got}
    assert {(msg.partition(), msg.offset()) for _, msg in reports} == positions


def test_delivery_reports_in_order_per_partition_and_len(conf):
    create_topic(conf, "order", partitions=2)
    p = shoal.Producer({**conf, "linger.ms": 50})
    seen = []
    for i in range(1000):
        p.produce(
            "order",
            value=str(i).encode(),
            partition=i % 2,
            callback=lambda err, msg: seen.append((msg.partition(), int(msg.value()))),
        )
    assert len(p) == 1000
    assert p.flush(30) == 0
    for part in (0, 1):
        values = [v for p_, v in seen if p_ == part]
        assert values == sorted(values) and len(values) == 500


def test_exception_in_delivery_callback_reaches_the_caller(conf):
    create_topic(conf, "cb-error")
    p = shoal.Producer(conf)

    def boom(err, msg):
        raise RuntimeError("from the callback")

    p.produce("cb-error", b"x", on_delivery=boom)
    with pytest.raises(RuntimeError, match="from the callback"):
        p.flush(10)


def test_default_on_delivery_from_config(conf):
    create_topic(conf, "conf-cb")
    got = []
    p = shoal.Producer({**conf, "on_delivery": lambda err, msg: got.append(msg.offset())})
    for _ in range(5):
        p.produce("conf-cb", b"v")
    assert p.flush(10) == 0
    assert got == [0, 1, 2, 3, 4]


def test_produce_in_one_process_consume_in_another(conf, tmp_path):
    """One million records: no loss, no reordering within a partition."""
    create_topic(conf, "million", partitions=4)
    script = tmp_path / "produce.py"
    script.write_text(
        textwrap.dedent(f"""
        import shoal
        p = shoal.Producer({{"bootstrap.servers": "{conf["bootstrap.servers"]}"}})
        for i in range(1_000_000):
            while True:
                try:
                    p.produce("million", value=i.to_bytes(8, "big"), key=str(i % 64).encode())
                    break
                except BufferError:
                    p.poll(0.01)
        assert p.flush(120) == 0
        print("done")
    """)
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = consume_all(conf, "million", 1_000_000, partitions=4, timeout=120)
    assert len(got) == 1_000_000
    values = [int.from_bytes(m.value(), "big") for m in got]
    assert len(set(values)) == 1_000_000
    last: dict[bytes, int] = {}
    for m, v in zip(got, values, strict=True):
        k = m.key()
        assert v > last.get(k, -1), "reordered within a key (and so within a partition)"
        last[k] = v


def test_consumer_api_seek_position_watermarks(conf):
    create_topic(conf, "api")
    p = shoal.Producer(conf)
    for i in range(100):
        p.produce("api", str(i).encode())
    p.flush(10)
    c = shoal.Consumer(conf)
    tp = shoal.TopicPartition("api", 0)
    assert c.get_watermark_offsets(tp, timeout=10) == (0, 100)
    c.assign([shoal.TopicPartition("api", 0, 40)])
    assert c.position([tp])[0].offset == 40
    m = c.poll(10)
    assert m is not None and m.offset() == 40 and m.value() == b"40"
    assert c.position([tp])[0].offset == 41
    c.seek(shoal.TopicPartition("api", 0, 90))
    msgs = c.consume(10, timeout=10)
    assert [m.offset() for m in msgs] == list(range(90, 100))
    assert c.poll(0.2) is None
    assert [t.topic for t in c.assignment()] == ["api"]
    c.assign([shoal.TopicPartition("api", 0, shoal.OFFSET_END)])
    assert c.poll(0.3) is None
    p.produce("api", b"new")
    p.flush(10)
    m = c.poll(10)
    assert m is not None and m.value() == b"new" and m.offset() == 100
    c.close()
    with pytest.raises(Exception, match="closed"):
        c.poll(0)


def test_partition_eof_events(conf):
    create_topic(conf, "eof")
    p = shoal.Producer(conf)
    p.produce("eof", b"only")
    p.flush(10)
    c = shoal.Consumer({**conf, "enable.partition.eof": True})
    c.assign([shoal.TopicPartition("eof", 0, shoal.OFFSET_BEGINNING)])
    first = c.poll(10)
    assert first.error() is None and first.value() == b"only"
    eof = c.poll(10)
    assert eof is not None and eof.error() is not None
    assert eof.error().code() == shoal.KafkaError._PARTITION_EOF
    assert eof.partition() == 0 and eof.offset() == 1
    c.close()


def test_auto_offset_reset(conf):
    create_topic(conf, "reset")
    p = shoal.Producer(conf)
    for i in range(3):
        p.produce("reset", str(i).encode())
    p.flush(10)
    early = shoal.Consumer({**conf, "auto.offset.reset": "earliest"})
    early.assign([shoal.TopicPartition("reset", 0)])
    assert early.poll(10).value() == b"0"
    late = shoal.Consumer({**conf, "auto.offset.reset": "latest"})
    late.assign([shoal.TopicPartition("reset", 0)])
    assert late.poll(0.5) is None
    err = shoal.Consumer({**conf, "auto.offset.reset": "error"})
    err.assign([shoal.TopicPartition("reset", 0)])
    m = err.poll(10)
    assert m is not None and m.error().code() == shoal.KafkaError._AUTO_OFFSET_RESET
    for c in (early, late, err):
        c.close()


def test_list_topics_shows_partitions(conf):
    create_topic(conf, "listed", partitions=3)
    md = shoal.Producer(conf).list_topics(timeout=10)
    assert isinstance(md, shoal.ClusterMetadata)
    t = md.topics["listed"]
    assert sorted(t.partitions) == [0, 1, 2]
    assert t.partitions[1].leader == 1
    assert t.partitions[1].replicas == [1] and t.partitions[1].isrs == [1]
    assert list(md.brokers) == [1] and md.controller_id == 1


def test_auto_create_on_produce(conf):
    p = shoal.Producer(conf)
    p.produce("auto-created", b"hi")
    assert p.flush(10) == 0
    assert "auto-created" in p.list_topics(timeout=10).topics


def test_compressed_batches_round_trip(conf):
    create_topic(conf, "codecs", partitions=1)
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        p = shoal.Producer({**conf, "compression.type": codec})
        for i in range(200):
            p.produce("codecs", value=f"{codec}-{i}".encode() * 10)
        assert p.flush(10) == 0
    got = consume_all(conf, "codecs", 1000)
    assert len(got) == 1000
    assert got[0].value().startswith(b"none-0") and got[-1].value().startswith(b"zstd-199")
    wait_for(lambda: True)
