"""Shoal's schema registry: confluent-kafka-python's ``confluent_kafka.schema_registry``.

Schemas live under subjects, with versions, global ids that are never reused, and a
compatibility level per subject and globally (default BACKWARD), decided by the Avro
specification's schema-resolution rules (`avro_compat`) or, for JSON schemas, by `json_compat`.
They are stored in the cluster's compacted, replicated `_schemas` topic; docs/schema-registry.md
describes the design.

* `SchemaRegistryClient({"url": "shm://NAME"})` runs the registry in this process on the
  cluster NAME; ``{"url": "http://localhost:8081"}`` talks to ``shoal schema-registry``.
* `shoal.schema_registry.avro` has AvroSerializer and AvroDeserializer, and
  `shoal.schema_registry.json_schema` JSONSerializer and JSONDeserializer, writing Confluent's
  wire format so confluent-kafka's serdes read what they write and the reverse.
* The subject name strategies below choose the subject a serializer registers under.
"""

from __future__ import annotations

from typing import Any

from shoal.schema_registry.error import SchemaRegistryError
from shoal.schema_registry.schema_registry_client import (
    RegisteredSchema,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
)

__all__ = [
    "RegisteredSchema",
    "Schema",
    "SchemaReference",
    "SchemaRegistryClient",
    "SchemaRegistryError",
    "record_subject_name_strategy",
    "topic_record_subject_name_strategy",
    "topic_subject_name_strategy",
]


def topic_subject_name_strategy(ctx: Any, record_name: str | None) -> str | None:
    """``{topic}-key`` or ``{topic}-value`` (the default)."""
    return f"{ctx.topic}-{ctx.field}"


def topic_record_subject_name_strategy(ctx: Any, record_name: str | None) -> str | None:
    """``{topic}-{fully qualified record name}``."""
    return f"{ctx.topic}-{record_name}"


def record_subject_name_strategy(ctx: Any, record_name: str | None) -> str | None:
    """``{fully qualified record name}``: one subject for a record type in every topic."""
    return record_name
