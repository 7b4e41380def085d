"""Errors, as confluent-kafka-python shows them: ``KafkaError``, ``KafkaException`` and the
client error classes of ``confluent_kafka.error``.

Codes, names and texts come from the C++ core (``cpp/common/errc.h``, through
``shoal._core.error_codes()``), which numbers them as Kafka and librdkafka do: broker errors
use Kafka's protocol codes and librdkafka's names (``UNKNOWN_TOPIC_OR_PART``), errors raised
in the client use librdkafka's negative codes (``_PARTITION_EOF``, ``_TIMED_OUT``).
"""

from __future__ import annotations

import builtins
from typing import Any

from shoal import _core

__all__ = [
    "ConsumeError",
    "KafkaError",
    "KafkaException",
    "KeyDeserializationError",
    "KeySerializationError",
    "ProduceError",
    "SerializationError",
    "ValueDeserializationError",
    "ValueSerializationError",
]

_CODES: list[tuple[str, int, bool, str]] = _core.error_codes()
_NAMES: dict[int, str] = {code: name for name, code, _, _ in _CODES}
_DESCRIPTIONS: dict[int, str] = {code: text for _, code, _, text in _CODES}
_RETRIABLE: frozenset[int] = frozenset(code for _, code, retriable, _ in _CODES if retriable)
_CODE_OF: dict[str, int] = {name: code for name, code, _, _ in _CODES}


def _err2name(code: int) -> str:
    """librdkafka's rd_kafka_err2name(): the name, or ``ERR_<n>?`` for an unknown code."""
    return _NAMES.get(code, f"ERR_{code}?")


def _err2str(code: int) -> str:
    """librdkafka's rd_kafka_err2str(): the text, or ``Err-<n>?`` for an unknown code."""
    return _DESCRIPTIONS.get(code, f"Err-{code}?")


def _c_int(value: Any, what: str, bits: int = 32) -> int:
    """Converts as the C API's ``i`` (``L`` with bits=64) format does, which is how
    confluent-kafka reads codes, partitions and offsets: any integer, bool included, that fits
    a signed integer of that width."""
    index = getattr(type(value), "__index__", None)
    if index is None:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}")
    n = index(value)
    if not -(2 ** (bits - 1)) <= n < 2 ** (bits - 1):
        raise OverflowError(f"{what} does not fit a {bits}-bit signed integer: {n}")
    return n


class KafkaError:
    """A Kafka error or event: a code with its name, a human-readable reason and flags.

    ``KafkaError(error, reason=None, fatal=False, retriable=False, txn_requires_abort=False)``

    ``error`` is a code, for example ``KafkaError.UNKNOWN_TOPIC_OR_PART`` (3) or
    ``KafkaError._PARTITION_EOF`` (-191); ``reason`` defaults to the code's description
    ("Broker: Unknown topic or partition"). A KafkaError compares and hashes as its code, so
    ``err == KafkaError._PARTITION_EOF`` and ``err.code() == KafkaError._PARTITION_EOF`` both
    work. It is a value, not an exception: Shoal raises ``KafkaException(err)``.

    Comparing with something that is neither a KafkaError nor an integer returns
    NotImplemented (so ``==`` is False), where confluent-kafka raises an error.

    Class attributes: one int per code, named as librdkafka names it (listed below). The few
    Kafka codes librdkafka does not define (98, 99, 101, 102, 104-108) are here too, under
    Kafka's own names: ``KafkaError(98).name()`` is ``"SNAPSHOT_NOT_FOUND"`` where
    confluent-kafka says ``"ERR_98?"``.
    """

    __slots__ = ("_code", "_fatal", "_reason", "_retriable", "_txn_requires_abort")

    _code: int
    _reason: builtins.str
    _fatal: bool
    _retriable: bool
    _txn_requires_abort: bool

    def __init__(
        self,
        error: int,
        reason: builtins.str | None = None,
        fatal: bool = False,
        retriable: bool = False,
        txn_requires_abort: bool = False,
    ) -> None:
        code = _c_int(error, "KafkaError() argument 'error'")
        if reason is not None and not isinstance(reason, builtins.str):
            raise TypeError(
                f"KafkaError() argument 'reason' must be str or None, not {type(reason).__name__}"
            )
        self._code = code
        self._reason = _err2str(code) if reason is None else reason
        self._fatal = bool(_c_int(fatal, "KafkaError() argument 'fatal'"))
        self._retriable = bool(_c_int(retriable, "KafkaError() argument 'retriable'"))
        self._txn_requires_abort = bool(
            _c_int(txn_requires_abort, "KafkaError() argument 'txn_requires_abort'")
        )

    def code(self) -> int:
        """The error code, to compare with ``KafkaError.<NAME>``."""
        return self._code

    def name(self) -> builtins.str:
        """The code's name (``"_PARTITION_EOF"``, ``"UNKNOWN_TOPIC_OR_PART"``)."""
        return _err2name(self._code)

    def str(self) -> builtins.str:
        """The human-readable reason."""
        return self._reason

    def fatal(self) -> bool:
        """True if the error is fatal: the client that raised it can no longer be used."""
        return self._fatal

    def retriable(self) -> bool:
        """True if the operation that failed may be retried."""
        return self._retriable

    def txn_requires_abort(self) -> bool:
        """True if the current transaction must be aborted before going on (transactional
        producer only)."""
        return self._txn_requires_abort

    def __repr__(self) -> builtins.str:
        fatal = "FATAL," if self._fatal else ""
        return f'KafkaError{{{fatal}code={self.name()},val={self._code},str="{self._reason}"}}'

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            KafkaError,
            (self._code, self._reason, self._fatal, self._retriable, self._txn_requires_abort),
        )

    def __hash__(self) -> int:
        return hash(self._code)

    def _other_code(self, other: object) -> int | None:
        if isinstance(other, KafkaError):
            return other._code
        index = getattr(type(other), "__index__", None)
        return None if index is None else index(other)

    def __eq__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code == code

    def __ne__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code != code

    def __lt__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code < code

    def __le__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code <= code

    def __gt__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code > code

    def __ge__(self, other: object) -> bool:
        code = self._other_code(other)
        return NotImplemented if code is None else self._code >= code


