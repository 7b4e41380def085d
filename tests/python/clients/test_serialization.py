"""shoal.serialization, SerializingProducer and DeserializingConsumer: the serializers write
the bytes Kafka's Java serializers (and confluent-kafka-python's) write, None stays Kafka's
null, failures raise the error types confluent-kafka raises, and records round-trip through a
broker."""

from __future__ import annotations

import math
import random
import struct
import time

import pytest

import shoal
import shoal.error
import shoal.serialization
from conftest import consume_all, create_topic
from shoal.serialization import (
    Deserializer,
    DoubleDeserializer,
    DoubleSerializer,
    IntegerDeserializer,
    IntegerSerializer,
    MessageField,
    SerializationContext,
    SerializationError,
    Serializer,
    StringDeserializer,
    StringSerializer,
)

# Sample inputs, fixed by the seed: edge values plus random ones. Not hypothesis: with @given
# tests in this module, pytest aborted at exit (rc 134) once the C++ core had made a KafkaError,
# as cpp/bindings/py_util.cc keeps shoal.error._error_for in a static py::object that is
# released after Python has finalized.
_rng = random.Random(8)
INTS = [0, 1, -1, 127, 128, -128, 2**31 - 1, -(2**31), 2**16, -(2**16)]
INTS += [_rng.randint(-(2**31), 2**31 - 1) for _ in range(200)]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 1e308, -1e308, 5e-324, 2.2250738585072014e-308]
FLOATS += [math.inf, -math.inf, 1 / 3, 2.0**53 + 1]
FLOATS += [struct.unpack(">d", _rng.randbytes(8))[0] for _ in range(200)]
FLOATS = [x for x in FLOATS if not math.isnan(x)]
TEXTS = ["", "a", "héllo €", "\U0001f600", "\x00", "a\u0301", "\ud7ff\ue000\uffff", "x" * 10_000]
TEXTS += [
    "".join(chr(_rng.choice([_rng.randrange(0x80), _rng.randrange(0xD800)])) for _ in range(20))
    for _ in range(100)
]

# --- the module --------------------------------------------------------------------------------


@pytest.mark.unit
def test_serialization_error_is_the_one_the_client_errors_subclass():
    assert SerializationError is shoal.error.SerializationError
    assert issubclass(SerializationError, shoal.KafkaException)
    for cls in (
        shoal.KeySerializationError,
        shoal.ValueSerializationError,
        shoal.KeyDeserializationError,
        shoal.ValueDeserializationError,
    ):
        assert issubclass(cls, SerializationError)


@pytest.mark.unit
def test_message_field():
    assert [f.name for f in MessageField] == ["NONE", "KEY", "VALUE"]
    assert MessageField.KEY == "key" and MessageField.VALUE == "value"
    assert MessageField.NONE == "none"
    assert isinstance(MessageField.KEY, str)
    assert str(MessageField.VALUE) == "value" and f"{MessageField.KEY}" == "key"
    assert MessageField("key") is MessageField.KEY


@pytest.mark.unit
def test_serialization_context():
    ctx = SerializationContext("t", MessageField.KEY)
    assert (ctx.topic, ctx.field, ctx.headers) == ("t", MessageField.KEY, None)
    ctx = SerializationContext("t", MessageField.VALUE, [("h", b"1")])
    assert ctx.headers == [("h", b"1")]
    ctx.field = MessageField.KEY
    assert ctx.field is MessageField.KEY


@pytest.mark.unit
def test_base_classes_are_abstract():
    with pytest.raises(NotImplementedError):
        Serializer()(1)
    with pytest.raises(NotImplementedError):
        Deserializer()(b"")
    for s in (StringSerializer(), IntegerSerializer(), DoubleSerializer()):
        assert isinstance(s, Serializer)
    for d in (StringDeserializer(), IntegerDeserializer(), DoubleDeserializer()):
        assert isinstance(d, Deserializer)


# --- known bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "data"),
    [
        (0, b"\x00\x00\x00\x00"),
        (1, b"\x00\x00\x00\x01"),
        (-1, b"\xff\xff\xff\xff"),
        (256, b"\x00\x00\x01\x00"),
        (2**31 - 1, b"\x7f\xff\xff\xff"),
        (-(2**31), b"\x80\x00\x00\x00"),
        (True, b"\x00\x00\x00\x01"),
    ],
)
@pytest.mark.unit
def test_integer_bytes(n, data):
    assert IntegerSerializer()(n) == data
    assert IntegerDeserializer()(data) == n


