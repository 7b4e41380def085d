"""shoal.serialization, SerializingProducer and DeserializingConsumer: the serializers write
the bytes Kafka's Java serializers (and confluent-kafka-python's) write, None stays Kafka's
null, failures raise the error types confluent-kafka raises, and records round-trip through a
broker."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shoal
import shoal.error
import shoal.serialization
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

INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)

# --- the module --------------------------------------------------------------------------------


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


def test_message_field():
    assert [f.name for f in MessageField] == ["NONE", "KEY", "VALUE"]
    assert MessageField.KEY == "key" and MessageField.VALUE == "value"
    assert MessageField.NONE == "none"
    assert isinstance(MessageField.KEY, str)
    assert str(MessageField.VALUE) == "value" and f"{MessageField.KEY}" == "key"
    assert MessageField("key") is MessageField.KEY


def test_serialization_context():
    ctx = SerializationContext("t", MessageField.KEY)
    assert (ctx.topic, ctx.field, ctx.headers) == ("t", MessageField.KEY, None)
    ctx = SerializationContext("t", MessageField.VALUE, [("h", b"1")])
    assert ctx.headers == [("h", b"1")]
    ctx.field = MessageField.KEY
    assert ctx.field is MessageField.KEY


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
def test_double_bytes(x, data):
    assert DoubleSerializer()(x) == data
    back = DoubleDeserializer()(data)
    assert back == x and math.copysign(1, back) == math.copysign(1, x)


def test_double_nan_and_int():
    assert math.isnan(DoubleDeserializer()(DoubleSerializer()(math.nan)))
    assert DoubleSerializer()(3) == DoubleSerializer()(3.0)


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
def test_none_is_kafka_null(serde):
    assert serde(None) is None
    assert serde(None, SerializationContext("t", MessageField.KEY)) is None


# --- round trips ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(INT32)
def test_integer_round_trip(n):
    data = IntegerSerializer()(n)
    assert data == n.to_bytes(4, "big", signed=True)
    assert IntegerDeserializer()(data) == n


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False))
def test_double_round_trip(x):
    data = DoubleSerializer()(x)
    assert len(data) == 8
    assert DoubleDeserializer()(data) == x


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_string_round_trip(s):
    assert StringDeserializer()(StringSerializer()(s)) == s


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
def test_bad_input_raises_serialization_error(serde, bad):
    with pytest.raises(SerializationError):
        serde(bad)


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


@settings(max_examples=100, deadline=None)
@given(INT32, st.floats(), st.text())
def test_bytes_and_objects_match_confluent_kafka(n, x, s):
    ck = pytest.importorskip("confluent_kafka.serialization")
    assert IntegerSerializer()(n) == ck.IntegerSerializer()(n)
    assert DoubleSerializer()(x) == ck.DoubleSerializer()(x)
    assert StringSerializer()(s) == ck.StringSerializer()(s)
    data = ck.IntegerSerializer()(n)
    assert IntegerDeserializer()(data) == ck.IntegerDeserializer()(data) == n
    data = ck.StringSerializer()(s)
    assert StringDeserializer()(data) == ck.StringDeserializer()(data) == s
    data = ck.DoubleSerializer()(x)
    a, b = DoubleDeserializer()(data), ck.DoubleDeserializer()(data)
    assert struct.pack(">d", a) == struct.pack(">d", b)


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
def test_where_confluent_kafka_raises_serialization_error_so_does_shoal(name, args, bad):
    ck = pytest.importorskip("confluent_kafka.serialization")
    with pytest.raises(ck.SerializationError) as theirs:
        getattr(ck, name)(*args)(bad)
    with pytest.raises(SerializationError) as ours:
        getattr(shoal.serialization, name)(*args)(bad)
    assert str(ours.value) == str(theirs.value)


def test_module_names_match_confluent_kafka():
    ck = pytest.importorskip("confluent_kafka.serialization")
    not_yet = {"SerializerBuilder", "DeserializerBuilder"}  # experimental, confluent-kafka 2.16
    assert set(shoal.serialization.__all__) == set(ck.__all__) - not_yet
    assert [(f.name, f.value) for f in MessageField] == [(f.name, f.value) for f in ck.MessageField]