def _add_code_attributes() -> None:
    rows = []
    for name, code, _, text in _CODES:
        setattr(KafkaError, name, code)
        rows.append(f"    {name:<40} {code:>5}  {text}")
    KafkaError.__doc__ = (KafkaError.__doc__ or "") + "\n" + "\n".join(rows) + "\n"


_add_code_attributes()


def _error_for(code: int, reason: str | None = None, fatal: bool = False) -> KafkaError:
    """The KafkaError Shoal's clients report for ``code``, with ``retriable()`` taken from the
    code table in cpp/common/errc.h: for broker codes, Kafka's classification (its
    RetriableException subclasses: NOT_LEADER_FOR_PARTITION, NOT_ENOUGH_REPLICAS,
    REQUEST_TIMED_OUT, ...); for client codes, those a retry can cure (_TIMED_OUT,
    _QUEUE_FULL, _TRANSPORT, ...).

    This is a deliberate difference from confluent-kafka, where only errors that librdkafka
    returns as rd_kafka_error_t objects carry the retriable flag and errors from a bare code
    (delivery reports, message and partition errors) always say False. Code that checks
    ``retriable()`` works with both; on Shoal it is simply right more often.
    """
    return KafkaError(code, reason, fatal=fatal, retriable=code in _RETRIABLE)


class KafkaException(Exception):
    """Raised by Shoal's clients. ``args[0]`` is the KafkaError (confluent-kafka's convention),
    so ``exc.args[0].code()`` gives the code."""


class SerializationError(KafkaException):
    """A serializer or deserializer failed: confluent-kafka's
    ``confluent_kafka.serialization.SerializationError``. It lives here, next to the client
    errors that subclass it, for ``shoal.serialization`` to re-export."""


class _KafkaClientError(KafkaException):
    """A client error that keeps the original exception and message.

    Args:
        kafka_error: the KafkaError.
        exception: the exception that caused it, if any.
        kafka_message: the Message involved, if any.
    """

    def __init__(
        self,
        kafka_error: KafkaError,
        exception: BaseException | None = None,
        kafka_message: Any = None,
    ) -> None:
        super().__init__(kafka_error)
        self.exception = exception
        self.kafka_message = kafka_message

    @property
    def code(self) -> int:
        """The KafkaError's code."""
        return self.args[0].code()

    @property
    def name(self) -> str:
        """The KafkaError's code name."""
        return self.args[0].name()


class ConsumeError(_KafkaClientError):
    """An error while consuming a message. After a deserialization error the raw message is in
    ``kafka_message``."""

    def __init__(
        self,
        kafka_error: KafkaError,
        exception: BaseException | None = None,
        kafka_message: Any = None,
    ) -> None:
        super().__init__(kafka_error, exception, kafka_message)


class KeyDeserializationError(ConsumeError, SerializationError):
    """The key deserializer failed (code ``_KEY_DESERIALIZATION``)."""

    def __init__(self, exception: BaseException | None = None, kafka_message: Any = None) -> None:
        super().__init__(
            KafkaError(_CODE_OF["_KEY_DESERIALIZATION"], str(exception)),
            exception=exception,
            kafka_message=kafka_message,
        )


class ValueDeserializationError(ConsumeError, SerializationError):
    """The value deserializer failed (code ``_VALUE_DESERIALIZATION``)."""

    def __init__(self, exception: BaseException | None = None, kafka_message: Any = None) -> None:
        super().__init__(
            KafkaError(_CODE_OF["_VALUE_DESERIALIZATION"], str(exception)),
            exception=exception,
            kafka_message=kafka_message,
        )


class ProduceError(_KafkaClientError):
    """An error while producing a message."""

    def __init__(self, kafka_error: KafkaError, exception: BaseException | None = None) -> None:
        super().__init__(kafka_error, exception, None)


class KeySerializationError(ProduceError, SerializationError):
    """The key serializer failed (code ``_KEY_SERIALIZATION``)."""

    def __init__(self, exception: BaseException | None = None) -> None:
        super().__init__(
            KafkaError(_CODE_OF["_KEY_SERIALIZATION"], str(exception)),
            exception=exception,
        )


class ValueSerializationError(ProduceError, SerializationError):
    """The value serializer failed (code ``_VALUE_SERIALIZATION``)."""

    def __init__(self, exception: BaseException | None = None) -> None:
        super().__init__(
            KafkaError(_CODE_OF["_VALUE_SERIALIZATION"], str(exception)),
            exception=exception,
        )