@pytest.mark.parametrize(
    ("x", "data"),
    [
        (0.0, b"\x00" * 8),
        (-0.0, b"\x80" + b"\x00" * 7),
        (1.0, b"\x3f\xf0" + b"\x00" * 6),
        (-2.5, b"\xc0\x04" + b"\x00" * 6),
        (math.inf, b"\x7f\xf0" + b"\x00" * 6),
        (-math.inf, b"\xff\xf0" + b"\x00" * 6),
        (5e-324, b"\x00" * 7 + b"\x01"),
    ],
)
@pytest.mark.unit
def test_double_bytes(x, data):
    assert DoubleSerializer()(x) == data
    back = DoubleDeserializer()(data)
    assert back == x and math.copysign(1, back) == math.copysign(1, x)


@pytest.mark.unit
def test_double_nan_and_int():
    assert math.isnan(DoubleDeserializer()(DoubleSerializer()(math.nan)))
    assert DoubleSerializer()(3) == DoubleSerializer()(3.0)


@pytest.mark.unit
def test_string_bytes_and_codecs():
    assert StringSerializer()("héllo €") == "héllo €".encode()
    assert StringSerializer()("") == b""
    assert StringSerializer("latin_1")("é") == b"\xe9"
    assert StringSerializer("utf_16_be")("ab") == b"\x00a\x00b"
    assert StringDeserializer()(b"h\xc3\xa9") == "hé"
    assert StringDeserializer("latin_1")(b"\xe9") == "é"
    assert StringDeserializer()(bytearray(b"ab")) == "ab"
    assert StringDeserializer()(memoryview(b"ab")) == "ab"
    assert StringSerializer().codec == "utf_8" and StringDeserializer("ascii").codec == "ascii"


@pytest.mark.unit
def test_ctx_is_optional_and_ignored():
    ctx = SerializationContext("t", MessageField.VALUE)
    assert IntegerSerializer()(7, ctx) == IntegerSerializer()(7)
    assert StringDeserializer()(b"x", ctx) == "x"


@pytest.mark.parametrize(
    "serde",
    [
        StringSerializer(),
        StringDeserializer(),
        IntegerSerializer(),
        IntegerDeserializer(),
        DoubleSerializer(),
        DoubleDeserializer(),
    ],
    ids=lambda s: type(s).__name__,
)
@pytest.mark.unit
def test_none_is_kafka_null(serde):
    assert serde(None) is None
    assert serde(None, SerializationContext("t", MessageField.KEY)) is None


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.unit
def test_integer_round_trip():
    for n in INTS:
        data = IntegerSerializer()(n)
        assert data == n.to_bytes(4, "big", signed=True)
        assert IntegerDeserializer()(data) == n


@pytest.mark.unit
def test_double_round_trip():
    for x in FLOATS:
        data = DoubleSerializer()(x)
        assert data == struct.pack(">d", x)
        assert DoubleDeserializer()(data) == x


@pytest.mark.unit
def test_string_round_trip():
    for s in TEXTS:
        assert StringDeserializer()(StringSerializer()(s)) == s
    for codec in ("utf_16", "utf_32_le", "latin_1"):
        for s in TEXTS if codec != "latin_1" else ["", "abc", "é\xff"]:
            assert StringDeserializer(codec)(StringSerializer(codec)(s)) == s


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serde", "bad"),
    [
        (IntegerSerializer(), 2**31),
        (IntegerSerializer(), -(2**31) - 1),
        (IntegerSerializer(), 1.5),
        (IntegerSerializer(), "1"),
        (IntegerSerializer(), b"\x00\x00\x00\x01"),
        (IntegerDeserializer(), b"\x00\x00\x01"),
        (IntegerDeserializer(), b"\x00" * 5),
        (IntegerDeserializer(), b""),
        (IntegerDeserializer(), "abcd"),
        (DoubleSerializer(), "1.0"),
        (DoubleSerializer(), 10**400),
        (DoubleDeserializer(), b"\x00" * 4),
        (DoubleDeserializer(), 1.0),
        (StringSerializer(), 5),
        (StringSerializer(), b"bytes"),
        (StringSerializer("ascii"), "é"),
        (StringSerializer("no-such-codec"), "x"),
        (StringDeserializer(), b"\xff\xfe\xc3"),
        (StringDeserializer("ascii"), b"\x80"),
        (StringDeserializer(), "already text"),
        (StringDeserializer(), 5),
    ],
)
@pytest.mark.unit
def test_bad_input_raises_serialization_error(serde, bad):
    with pytest.raises(SerializationError):
        serde(bad)


