"""The Producer: Java-compatible partitioning, codecs, produce_batch() (confluent-kafka's dict
form and the column fast path), local queue limits, delivery reports and LogAppendTime."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import shoal
from conftest import consume_all, create_topic

REPO = Path(__file__).resolve().parents[3]
# The shared vectors (../shared/vectors/murmur2.tsv), kept byte for byte with the C++
# partitioner tests so a clone of the repository alone runs them.
VENDORED_VECTORS = REPO / "tests" / "cpp" / "client" / "vectors" / "murmur2.tsv"
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


def read_vectors(path: Path) -> list[tuple[bytes, dict[int, int]]]:
    """Rows of (key, {partition count: partition}); '#' lines are comments, then a header."""
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    header = lines[0].split("\t")
    counts = [(i, int(name[1:])) for i, name in enumerate(header) if name.startswith("p")]
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        cols = line.split("\t")
        rows.append((cols[0].encode(), {n: int(cols[i]) for i, n in counts}))
    return rows


def check_vectors(path: Path) -> int:
    rows = read_vectors(path)
    for key, expected in rows:
        for count, partition in expected.items():
            assert shoal.murmur2(key, count) == partition, (key, count)
    return len(rows)


# ---- partitioning ------------------------------------------------------------------------


def test_murmur2_vectors():
    assert check_vectors(VENDORED_VECTORS) == 26


def test_murmur2_takes_bytes_or_str_and_checks_its_arguments():
    assert shoal.murmur2("foobar", 10) == shoal.murmur2(b"foobar", 10) == 6
    assert shoal.murmur2(bytearray(b"foobar"), 10) == 6
    assert shoal.murmur2("é", 50) == shoal.murmur2("é".encode(), 50)
    assert shoal.murmur2(b"", 10) == 1  # toPositive(275646681) % 10
    with pytest.raises(ValueError):
        shoal.murmur2(b"k", 0)
    with pytest.raises(TypeError):
        shoal.murmur2(None, 3)
    with pytest.raises(TypeError):
        shoal.murmur2(42, 3)


PRODUCE_KEYS = """
import json, sys
import shoal
p = shoal.Producer({{"bootstrap.servers": "{servers}"}})
got = {{}}
def report(err, msg):
    assert err is None, err
    got[msg.key().decode()] = msg.partition()
