"""What the Avro and JSON serdes share: Confluent's wire format, configuration, subjects.

The wire format (Confluent's, so any Confluent serde reads it): magic byte 0, the schema id as
a 4-byte big-endian unsigned integer, then the encoded record.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from typing import Any

from shoal.error import SerializationError
from shoal.schema_registry import topic_subject_name_strategy
from shoal.schema_registry.error import SchemaRegistryError
from shoal.schema_registry.schema_registry_client import (
    RegisteredSchema,
    Schema,
    SchemaRegistryClient,
)
from shoal.serialization import MessageField, SerializationContext

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")

SERIALIZER_CONF: dict[str, Any] = {
    "auto.register.schemas": True,
    "normalize.schemas": False,
    "use.latest.version": False,
    "subject.name.strategy": topic_subject_name_strategy,
}
DESERIALIZER_CONF: dict[str, Any] = {
    "use.latest.version": False,
    "subject.name.strategy": topic_subject_name_strategy,
}


def read_conf(conf: dict[str, Any] | None, defaults: dict[str, Any]) -> dict[str, Any]:
    """The defaults overridden by `conf`; unknown keys and wrong types are ValueErrors, as in
    confluent-kafka."""
    out = dict(defaults)
    if conf is None:
        return out
    if not isinstance(conf, dict):
        raise TypeError("conf must be a dict")
    unknown = sorted(set(conf) - set(defaults))
    if unknown:
        raise ValueError(f"Unrecognized properties: {', '.join(unknown)}")
    out.update(conf)
    for key, value in out.items():
        if key == "subject.name.strategy":
            if not callable(value):
                raise ValueError("subject.name.strategy must be callable")
        elif not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean value")
    return out


def frame(schema_id: int, payload: bytes) -> bytes:
    return _HEADER.pack(MAGIC_BYTE, schema_id) + payload


def unframe(data: bytes) -> tuple[int, memoryview]:
    """(schema id, payload) of Confluent-framed bytes; SerializationError if not framed."""
    if len(data) < _HEADER.size:
        raise SerializationError(
            f"Expecting data framing of length {_HEADER.size} bytes or more but total data "
            f"size is {len(data)} bytes. This message was not produced with a Confluent "
            "Schema Registry serializer"
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise SerializationError(
            f"Unexpected magic byte {magic}. This message was not produced with a Confluent "
            "Schema Registry serializer"
        )
    return schema_id, memoryview(data)[_HEADER.size :]


def context_or_default(ctx: SerializationContext | None) -> SerializationContext:
    return ctx if ctx is not None else SerializationContext("", MessageField.VALUE)


class SubjectIds:
    """The schema id a serializer writes with, per subject: found once (registered, looked
    up, or the latest version) and then reused."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        conf: dict[str, Any],
        parse: Callable[[Schema], Any],
    ) -> None:
        self._client = client
        self._conf = conf
        self._parse = parse
        self._lock = threading.Lock()
        self._by_subject: dict[str, tuple[int, Any]] = {}

    def get(self, subject: str, schema: Schema | None, parsed: Any) -> tuple[int, Any]:
        """(schema id, parsed schema to write with) for the subject."""
        with self._lock:
            known = self._by_subject.get(subject)
        if known is not None:
            return known
        try:
            if self._conf["use.latest.version"]:
                latest: RegisteredSchema = self._client.get_latest_version(subject)
                assert latest.schema_id is not None
                known = (latest.schema_id, self._parse(latest.schema))
            elif schema is None:
                raise SerializationError(
                    "no schema given: pass schema_str or set use.latest.version"
                )
            elif self._conf["auto.register.schemas"]:
                sid = self._client.register_schema(
                    subject, schema, normalize_schemas=self._conf["normalize.schemas"]
                )
                known = (sid, parsed)
            else:
                r = self._client.lookup_schema(
                    subject, schema, normalize_schemas=self._conf["normalize.schemas"]
                )
                assert r.schema_id is not None
                known = (r.schema_id, parsed)
        except SchemaRegistryError as e:
            raise SerializationError(f"subject {subject!r}: {e}") from e
        with self._lock:
            self._by_subject[subject] = known
        return known


def fetch_schema(client: SchemaRegistryClient, schema_id: int, subject: str | None) -> Schema:
    """The writer's schema by id; an unknown id is a SerializationError that says so."""
    try:
        return client.get_schema(schema_id, subject_name=subject)
    except SchemaRegistryError as e:
        raise SerializationError(
            f"the record's schema id {schema_id} is not in the schema registry ({e})"
        ) from e