@pytest.mark.unit
def test_error_texts_say_what_was_wrong():
    with pytest.raises(SerializationError, match="4 bytes"):
        IntegerDeserializer()(b"\x00")
    with pytest.raises(SerializationError, match="2147483647"):
        IntegerSerializer()(2**31)
    with pytest.raises(SerializationError, match="needs a str, not int"):
        StringSerializer()(5)
    with pytest.raises(SerializationError, match="utf-8"):
        StringDeserializer()(b"\xff")


# --- the same bytes as confluent-kafka ----------------------------------------------------------

SAME_INPUTS = [
    ("StringSerializer", ("utf_8",), ["", "a", "héllo €", "\U0001f600", "x" * 1000]),
    ("StringSerializer", ("latin_1",), ["", "é", "abc"]),
    ("StringSerializer", ("utf_16",), ["", "ab"]),
    ("IntegerSerializer", (), [0, 1, -1, 255, 2**31 - 1, -(2**31), True]),
    ("DoubleSerializer", (), [0.0, -0.0, 1.0, -2.5, 1e308, 5e-324, math.inf, -math.inf, 7]),
]


@pytest.mark.unit
@pytest.mark.parametrize(("name", "args", "inputs"), SAME_INPUTS, ids=lambda x: str(x)[:20])
def test_bytes_match_confluent_kafka(name, args, inputs):
    ck = pytest.importorskip("confluent_kafka.serialization")
    ours, theirs = getattr(shoal.serialization, name)(*args), getattr(ck, name)(*args)
    ctx = SerializationContext("t", MessageField.VALUE)
    ck_ctx = ck.SerializationContext("t", ck.MessageField.VALUE)
    for x in [*inputs, None]:
        assert ours(x, ctx) == theirs(x, ck_ctx), x
    nan = float("nan")
    if name == "DoubleSerializer":
        assert ours(nan) == theirs(nan)


@pytest.mark.unit
def test_bytes_and_objects_match_confluent_kafka():
    ck = pytest.importorskip("confluent_kafka.serialization")
    for n in INTS:
        data = ck.IntegerSerializer()(n)
        assert IntegerSerializer()(n) == data
        assert IntegerDeserializer()(data) == ck.IntegerDeserializer()(data) == n
    for x in FLOATS:
        data = ck.DoubleSerializer()(x)
        assert DoubleSerializer()(x) == data
        assert DoubleDeserializer()(data) == ck.DoubleDeserializer()(data) == x
    for s in TEXTS:
        data = ck.StringSerializer()(s)
        assert StringSerializer()(s) == data
        assert StringDeserializer()(data) == ck.StringDeserializer()(data) == s


@pytest.mark.parametrize(
    ("name", "args", "bad"),
    [
        ("IntegerSerializer", (), 2**31),
        ("IntegerSerializer", (), "1"),
        ("IntegerDeserializer", (), b"\x00\x00\x01"),
        ("DoubleSerializer", (), "1.0"),
        ("DoubleDeserializer", (), b"\x00"),
        ("StringSerializer", ("ascii",), "é"),
        ("StringDeserializer", (), b"\xff"),
    ],
)
@pytest.mark.unit
def test_where_confluent_kafka_raises_serialization_error_so_does_shoal(name, args, bad):
    ck = pytest.importorskip("confluent_kafka.serialization")
    with pytest.raises(ck.SerializationError) as theirs:
        getattr(ck, name)(*args)(bad)
    with pytest.raises(SerializationError) as ours:
        getattr(shoal.serialization, name)(*args)(bad)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.unit
def test_module_names_match_confluent_kafka():
    ck = pytest.importorskip("confluent_kafka.serialization")
    not_yet = {"SerializerBuilder", "DeserializerBuilder"}  # experimental, confluent-kafka 2.16
    assert set(shoal.serialization.__all__) == set(ck.__all__) - not_yet
    assert [(f.name, f.value) for f in MessageField] == [(f.name, f.value) for f in ck.MessageField]


# --- SerializingProducer and DeserializingConsumer through a broker ------------------------------


@pytest.fixture(scope="module")
def bconf():
    """One one-broker cluster for the module's end-to-end tests (each uses its own topic)."""
    with shoal.Cluster(brokers=1) as c:
        yield {"bootstrap.servers": c.bootstrap_servers}


