"""Serializers and deserializers: confluent-kafka-python's ``confluent_kafka.serialization``.

A serializer turns an object into the bytes of a record's key or value; a deserializer turns
them back. Both are callables taking ``(obj_or_bytes, ctx)``, where ``ctx`` is a
:class:`SerializationContext` naming the topic, the field (:class:`MessageField`) and the
headers. :class:`shoal.SerializingProducer` and :class:`shoal.DeserializingConsumer` call them
for every record; they can also be called directly.

The built-in ones use the formats of Kafka's Java serializers, so their bytes are read by any
Kafka client:

=====================  ===============  ==========================================
Serializer             Python type      Bytes
=====================  ===============  ==========================================
StringSerializer       str              the text in ``codec`` (default UTF-8)
IntegerSerializer      int              int32, big-endian, two's complement
DoubleSerializer       float            IEEE 754 binary64, big-endian
=====================  ===============  ==========================================

None always stands for Kafka's null: serializing None gives None (no bytes at all, not an
empty string) and deserializing None gives None.

Failures raise :class:`SerializationError`. confluent-kafka documents that too, but lets a few
input types through as other exceptions (a non-str given to StringSerializer raises
AttributeError, a str given to IntegerDeserializer raises TypeError, an int too large for a
double raises OverflowError); Shoal raises SerializationError for those as well. Through a
SerializingProducer or DeserializingConsumer both libraries wrap any exception in the same
Key/Value(De)SerializationError, so there the behaviour is identical.
"""

from __future__ import annotations

import struct
from enum import StrEnum
from typing import Any

from shoal.error import SerializationError

__all__ = [
    "Deserializer",
    "DoubleDeserializer",
    "DoubleSerializer",
    "IntegerDeserializer",
    "IntegerSerializer",
    "MessageField",
    "SerializationContext",
    "SerializationError",
    "Serializer",
    "StringDeserializer",
    "StringSerializer",
]

_INT32 = struct.Struct(">i")
_DOUBLE = struct.Struct(">d")


class MessageField(StrEnum):
    """Which part of a record is being (de)serialized. Members are strs, as confluent-kafka's
    are: ``MessageField.KEY == "key"``, and ``str()`` and f-strings give the bare value."""

    NONE = "none"
    KEY = "key"
    VALUE = "value"


class SerializationContext:
    """What a serializer or deserializer is told about the data it handles.

    Args:
        topic: the topic the record is produced to or was consumed from.
        field: the part of the record (:class:`MessageField`).
        headers: the record's headers as given to ``produce()`` or returned by
            ``Message.headers()`` (list of ``(name, value)`` tuples, dict or None).
    """

    def __init__(self, topic: str, field: MessageField, headers: Any = None) -> None:
        self.topic = topic
        self.field = field
        self.headers = headers


class Serializer:
    """Base class of serializers: subclasses implement ``__call__(obj, ctx=None)``, returning
    bytes, or None for a None ``obj``, and raising :class:`SerializationError` on failure.
    Any callable with that signature works as well."""

    __slots__: list[str] = []

    def __call__(self, obj: Any, ctx: SerializationContext | None = None) -> bytes | None:
        raise NotImplementedError


class Deserializer:
    """Base class of deserializers: subclasses implement ``__call__(value, ctx=None)``,
    returning an object, or None for None ``value``, and raising :class:`SerializationError`
    on failure. Any callable with that signature works as well."""

    __slots__: list[str] = []

    def __call__(self, value: bytes | None, ctx: SerializationContext | None = None) -> Any:
        raise NotImplementedError


def _pack(fmt: struct.Struct, obj: Any) -> bytes:
    try:
        return fmt.pack(obj)
    except (struct.error, OverflowError) as e:
        raise SerializationError(str(e)) from e


def _unpack(fmt: struct.Struct, value: Any) -> Any:
    try:
        return fmt.unpack(value)[0]
    except (struct.error, TypeError) as e:
        raise SerializationError(str(e)) from e


class DoubleSerializer(Serializer):
    """A float as 8 bytes, IEEE 754 binary64 big-endian: Kafka's DoubleSerializer. An int, or
    any object with ``__float__``, is converted first; anything else raises
    SerializationError."""

    def __call__(self, obj: float | None, ctx: SerializationContext | None = None) -> bytes | None:
        if obj is None:
            return None
        return _pack(_DOUBLE, obj)


class DoubleDeserializer(Deserializer):
    """8 bytes, IEEE 754 binary64 big-endian, as a float: Kafka's DoubleDeserializer. Any
    other length raises SerializationError."""

    def __call__(
        self, value: bytes | None, ctx: SerializationContext | None = None
    ) -> float | None:
        if value is None:
            return None
        return _unpack(_DOUBLE, value)


class IntegerSerializer(Serializer):
    """An int in [-2**31, 2**31) as 4 bytes, big-endian two's complement: Kafka's
    IntegerSerializer. ``IntegerSerializer()(1) == b"\\x00\\x00\\x00\\x01"``. Out-of-range
    ints and non-ints raise SerializationError."""

    def __call__(self, obj: int | None, ctx: SerializationContext | None = None) -> bytes | None:
        if obj is None:
            return None
        return _pack(_INT32, obj)


class IntegerDeserializer(Deserializer):
    """4 bytes, big-endian two's complement, as an int: Kafka's IntegerDeserializer. Any other
    length raises SerializationError."""

    def __call__(self, value: bytes | None, ctx: SerializationContext | None = None) -> int | None:
        if value is None:
            return None
        return _unpack(_INT32, value)


class StringSerializer(Serializer):
    """A str as its bytes in ``codec`` (any name ``str.encode`` accepts; default ``utf_8``):
    Kafka's StringSerializer. A str the codec cannot encode, an unknown codec, or an object
    without an ``encode`` method raises SerializationError."""

    def __init__(self, codec: str = "utf_8") -> None:
        self.codec = codec

    def __call__(self, obj: str | None, ctx: SerializationContext | None = None) -> bytes | None:
        if obj is None:
            return None
        encode = getattr(obj, "encode", None)
        if not callable(encode):
            raise SerializationError(f"StringSerializer needs a str, not {type(obj).__name__}")
        try:
            return encode(self.codec)
        except (UnicodeError, LookupError, TypeError) as e:
            raise SerializationError(str(e)) from e


class StringDeserializer(Deserializer):
    """Bytes decoded as ``codec`` (default ``utf_8``) into a str: Kafka's
    StringDeserializer. Bytes that are not valid in the codec raise SerializationError."""

    def __init__(self, codec: str = "utf_8") -> None:
        self.codec = codec

    def __call__(self, value: bytes | None, ctx: SerializationContext | None = None) -> str | None:
        if value is None:
            return None
        if isinstance(value, memoryview):
            value = value.tobytes()
        decode = getattr(value, "decode", None)
        if not callable(decode):
            raise SerializationError(f"StringDeserializer needs bytes, not {type(value).__name__}")
        try:
            return decode(self.codec)
        except (UnicodeError, LookupError, TypeError) as e:
            raise SerializationError(str(e)) from e
