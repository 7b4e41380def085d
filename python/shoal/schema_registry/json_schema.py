"""JSON Schema serdes: confluent-kafka-python's ``confluent_kafka.schema_registry.json_schema``.

`JSONSerializer` validates an object against its JSON schema (with the jsonschema library)
and writes Confluent's wire format (magic byte 0, the 4-byte schema id, UTF-8 JSON);
`JSONDeserializer` reads it back and validates it against its own schema. The subject name
strategies that use a record name take the schema's ``title``. Configuration as for the Avro
serdes (`shoal.schema_registry.avro`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema

from shoal.error import SerializationError
from shoal.schema_registry import _serde, json_compat
from shoal.schema_registry.schema_registry_client import Schema, SchemaRegistryClient
from shoal.serialization import Deserializer, SerializationContext, Serializer

__all__ = ["JSONDeserializer", "JSONSerializer"]


def _parse(schema: Schema | str) -> Any:
    text = schema.schema_str if isinstance(schema, Schema) else schema
    try:
        return json_compat.parse(text or "")
    except json_compat.SchemaParseError as e:
        raise SerializationError(str(e)) from e


def _validate(value: Any, schema: Any) -> None:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    error = jsonschema.exceptions.best_match(cls(schema).iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the record)"
        raise SerializationError(
            f"the record does not match the schema at {where}: {error.message}"
        )


class JSONSerializer(Serializer):
    """``JSONSerializer(schema_str, schema_registry_client, to_dict=None, conf=None)``."""

    __slots__ = ["_conf", "_ids", "_parsed", "_schema", "_to_dict"]

    def __init__(
        self,
        schema_str: str | Schema | None,
        schema_registry_client: SchemaRegistryClient,
        to_dict: Callable[[Any, SerializationContext], Any] | None = None,
        conf: dict[str, Any] | None = None,
    ) -> None:
        if to_dict is not None and not callable(to_dict):
            raise ValueError("to_dict must be callable with the signature to_dict(object, ctx)")
        self._conf = _serde.read_conf(conf, _serde.SERIALIZER_CONF)
        if self._conf["use.latest.version"] and self._conf["auto.register.schemas"]:
            raise ValueError("cannot enable both use.latest.version and auto.register.schemas")
        if isinstance(schema_str, str):
            schema_str = Schema(schema_str, schema_type="JSON")
        self._schema = schema_str
        self._parsed = _parse(schema_str) if schema_str is not None else None
        self._to_dict = to_dict
        self._ids = _serde.SubjectIds(schema_registry_client, self._conf, _parse)

    def __call__(self, obj: Any, ctx: SerializationContext | None = None) -> bytes | None:
        if obj is None:
            return None
        ctx = _serde.context_or_default(ctx)
        title = self._parsed.get("title") if isinstance(self._parsed, dict) else None
        subject = self._conf["subject.name.strategy"](ctx, title)
        if subject is None:
            raise SerializationError("the subject name strategy gave no subject")
        schema_id, parsed = self._ids.get(subject, self._schema, self._parsed)
        value = self._to_dict(obj, ctx) if self._to_dict is not None else obj
        _validate(value, parsed)
        try:
            payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        except (TypeError, ValueError) as e:
            raise SerializationError(f"the record is not JSON: {e}") from e
        return _serde.frame(schema_id, payload)


class JSONDeserializer(Deserializer):
    """``JSONDeserializer(schema_str, from_dict=None, schema_registry_client=None,
    conf=None)``: without `schema_str` the writer's schema (fetched by id) validates."""

    __slots__ = ["_client", "_conf", "_from_dict", "_reader", "_writers"]

    def __init__(
        self,
        schema_str: str | Schema | None,
        from_dict: Callable[[dict, SerializationContext], Any] | None = None,
        schema_registry_client: SchemaRegistryClient | None = None,
        conf: dict[str, Any] | None = None,
    ) -> None:
        if from_dict is not None and not callable(from_dict):
            raise ValueError("from_dict must be callable with the signature from_dict(dict, ctx)")
        if schema_str is None and schema_registry_client is None:
            raise ValueError("JSONDeserializer needs schema_str or a schema_registry_client")
        self._conf = _serde.read_conf(conf, _serde.DESERIALIZER_CONF)
        self._reader = _parse(schema_str) if schema_str is not None else None
        self._from_dict = from_dict
        self._client = schema_registry_client
        self._writers: dict[int, Any] = {}

    def __call__(self, data: bytes | None, ctx: SerializationContext | None = None) -> Any:
        if data is None:
            return None
        ctx = _serde.context_or_default(ctx)
        schema_id, payload = _serde.unframe(bytes(data))
        schema = self._reader
        if schema is None:
            schema = self._writers.get(schema_id)
            if schema is None:
                assert self._client is not None
                schema = _parse(_serde.fetch_schema(self._client, schema_id, None))
                self._writers[schema_id] = schema
        try:
            value = json.loads(bytes(payload))
        except ValueError as e:
            raise SerializationError(f"the record is not JSON: {e}") from e
        _validate(value, schema)
        if self._from_dict is not None:
            return self._from_dict(value, ctx)
        return value