def poll_one(c, timeout=30.0):
    """The first non-None poll() result, waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None:
            return m
    pytest.fail("no message")


def deserializing_consumer(conf, topic, **serdes):
    c = shoal.DeserializingConsumer({**conf, **serdes})
    c.assign([shoal.TopicPartition(topic, 0, shoal.OFFSET_BEGINNING)])
    return c


def test_str_keys_and_int_values_round_trip(bconf):
    create_topic(bconf, "ser-round-trip")
    p = shoal.SerializingProducer(
        {**bconf, "key.serializer": StringSerializer(), "value.serializer": IntegerSerializer()}
    )
    assert isinstance(p, shoal.Producer)
    reports = []
    sent = [(f"k{i}-é", i * 1000 - 50_000) for i in range(100)]
    sent += [(None, 7), ("null-value", None)]
    for key, value in sent:
        p.produce("ser-round-trip", key, value, on_delivery=lambda e, m: reports.append((e, m)))
    assert p.flush(30) == 0
    assert len(reports) == len(sent) and all(e is None for e, _ in reports)
    # Delivery reports carry the bytes that were produced.
    assert reports[0][1].key() == "k0-é".encode()
    assert reports[0][1].value() == b"\xff\xff\x3c\xb0"

    c = deserializing_consumer(
        bconf,
        "ser-round-trip",
        **{"key.deserializer": StringDeserializer(), "value.deserializer": IntegerDeserializer()},
    )
    got = []
    for offset in range(len(sent)):
        m = poll_one(c)
        assert isinstance(m, shoal.Message)
        assert m.error() is None and m.offset() == offset and m.topic() == "ser-round-trip"
        got.append((m.key(), m.value()))
    c.close()
    assert got == sent
    assert all(isinstance(k, str) for k, _ in got[:100])
    assert all(isinstance(v, int) for _, v in got[:100])

    # A plain Consumer sees the serializers' bytes.
    raw = consume_all(bconf, "ser-round-trip", len(sent))
    assert [(m.key(), m.value()) for m in raw[:2]] == [
        ("k0-é".encode(), struct.pack(">i", -50_000)),
        ("k1-é".encode(), struct.pack(">i", -49_000)),
    ]
    assert raw[100].key() is None and raw[101].value() is None


def test_serializers_and_deserializers_see_topic_field_and_headers(bconf):
    create_topic(bconf, "ser-ctx")
    seen = []

    def ser(obj, ctx):
        seen.append(("ser", ctx.topic, ctx.field, ctx.headers))
        return None if obj is None else obj.encode()

    def de(data, ctx):
        seen.append(("de", ctx.topic, ctx.field, ctx.headers))
        return data.decode().upper()

    p = shoal.SerializingProducer({**bconf, "key.serializer": ser, "value.serializer": ser})
    headers = [("h", b"1")]
    p.produce("ser-ctx", key="k", value="v", headers=headers, partition=0, timestamp=1234)
    assert p.flush(30) == 0
    assert seen == [
        ("ser", "ser-ctx", MessageField.KEY, headers),
        ("ser", "ser-ctx", MessageField.VALUE, headers),
    ]
    seen.clear()
    c = deserializing_consumer(
        bconf, "ser-ctx", **{"key.deserializer": de, "value.deserializer": de}
    )
    m = poll_one(c)
    c.close()
    assert (m.key(), m.value(), m.timestamp()[1], m.headers()) == ("K", "V", 1234, headers)
    assert seen == [
        ("de", "ser-ctx", MessageField.KEY, headers),
        ("de", "ser-ctx", MessageField.VALUE, headers),
    ]


def test_without_serdes_keys_and_values_pass_through(bconf):
    create_topic(bconf, "ser-none")
    p = shoal.SerializingProducer(bconf)
    p.produce("ser-none", b"k", "v")
    assert p.flush(30) == 0
    c = deserializing_consumer(bconf, "ser-none", **{"value.deserializer": StringDeserializer()})
    m = poll_one(c)
    c.close()
    assert (m.key(), m.value()) == (b"k", "v")


def test_a_value_the_serializer_rejects_raises_and_produces_nothing(bconf):
    create_topic(bconf, "ser-reject")
    p = shoal.SerializingProducer(
        {**bconf, "key.serializer": StringSerializer(), "value.serializer": IntegerSerializer()}
    )
    p.produce("ser-reject", "a", 1)
    with pytest.raises(shoal.ValueSerializationError) as e:
        p.produce("ser-reject", "b", 2**31)
    err = e.value
    assert isinstance(err, shoal.ProduceError) and isinstance(err, SerializationError)
    assert err.code == shoal.KafkaError._VALUE_SERIALIZATION and err.name == "_VALUE_SERIALIZATION"
    assert isinstance(err.exception, SerializationError)
    assert err.args[0].str() == str(err.exception)
    with pytest.raises(shoal.ValueSerializationError):
        p.produce("ser-reject", "c", "not an int")

    # A key the serializer rejects: KeySerializationError, and the value serializer never runs.
    calls = []

    def value_ser(obj, ctx):
        calls.append(obj)
        return b"x"

    p2 = shoal.SerializingProducer(
        {**bconf, "key.serializer": StringSerializer(), "value.serializer": value_ser}
    )
    with pytest.raises(shoal.KeySerializationError) as e:
        p2.produce("ser-reject", 42, "v")
    assert e.value.code == shoal.KafkaError._KEY_SERIALIZATION
    assert calls == [] and len(p2) == 0
    p2.close()

    p.produce("ser-reject", "d", 4)
    assert p.flush(30) == 0
    got = consume_all(bconf, "ser-reject", 3, timeout=5)
    assert [(m.offset(), m.key(), m.value()) for m in got] == [
        (0, b"a", struct.pack(">i", 1)),
        (1, b"d", struct.pack(">i", 4)),
    ]


def test_closed_producer_and_bad_topic_are_refused_before_serializing(bconf):
    calls = []

    def ser(obj, ctx):
        calls.append(obj)
        return b"x"

    p = shoal.SerializingProducer({**bconf, "value.serializer": ser})
    with pytest.raises(TypeError):
        p.produce(b"topic", value=1)
    p.close()
    with pytest.raises(shoal.KafkaException) as e:
        p.produce("t", value=1)
    assert e.value.args[0].code() == shoal.KafkaError._DESTROY
    with shoal.SerializingProducer({**bconf, "value.serializer": ser}) as p2:
        pass
    with pytest.raises(shoal.KafkaException):
        p2.produce("t", value=1)
    assert calls == []


def test_undecodable_bytes_raise_from_poll_with_the_raw_message(bconf):
    create_topic(bconf, "ser-undecodable")
    p = shoal.Producer(bconf)
    p.produce("ser-undecodable", value=b"\x01\x02", key=b"k0")
    p.produce("ser-undecodable", value=struct.pack(">i", 5), key=b"\xff\xfe")
    p.produce("ser-undecodable", value=struct.pack(">i", 6), key=b"k2")
    assert p.flush(30) == 0

    c = deserializing_consumer(
        bconf,
        "ser-undecodable",
        **{"key.deserializer": StringDeserializer(), "value.deserializer": IntegerDeserializer()},
    )
    with pytest.raises(shoal.ValueDeserializationError) as e:
        poll_one(c)
    err = e.value
    assert isinstance(err, shoal.ConsumeError) and isinstance(err, SerializationError)
    assert err.code == shoal.KafkaError._VALUE_DESERIALIZATION
    assert isinstance(err.exception, SerializationError)
    m = err.kafka_message
    assert (m.offset(), m.key(), m.value()) == (0, b"k0", b"\x01\x02")

    with pytest.raises(shoal.KeyDeserializationError) as e:
        poll_one(c)
    assert e.value.code == shoal.KafkaError._KEY_DESERIALIZATION
    m = e.value.kafka_message
    assert (m.offset(), m.key(), m.value()) == (1, b"\xff\xfe", struct.pack(">i", 5))

    # The records that failed were consumed: the next poll returns the one after them.
    m = poll_one(c)
    assert (m.offset(), m.key(), m.value()) == (2, "k2", 6)
    c.close()


def test_events_raise_consume_error_and_consume_is_not_supported(bconf):
    create_topic(bconf, "ser-eof")
    p = shoal.Producer(bconf)
    p.produce("ser-eof", value=b"v")
    assert p.flush(30) == 0
    c = shoal.DeserializingConsumer(
        {**bconf, "enable.partition.eof": True, "value.deserializer": StringDeserializer()}
    )
    assert isinstance(c, shoal.Consumer)
    c.assign([shoal.TopicPartition("ser-eof", 0, shoal.OFFSET_BEGINNING)])
    assert poll_one(c).value() == "v"
    with pytest.raises(shoal.ConsumeError) as e:
        poll_one(c)
    assert not isinstance(e.value, SerializationError)
    assert e.value.code == shoal.KafkaError._PARTITION_EOF
    assert e.value.kafka_message.error().code() == shoal.KafkaError._PARTITION_EOF
    assert c.poll(0.1) is None
    with pytest.raises(NotImplementedError):
        c.consume()
    with pytest.raises(NotImplementedError):
        c.consume(10, timeout=1)
    c.close()


def test_generic_aliases_construct_clients(bconf):
    p = shoal.SerializingProducer[str, int]({**bconf, "value.serializer": IntegerSerializer()})
    assert isinstance(p, shoal.SerializingProducer)
    p.close()
    c = shoal.DeserializingConsumer[str, int](bconf)
    assert isinstance(c, shoal.DeserializingConsumer)
    c.close()
