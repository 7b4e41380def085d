"""``DeserializingConsumer``: confluent-kafka-python's consumer that deserializes keys and
values."""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar

from shoal._core import Consumer, Message
from shoal.error import ConsumeError, KeyDeserializationError, ValueDeserializationError
from shoal.serialization import MessageField, SerializationContext

__all__ = ["DeserializingConsumer"]

K = TypeVar("K")
V = TypeVar("V")


class DeserializingConsumer(Consumer, Generic[K, V]):
    """A :class:`shoal.Consumer` whose :meth:`poll` deserializes each record's key and value.

    ``DeserializingConsumer(conf)`` takes a Consumer's configuration plus two keys of its own,
    both optional:

    * ``key.deserializer``: a callable ``(bytes | None, SerializationContext) -> object`` for
      keys, such as :class:`shoal.serialization.StringDeserializer`;
    * ``value.deserializer``: the same for values.

    :meth:`poll` returns the :class:`shoal.Message` it read with its key and value replaced by
    the deserialized objects (through ``Message.set_key`` / ``set_value``, as confluent-kafka
    does), so ``msg.key()`` and ``msg.value()`` return them; everything else about the message
    (topic, partition, offset, headers, timestamp) is as read. Without a deserializer the key
    or value stays bytes.

    :meth:`consume` is not supported (NotImplementedError), as in confluent-kafka; every other
    method is the Consumer's. The class is generic in the key and value types, as
    confluent-kafka's is: ``DeserializingConsumer[str, int](conf)``.

    Not yet in Shoal: confluent-kafka 2.16's ``key.deserializer.builder`` /
    ``value.deserializer.builder`` (refused as unknown configuration properties) and its
    ``Message.deserialized_key()`` / ``deserialized_value()`` (aliases of key() / value()).
    """

    def __init__(self, conf: dict[str, Any]) -> None:
        rest = dict(conf)
        self._key_deserializer = rest.pop("key.deserializer", None)
        self._value_deserializer = rest.pop("value.deserializer", None)
        super().__init__(rest)

    def poll(self, timeout: float = -1) -> Message | None:
        """The next record, deserialized, or None after ``timeout`` seconds (-1: no limit).

        The key is deserialized before the value. A record that fails to deserialize has still
        been consumed: the next poll() returns the record after it.

        Raises:
            KeyDeserializationError: the key deserializer raised; the original exception is in
                ``.exception`` and the message, with its raw key and value, in
                ``.kafka_message``.
            ValueDeserializationError: the same for the value (the message's key is raw too).
            ConsumeError: poll() returned an event such as _PARTITION_EOF (``msg.error()``);
                the message is in ``.kafka_message``.
        """
        msg = super().poll(timeout)
        if msg is None:
            return None
        error = msg.error()
        if error is not None:
            raise ConsumeError(error, kafka_message=msg)

        ctx = SerializationContext(msg.topic(), MessageField.KEY, msg.headers())
        key = msg.key()
        if self._key_deserializer is not None:
            try:
                key = self._key_deserializer(key, ctx)
            except Exception as e:
                raise KeyDeserializationError(exception=e, kafka_message=msg) from e

        ctx.field = MessageField.VALUE
        value = msg.value()
        if self._value_deserializer is not None:
            try:
                value = self._value_deserializer(value, ctx)
            except Exception as e:
                raise ValueDeserializationError(exception=e, kafka_message=msg) from e

        msg.set_key(key)
        msg.set_value(value)
        return msg

    def consume(self, num_messages: int = 1, timeout: float = -1) -> NoReturn:
        """Not supported, as in confluent-kafka: use :meth:`poll`."""
        raise NotImplementedError
