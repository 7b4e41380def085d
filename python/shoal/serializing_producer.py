"""``SerializingProducer``: confluent-kafka-python's producer that serializes keys and values."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from shoal._core import Producer
from shoal.error import KafkaError, KafkaException, KeySerializationError, ValueSerializationError
from shoal.serialization import MessageField, SerializationContext

__all__ = ["SerializingProducer"]

K = TypeVar("K")
V = TypeVar("V")


class SerializingProducer(Producer, Generic[K, V]):
    """A :class:`shoal.Producer` that runs a serializer over each key and value it produces.

    ``SerializingProducer(conf)`` takes a Producer's configuration plus two keys of its own,
    both optional:

    * ``key.serializer``: a callable ``(obj, SerializationContext) -> bytes | None`` for keys,
      such as :class:`shoal.serialization.StringSerializer`;
    * ``value.serializer``: the same for values.

    Without a serializer the key or value goes to :meth:`Producer.produce` as given (bytes,
    str or None). Every other method is the Producer's. The class is generic in the key and
    value types, as confluent-kafka's is: ``SerializingProducer[str, int](conf)``.

    confluent-kafka 2.16 added ``key.serializer.builder`` / ``value.serializer.builder`` (an
    experimental way to build a serializer from the configuration); Shoal does not support
    them yet and refuses them as unknown configuration properties.
    """

    def __init__(self, conf: dict[str, Any]) -> None:
        rest = dict(conf)
        self._key_serializer = rest.pop("key.serializer", None)
        self._value_serializer = rest.pop("value.serializer", None)
        self._closed = False
        super().__init__(rest)

    def produce(
        self,
        topic: str,
        key: K | None = None,
        value: V | None = None,
        partition: int = -1,
        on_delivery: Any = None,
        timestamp: int = 0,
        headers: Any = None,
    ) -> None:
        """Serializes ``key`` and ``value``, then queues the record as
        :meth:`Producer.produce` does (note the order: key before value, unlike Producer's).

        The serializers get a :class:`SerializationContext` with the topic, the field and
        ``headers``. The key is serialized first; if either serializer raises, nothing is
        queued.

        Raises:
            KeySerializationError: the key serializer raised (the original exception is in
                ``.exception``).
            ValueSerializationError: the value serializer raised.
            KafkaException (_DESTROY): the producer is closed; TypeError: ``topic`` is not a
                str. Both are checked before the serializers run, so a serializer with side
                effects (a schema registration) never sees a record that cannot be produced.
            BufferError, KafkaException: as :meth:`Producer.produce`.
        """
        if self._closed:
            raise KafkaException(KafkaError(KafkaError._DESTROY, "the producer is closed"))
        if not isinstance(topic, str):
            raise TypeError("produce() requires topic, a str")

        ctx = SerializationContext(topic, MessageField.KEY, headers)
        key_bytes: Any = key
        if self._key_serializer is not None:
            try:
                key_bytes = self._key_serializer(key, ctx)
            except Exception as e:
                raise KeySerializationError(e) from e

        ctx.field = MessageField.VALUE
        value_bytes: Any = value
        if self._value_serializer is not None:
            try:
                value_bytes = self._value_serializer(value, ctx)
            except Exception as e:
                raise ValueSerializationError(e) from e

        super().produce(
            topic,
            value_bytes,
            key_bytes,
            partition=partition,
            on_delivery=on_delivery,
            timestamp=timestamp,
            headers=headers,
        )

    def close(self, *args: Any, **kwargs: Any) -> Any:
        """As :meth:`Producer.close`."""
        self._closed = True
        return super().close(*args, **kwargs)

    def __exit__(self, *exc: Any) -> Any:
        self._closed = True
        return super().__exit__(*exc)