keys = [f"key-{{i}}" for i in range({n})]
{produce}
assert p.flush(30) == 0
print(json.dumps(got))
"""


def test_same_key_same_partition_across_processes(conf):
    create_topic(conf, "keyed", partitions=6)
    n = 200
    outputs = []
    for produce in (
        "for k in keys: p.produce('keyed', b'v', key=k, on_delivery=report)",
        "p.produce_batch('keyed', [b'v'] * len(keys), keys=keys, on_delivery=report)",
    ):
        script = PRODUCE_KEYS.format(servers=conf["bootstrap.servers"], n=n, produce=produce)
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        outputs.append(json.loads(out.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == n
    for key, partition in outputs[0].items():
        assert partition == shoal.murmur2(key, 6)
    assert len(set(outputs[0].values())) == 6
    # And where the consumer finds them.
    for m in consume_all(conf, "keyed", 2 * n, partitions=6):
        assert m.partition() == shoal.murmur2(m.key(), 6)


def test_keyless_records_stick_to_a_partition_per_batch_and_spread_over_time(conf):
    create_topic(conf, "sticky", partitions=4)
    # Batches are sent only by flush(): each round is one batch, on one partition (KIP-480).
    p = shoal.Producer({**conf, "linger.ms": 60_000, "sticky.partitioning.linger.ms": 60_000})
    rounds: list[set[int]] = []

    def report(err, msg):
        rounds[-1].add(msg.partition())

    for r in range(60):
        rounds.append(set())
        if r % 2:
            for _ in range(50):
                p.produce("sticky", b"x", on_delivery=report)
        else:
            p.produce_batch("sticky", [b"x"] * 50, on_delivery=report)
        assert p.flush(30) == 0
    assert all(len(seen) == 1 for seen in rounds)
    assert set().union(*rounds) == {0, 1, 2, 3}


# ---- codecs ------------------------------------------------------------------------------


def records_for(tag: str, n: int) -> list[tuple[bytes, bytes, list, int]]:
    out = []
    for i in range(n):
        key = f"{tag}-key-{i % 7}".encode()
        value = (f'{{"tag":"{tag}","i":{i},"pad":"' + "abc" * (i % 40) + '"}').encode()
        headers = [("i", str(i).encode()), ("none", None)] if i % 4 == 0 else None
        out.append((key, value, headers, 1_700_000_000_000 + i))
    return out


@pytest.mark.parametrize("codec", CODECS)
def test_every_codec_round_trips_keys_values_headers_timestamps(conf, codec):
    topic = f"codec-{codec}"
    create_topic(conf, topic)
    p = shoal.Producer({**conf, "compression.type": codec, "linger.ms": 20})
    sent = records_for(codec, 400)
    for key, value, headers, ts in sent:
        p.produce(topic, value, key=key, headers=headers, timestamp=ts)
    p.produce(topic, None, key=b"tombstone")
    p.produce(topic, b"", key=None)
    assert p.flush(30) == 0
    got = consume_all(conf, topic, len(sent) + 2)
    assert [(m.key(), m.value(), m.headers(), m.timestamp()[1]) for m in got[:-2]] == sent
    assert (got[-2].key(), got[-2].value()) == (b"tombstone", None)
    assert (got[-1].key(), got[-1].value()) == (None, b"")


def test_one_partition_mixing_codecs_reads_back_in_order(conf):
    create_topic(conf, "mixed")
    producers = {c: shoal.Producer({**conf, "compression.type": c}) for c in CODECS}
    expected = []
    for r in range(8):
        for codec, p in producers.items():
            records = records_for(f"{codec}{r}", 60)
            if r % 2:
                p.produce_batch(
                    "mixed",
                    [
                        {"key": k, "value": v, "headers": h, "timestamp": t}
                        for k, v, h, t in records
                    ],
                    partition=0,
                )
            else:
                for k, v, h, t in records:
                    p.produce("mixed", v, key=k, headers=h, timestamp=t, partition=0)
            assert p.flush(30) == 0  # one batch of this codec before the next producer's
            expected += records
    got = consume_all(conf, "mixed", len(expected))
    assert [(m.key(), m.value(), m.headers(), m.timestamp()[1]) for m in got] == expected
    assert [m.offset() for m in got] == list(range(len(expected)))


def test_compressed_batches_are_stored_compressed(cluster1, conf):
    value = b'{"user":"user-00042","action":"view","page":"product"}' * 8
    sizes = {}
    for codec in CODECS:
        topic = f"stored-{codec}"
        create_topic(conf, topic)
        p = shoal.Producer({**conf, "compression.type": codec})
        p.produce_batch(topic, [value] * 2000)
        assert p.flush(30) == 0
        logs = list(cluster1.dir.glob(f"broker-*/{topic}-0/*.log"))
        sizes[codec] = sum(f.stat().st_size for f in logs)
    for codec in CODECS[1:]:
        assert sizes[codec] < sizes["none"] / 5, sizes


# ---- produce_batch: confluent-kafka's list of dicts --------------------------------------


def test_produce_batch_dicts_count_callbacks_and_errors(conf):
    create_topic(conf, "dicts", partitions=2)
    batch_reports: list = []
    own_reports: list = []
    p = shoal.Producer(conf)
    messages = [
        {"value": b"v0", "key": b"k0"},
        {"value": "v1", "partition": 1, "headers": {"h": b"1"}, "timestamp": 1_600_000_000_000},
        {"value": b"v2", "partition": 7},  # no such partition
        {"value": b"x" * 2_000_000},  # over message.max.bytes
        {"value": b"v4", "callback": lambda err, msg: own_reports.append(msg.value())},
        {"value": None, "key": b"k5", "on_delivery": lambda e, m: own_reports.append(m.key())},
        {},
    ]
    n = p.produce_batch("dicts", messages, on_delivery=lambda e, m: batch_reports.append(m))
    assert n == 5
    assert messages[2]["_error"].code() == shoal.KafkaError._UNKNOWN_PARTITION
    assert messages[3]["_error"].code() == shoal.KafkaError.MSG_SIZE_TOO_LARGE
    assert all("_error" not in m for i, m in enumerate(messages) if i not in (2, 3))
    assert p.flush(30) == 0
    assert sorted(own_reports) == [b"k5", b"v4"]
    # Reports are in order within a partition only; a str value comes back as bytes.
    assert sorted(m.value() for m in batch_reports if m.value()) == [b"v0", b"v1"]
    assert len(batch_reports) == 3
    v1 = next(m for m in batch_reports if m.value() == b"v1")
    assert v1.partition() == 1 and v1.headers() == [("h", b"1")]
    assert v1.timestamp() == (shoal.TIMESTAMP_CREATE_TIME, 1_600_000_000_000)
    got = consume_all(conf, "dicts", 5, partitions=2)
    assert sorted(m.value() or b"" for m in got) == sorted([b"v0", b"v1", b"v4", b"", b""])


def test_produce_batch_dicts_are_checked_before_anything_is_queued(conf):
    create_topic(conf, "checked")
    p = shoal.Producer(conf)
    for bad, what in (
        ([{"value": b"a"}, b"b"], "index 1 must be a dict"),
        ([{"value": b"a"}, {"value": 3}], r"messages\[1\]\['value'\]"),
        ([{"value": b"a"}, {"key": [1]}], r"messages\[1\]\['key'\]"),
        ([{"value": b"a"}, {"partition": "0"}], "partition"),
        ([{"value": b"a"}, {"timestamp": 1.5}], "timestamp"),
        ([{"value": b"a"}, {"callback": 3}], "callable"),
        ([{"value": b"a"}, {"headers": 3}], "headers"),
    ):
        with pytest.raises(TypeError, match=what):
            p.produce_batch("checked", bad)
        assert len(p) == 0
    with pytest.raises(TypeError):
        p.produce_batch("checked", [{"value": b"a"}], keys=[b"k"])
    assert p.produce_batch("checked", []) == 0
    # A bad partition is the record's error, as in confluent-kafka, not the call's.
    bad_partition = [{"value": b"a"}]
    assert p.produce_batch("checked", bad_partition, partition=3) == 0
    assert bad_partition[0]["_error"].code() == shoal.KafkaError._UNKNOWN_PARTITION


def test_produce_batch_dicts_full_queue_marks_the_rest_and_resumes(conf):
    create_topic(conf, "dict-full")
    p = shoal.Producer(
        {**conf, "queue.buffering.max.messages": 10, "linger.ms": 60_000, "batch.num.messages": 100}
    )
    messages = [{"value": str(i).encode()} for i in range(25)]
    queued = p.produce_batch("dict-full", messages)
    assert queued == 10 and len(p) == 10
    assert all("_error" not in m for m in messages[:10])
    assert all(m["_error"].code() == shoal.KafkaError._QUEUE_FULL for m in messages[10:])
    while True:
        assert p.flush(30) == 0
        failed = [m for m in messages if "_error" in m]
        if not failed:
            break
        p.produce_batch("dict-full", failed)
    assert [m.value() for m in consume_all(conf, "dict-full", 25)] == [
        str(i).encode() for i in range(25)
    ]


# ---- produce_batch: the column fast path -------------------------------------------------


def produce_all(p: shoal.Producer, topic: str, values) -> int:
    """Everything in `values`, resuming after a full queue where produce_batch() stopped.
    Returns how many calls it took."""
    done, calls = 0, 0
    while done < len(values):
        done += p.produce_batch(topic, values[done:])
        calls += 1
        if done < len(values):
            p.poll(0.01)
    return calls


def column_inputs():
    values = [f"value-{i}".encode() for i in range(300)]
    keys = [f"key-{i % 11}".encode() for i in range(300)]
    yield "list", values, keys
    yield "list of str", [v.decode() for v in values], [k.decode() for k in keys]
    yield "tuple", tuple(values), tuple(keys)
    np = pytest.importorskip("numpy")
    yield "numpy S", np.array(values), np.array(keys)
    yield "numpy object", np.array(values, dtype=object), np.array(keys, dtype=object)
    yield "numpy reversed view", np.array(values[::-1])[::-1], np.array(keys[::-1])[::-1]
    yield "numpy every other", np.array([v for v in values for _ in (0, 1)])[::2], None
    yield "numpy str", np.array([v.decode() for v in values]), np.array([k.decode() for k in keys])
    width = max(len(v) for v in values)
    rows = np.frombuffer(b"".join(v.ljust(width, b"-") for v in values), dtype=np.uint8)
    yield "numpy 2-D uint8", rows.reshape(len(values), width), None
    pa = pytest.importorskip("pyarrow")
    yield "pyarrow binary", pa.array(values, pa.binary()), pa.array(keys, pa.binary())
    yield "pyarrow large_binary", pa.array(values, pa.large_binary()), pa.array(keys)
    yield "pyarrow string", pa.array([v.decode() for v in values]), None
    yield (
        "pyarrow chunked",
        pa.chunked_array([values[:100], [], values[100:]], pa.binary()),
        pa.chunked_array([keys[:7], keys[7:]], pa.binary()),
    )
    yield "pyarrow sliced", pa.array([b"skip", *values], pa.binary()).slice(1), None


def test_produce_batch_columns_every_input_kind(conf):
    create_topic(conf, "columns", partitions=3)
    p = shoal.Producer(conf)
    expected = []
    for name, values, keys in column_inputs():
        got = p.produce_batch("columns", values, keys=keys, partition=0)
        assert got == len(values), name
        vals = [bytes(v) if not isinstance(v, str) else v.encode() for v in _as_list(values)]
        if name == "numpy 2-D uint8":
            vals = [v.tobytes() for v in values]
        ks = [None] * len(vals) if keys is None else [_b(k) for k in _as_list(keys)]
        expected += list(zip(ks, vals, strict=True))
    assert p.flush(30) == 0
    got = consume_all(conf, "columns", len(expected), partitions=1)
    assert [(m.key(), m.value()) for m in got] == expected


def _as_list(col) -> list:
    if hasattr(col, "to_pylist"):
        return col.to_pylist()
    if hasattr(col, "tolist"):
        return col.tolist()
    return list(col)


def _b(v) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def test_produce_batch_columns_nulls_timestamps_callbacks_and_keyed_partitioning(conf):
    create_topic(conf, "col-cb", partitions=4)
    pa = pytest.importorskip("pyarrow")
    p = shoal.Producer(conf)
    reports = []
    values = pa.array([b"a", None, b"c", b""], pa.binary())
    keys = [b"k1", b"k2", None, b"k4"]
    n = p.produce_batch(
        "col-cb",
        values,
        keys=keys,
        timestamp=1_650_000_000_000,
        on_delivery=lambda err, msg: reports.append((err, msg)),
    )
    assert n == 4 and len(p) == 4
    assert p.flush(30) == 0 and len(p) == 0
    assert all(err is None for err, _ in reports)
    got = {(m.key(), m.value()) for _, m in reports}
    assert got == {(b"k1", b"a"), (b"k2", None), (None, b"c"), (b"k4", b"")}
    for _, m in reports:
        assert m.timestamp() == (shoal.TIMESTAMP_CREATE_TIME, 1_650_000_000_000)
        if m.key() is not None:
            assert m.partition() == shoal.murmur2(m.key(), 4)
    consumed = consume_all(conf, "col-cb", 4, partitions=4)
    assert {(m.key(), m.value()) for m in consumed} == got


def test_produce_batch_columns_bad_input_queues_nothing(conf):
    create_topic(conf, "col-bad", partitions=2)
    p = shoal.Producer(conf)
    cases = [
        (b"abc", TypeError, "not one bytes"),
        ("abc", TypeError, "not one str"),
        ([b"a", 3], TypeError, r"values\[1\]"),
        (42, TypeError, "int"),
    ]
    np = pytest.importorskip("numpy")
    cases += [
        (np.arange(3), TypeError, "no byte strings"),
        (np.zeros(3, dtype=np.uint8), TypeError, "2-D uint8"),
    ]
    pa = pytest.importorskip("pyarrow")
    cases += [
        (pa.array([1, 2]), TypeError, "not binary"),
        (pa.array([b"a"], pa.binary_view()), TypeError, "not binary"),
    ]
    for values, exc, what in cases:
        with pytest.raises(exc, match=what):
            p.produce_batch("col-bad", values)
    with pytest.raises(ValueError, match="one key per value"):
        p.produce_batch("col-bad", [b"a", b"b"], keys=[b"k"])
    with pytest.raises(shoal.KafkaException) as ei:
        p.produce_batch("col-bad", [b"ok", b"x" * 2_000_000, b"ok"])
    assert ei.value.args[0].code() == shoal.KafkaError.MSG_SIZE_TOO_LARGE
    assert "values[1]" in ei.value.args[0].str()
    with pytest.raises(shoal.KafkaException) as ei:
        p.produce_batch("col-bad", [b"a"], partition=2)
    assert ei.value.args[0].code() == shoal.KafkaError._UNKNOWN_PARTITION
    assert len(p) == 0
    assert p.produce_batch("col-bad", []) == 0


@pytest.mark.parametrize("kind", ["list", "numpy", "pyarrow"])
def test_produce_batch_columns_full_queue_returns_the_count_to_resume_from(conf, kind):
    create_topic(conf, f"col-full-{kind}")
    topic = f"col-full-{kind}"
    values = [f"{i:04d}".encode() for i in range(250)]
    if kind == "numpy":
        values = pytest.importorskip("numpy").array(values)
    elif kind == "pyarrow":
        values = pytest.importorskip("pyarrow").array(values, type="binary")
    p = shoal.Producer(
        {
            **conf,
            "queue.buffering.max.messages": 100,
            "linger.ms": 60_000,
            "batch.num.messages": 1000,
        }
    )
    assert p.produce_batch(topic, values) == 100  # records 0..99: no partial record
    assert len(p) == 100
    assert p.produce_batch(topic, values[100:]) == 0  # still full: nothing, no exception
    assert p.flush(30) == 0
    assert p.produce_batch(topic, values[100:]) == 100  # resumed at record 100
    assert p.flush(30) == 0
    # The loop of the docstring, with batches sent as they fill: the queue drains as it goes.
    p = shoal.Producer({**conf, "queue.buffering.max.messages": 20, "batch.num.messages": 10})
    produce_all(p, topic, values[200:])
    assert p.flush(30) == 0
    got = consume_all(conf, topic, 250)
    assert [m.value() for m in got] == [f"{i:04d}".encode() for i in range(250)]


def test_full_queue_by_kbytes_stops_the_batch_too(conf):
    create_topic(conf, "col-kbytes")
    p = shoal.Producer({**conf, "queue.buffering.max.kbytes": 10, "linger.ms": 60_000})
    n = p.produce_batch("col-kbytes", [b"x" * 1000] * 50)
    assert 0 < n < 50 and len(p) == n
    with pytest.raises(BufferError):
        p.produce("col-kbytes", b"x" * 1000)
    assert p.flush(30) == 0


# ---- delivery: flush, callbacks ----------------------------------------------------------


def test_flush_returns_zero_once_everything_is_delivered(conf):
    create_topic(conf, "flush")
    p = shoal.Producer({**conf, "linger.ms": 60_000})
    delivered = []
    p.produce_batch("flush", [b"a"] * 500, on_delivery=lambda err, msg: delivered.append(err))
    for _ in range(10):
        p.produce("flush", b"b", on_delivery=lambda err, msg: delivered.append(err))
    assert len(p) == 510  # nothing sent yet: linger.ms is a minute
    assert 0 <= p.flush(0) <= 510  # sends at once, returns what is still waiting
    assert p.flush(30) == 0
    assert len(p) == 0 and len(delivered) == 510 and not any(delivered)
    assert p.flush(0) == 0


def _boom(err, msg):
    raise RuntimeError("from the callback")


def test_exception_in_delivery_callback_reaches_the_caller_of_poll(conf):
    create_topic(conf, "cb-poll")
    p = shoal.Producer(conf)
    p.produce("cb-poll", b"x", on_delivery=_boom)
    deadline = time.monotonic() + 30
    with pytest.raises(RuntimeError, match="from the callback"):
        while time.monotonic() < deadline:
            p.poll(0.1)
    assert p.flush(10) == 0


def test_exception_in_a_batch_callback_reaches_flush_and_the_rest_are_served_after(conf):
    create_topic(conf, "cb-batch")
    p = shoal.Producer(conf)
    served = []

    def cb(err, msg):
        served.append(msg.value())
        if msg.value() == b"2":
            raise RuntimeError("from the callback")

    p.produce_batch("cb-batch", [str(i).encode() for i in range(5)], on_delivery=cb)
    with pytest.raises(RuntimeError, match="from the callback"):
        p.flush(30)
    assert p.flush(30) == 0
    assert served == [b"0", b"1", b"2", b"3", b"4"]


# ---- timestamps --------------------------------------------------------------------------


def test_log_append_time_topic_stamps_reports_and_records_with_the_broker_time(conf):
    create_topic(conf, "lat", **{"message.timestamp.type": "LogAppendTime"})
    p = shoal.Producer(conf)
    reports = []
    before = int(time.time() * 1000)
    p.produce("lat", b"one", timestamp=1_000_000, on_delivery=lambda e, m: reports.append(m))
    p.produce_batch(
        "lat", [b"two", b"three"], timestamp=2_000_000, on_delivery=lambda e, m: reports.append(m)
    )
    p.produce_batch(
        "lat",
        [{"value": b"four", "timestamp": 3_000_000}],
        on_delivery=lambda e, m: reports.append(m),
    )
    assert p.flush(30) == 0
    after = int(time.time() * 1000)
    assert len(reports) == 4
    for m in reports:
        kind, ts = m.timestamp()
        assert kind == shoal.TIMESTAMP_LOG_APPEND_TIME
        assert before - 1000 <= ts <= after + 1000  # the broker's clock, not the producer's
    stamped = {m.offset(): m.timestamp() for m in reports}
    got = consume_all(conf, "lat", 4)
    assert [m.value() for m in got] == [b"one", b"two", b"three", b"four"]
    for m in got:
        assert m.timestamp() == stamped[m.offset()]


def test_create_time_topic_keeps_the_producer_timestamps(conf):
    create_topic(conf, "ct")
    p = shoal.Producer(conf)
    p.produce_batch("ct", [b"a", b"b"], timestamp=1_234_567)
    before = int(time.time() * 1000)
    p.produce_batch("ct", [b"c"])
    assert p.flush(30) == 0
    got = consume_all(conf, "ct", 3)
    assert [m.timestamp() for m in got[:2]] == [(shoal.TIMESTAMP_CREATE_TIME, 1_234_567)] * 2
    assert got[2].timestamp()[0] == shoal.TIMESTAMP_CREATE_TIME
    assert got[2].timestamp()[1] >= before - 1000


# ---- a script using only produce_batch, in another process -------------------------------


def test_produce_batch_from_another_process_with_numpy(conf, tmp_path):
    pytest.importorskip("numpy")
    create_topic(conf, "np-proc", partitions=2)
    script = tmp_path / "produce.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import numpy as np
            import shoal
            p = shoal.Producer({{"bootstrap.servers": "{conf["bootstrap.servers"]}"}})
            values = np.array([b"%06d" % i for i in range(100_000)])
            done = 0
            while done < len(values):
                done += p.produce_batch("np-proc", values[done:], partition=done % 2)
                if done < len(values):
                    p.poll(0.01)
            assert p.flush(60) == 0
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = consume_all(conf, "np-proc", 100_000, partitions=2)
    assert sorted(m.value() for m in got) == [b"%06d" % i for i in range(100_000)]


# ---- shoal perf producer -----------------------------------------------------------------


def test_perf_producer_runs_every_codec_on_each_path(conf, capsys):
    from shoal import cli
    from shoal.bench import producer as perf

    assert perf.parse_codecs("all") == list(perf.CODECS)
    assert perf.parse_codecs("LZ4, zstd") == ["lz4", "zstd"]
    with pytest.raises(ValueError):
        perf.parse_codecs("brotli")
    for kind in perf.PAYLOADS:
        payloads = perf.make_payloads(kind, 100, count=50)
        assert len(payloads) == 50 and {len(p) for p in payloads} == {100}
        assert len(set(payloads)) == 50
    letters = perf.make_payloads("kafka", 100, count=50)
    assert set(b"".join(letters)) <= set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert perf.compression_ratio("lz4", perf.make_payloads("json", 100), 10_000, 1_000_000) < 0.5

    servers = conf["bootstrap.servers"]
    base = ["perf", "producer", "--bootstrap-server", servers, "--topic", "perf-cli"]
    base += ["--num-records", "3000", "--producer-props", "acks=1"]
    for extra in (["--batch-api", "numpy"], ["--batch-api"], ["--native"], []):
        args = [*base, *extra, "--compression-type", "all", "--payload", "json"]
        args += ["--batch-size", "100000", "--linger-ms", "2"]
        assert cli.main(args) == 0
        out = capsys.readouterr().out.splitlines()
        assert [line.split(":")[0] for line in out[:5]] == [
            f"compression.type={c}" for c in perf.CODECS
        ]
        assert all("3000 records sent" in line for line in out[:5])
        assert out[5].startswith("against none: gzip ")
    # Each Python run also sends one record first, to look the topic up.
    expected = 3 * 5 * 3001 + 5 * 3000
    assert len(consume_all(conf, "perf-cli", expected, timeout=120)) == expected
