"""Avro serdes: confluent-kafka-python's ``confluent_kafka.schema_registry.avro``, on fastavro.

`AvroSerializer` writes Confluent's wire format (magic byte 0, the 4-byte schema id, Avro
binary), registering the schema under the subject its strategy names (or looking it up, or
using the subject's latest version); `AvroDeserializer` reads it, resolving the writer's schema
(fetched by id) against the reader's schema when one is given: a consumer with an old schema
reads data written with a new one and the reverse, as far as the two are compatible.

Configuration (``conf``), as confluent-kafka's:

* serializer: ``auto.register.schemas`` (True), ``normalize.schemas`` (False),
  ``use.latest.version`` (False; not together with auto.register.schemas),
  ``subject.name.strategy`` (`topic_subject_name_strategy`).
* deserializer: ``use.latest.version`` (read with the subject's latest schema),
  ``subject.name.strategy``.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

import fastavro
from fastavro.validation import ValidationError, validate

from shoal.error import SerializationError
from shoal.schema_registry import _serde
from shoal.schema_registry.schema_registry_client import Schema, SchemaRegistryClient
from shoal.serialization import Deserializer, SerializationContext, Serializer

__all__ = ["AvroDeserializer", "AvroSerializer"]


def _parse(schema: Schema | str) -> Any:
    text = schema.schema_str if isinstance(schema, Schema) else schema
    try:
        return fastavro.parse_schema(json.loads(text or ""), named_schemas={})
    except (ValueError, TypeError, fastavro.schema.SchemaParseException) as e:
        raise SerializationError(f"invalid Avro schema: {e}") from e


def _record_name(parsed: Any) -> str | None:
    return parsed.get("name") if isinstance(parsed, dict) else None


class AvroSerializer(Serializer):
    """``AvroSerializer(schema_registry_client, schema_str=None, to_dict=None, conf=None)``:
    an object (a dict, or anything `to_dict(obj, ctx)` turns into one) to Confluent-framed
    Avro. A record that does not match the schema raises SerializationError naming the
    field."""

    __slots__ = ["_client", "_conf", "_ids", "_parsed", "_schema", "_to_dict"]

    def __init__(
        self,
        schema_registry_client: SchemaRegistryClient,
        schema_str: str | Schema | None = None,
        to_dict: Callable[[Any, SerializationContext], Any] | None = None,
        conf: dict[str, Any] | None = None,
    ) -> None:
        if to_dict is not None and not callable(to_dict):
            raise ValueError("to_dict must be callable with the signature to_dict(object, ctx)")
        self._conf = _serde.read_conf(conf, _serde.SERIALIZER_CONF)
        if self._conf["use.latest.version"] and self._conf["auto.register.schemas"]:
            raise ValueError("cannot enable both use.latest.version and auto.register.schemas")
        self._client = schema_registry_client
        self._to_dict = to_dict
        if isinstance(schema_str, str):
            schema_str = Schema(schema_str, schema_type="AVRO")
        self._schema = schema_str
        self._parsed = _parse(schema_str) if schema_str is not None else None
        self._ids = _serde.SubjectIds(schema_registry_client, self._conf, _parse)

    def __call__(self, obj: Any, ctx: SerializationContext | None = None) -> bytes | None:
        if obj is None:
            return None
        ctx = _serde.context_or_default(ctx)
        name = _record_name(self._parsed) if self._parsed is not None else None
        subject = self._conf["subject.name.strategy"](ctx, name)
        if subject is None:
            raise SerializationError("the subject name strategy gave no subject")
        schema_id, parsed = self._ids.get(subject, self._schema, self._parsed)
        value = self._to_dict(obj, ctx) if self._to_dict is not None else obj
        # Validated before it is written: fastavro's writer alone would encode an int field
        # of 2**40 without complaint, which no reader decodes as the schema says. It costs
        # about as much as the writing (confluent-kafka's serializer skips it).
        try:
            validate(value, parsed, raise_errors=True)
        except ValidationError as e:
            problems = "; ".join(str(x) for x in getattr(e, "errors", None) or [e])
            raise SerializationError(f"the record does not match the schema: {problems}") from e
        buf = io.BytesIO()
        try:
            fastavro.schemaless_writer(buf, parsed, value)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            raise SerializationError(f"the record does not match the schema: {e}") from e
        return _serde.frame(schema_id, buf.getvalue())


class AvroDeserializer(Deserializer):
    """``AvroDeserializer(schema_registry_client, schema_str=None, from_dict=None,
    return_record_name=False, conf=None)``: Confluent-framed Avro to a dict (or whatever
    `from_dict(dict, ctx)` makes of it), read with `schema_str` if given, else with the
    writer's schema."""

    __slots__ = [
        "_client",
        "_conf",
        "_from_dict",
        "_latest",
        "_lock",
        "_reader",
        "_return_record_name",
        "_writers",
    ]

    def __init__(
        self,
        schema_registry_client: SchemaRegistryClient,
        schema_str: str | Schema | None = None,
        from_dict: Callable[[dict, SerializationContext], Any] | None = None,
        return_record_name: bool = False,
        conf: dict[str, Any] | None = None,
    ) -> None:
        if from_dict is not None and not callable(from_dict):
            raise ValueError(
                "from_dict must be callable with the signature from_dict(SerializationContext,"
                " dict) -> object"
            )
        self._conf = _serde.read_conf(conf, _serde.DESERIALIZER_CONF)
        self._client = schema_registry_client
        self._from_dict = from_dict
        self._return_record_name = return_record_name
        self._reader = _parse(schema_str) if schema_str is not None else None
        self._lock = threading.Lock()
        self._writers: dict[int, Any] = {}
        self._latest: dict[str, Any] = {}

    def _writer(self, schema_id: int, subject: str | None) -> Any:
        with self._lock:
            parsed = self._writers.get(schema_id)
        if parsed is None:
            schema = _serde.fetch_schema(self._client, schema_id, subject)
            if (schema.schema_type or "AVRO").upper() != "AVRO":
                raise SerializationError(
                    f"schema id {schema_id} is a {schema.schema_type} schema, not Avro"
                )
            parsed = _parse(schema)
            with self._lock:
                self._writers[schema_id] = parsed
        return parsed

    def _reader_for(self, ctx: SerializationContext, writer: Any) -> Any:
        if self._reader is not None:
            return self._reader
        if not self._conf["use.latest.version"]:
            return writer
        subject = self._conf["subject.name.strategy"](ctx, _record_name(writer))
        with self._lock:
            latest = self._latest.get(subject)
        if latest is None:
            try:
                latest = _parse(self._client.get_latest_version(subject).schema)
            except Exception as e:
                raise SerializationError(f"subject {subject!r}: {e}") from e
            with self._lock:
                self._latest[subject] = latest
        return latest

    def __call__(self, data: bytes | None, ctx: SerializationContext | None = None) -> Any:
        if data is None:
            return None
        ctx = _serde.context_or_default(ctx)
        schema_id, payload = _serde.unframe(bytes(data))
        subject = None
        writer = self._writer(schema_id, subject)
        reader = self._reader_for(ctx, writer)
        try:
            obj = fastavro.schemaless_reader(
                io.BytesIO(payload),
                writer,
                reader if reader is not writer else None,
                return_record_name=self._return_record_name,
            )
        except Exception as e:  # truncated data, or schemas that do not resolve
            raise SerializationError(
                f"cannot decode the record written with schema id {schema_id}: {e}"
            ) from e
        if self._from_dict is not None:
            return self._from_dict(obj, ctx)
        return obj
