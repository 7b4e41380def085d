"""JSON Schema parsing and compatibility for the registry's JSON schema type.

Confluent Schema Registry compares JSON schemas with a long list of rules; Shoal checks the ones
that decide most real evolutions, with the same meaning of the levels as for Avro (BACKWARD:
the new schema accepts everything the old one accepted; FORWARD: the reverse; FULL: both):

* ``type``: the reader must allow every type the writer allows (``number`` covers
  ``integer``); a reader that has a type where the writer had none is narrower.
* objects: a property the reader requires must be required by the writer; a property the
  writer may send must be accepted by a reader whose ``additionalProperties`` is false; a
  property the reader adds to an open content model (``additionalProperties`` not false) may
  already be in old data with any value, so its schema must accept anything.
* ``enum``: the reader must list every writer value.
* ``items`` and each shared property are compared recursively.
* bounds (``maxLength``, ``minLength``, ``maximum``, ``minimum``, ``maxItems``,
  ``minItems``): the reader's must not be tighter than the writer's.

Anything else (``$ref``, ``oneOf``, ``pattern``, ...) is compared for equality: a change there
counts as incompatible in both directions, which errs on the safe side.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsonschema

__all__ = ["SchemaParseError", "can_read", "check", "parse"]

_KNOWN = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "items",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "maxItems",
    "minItems",
    # Annotations: never change what validates.
    "title",
    "description",
    "$schema",
    "$id",
    "default",
    "examples",
    "$comment",
}
_UPPER = ("maxLength", "maximum", "maxItems")
_LOWER = ("minLength", "minimum", "minItems")


class SchemaParseError(ValueError):
    pass


def parse(schema_str: str) -> Any:
    """Parses a JSON schema (draft 7 unless it names another with ``$schema``); raises
    SchemaParseError if it is not JSON or not a valid JSON Schema."""
    try:
        value = json.loads(schema_str)
    except ValueError as e:
        raise SchemaParseError(f"Invalid schema: not valid JSON: {e}") from None
    if not isinstance(value, dict | bool):
        raise SchemaParseError("Invalid schema: a JSON schema is an object or a boolean")
    cls = jsonschema.validators.validator_for(value, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(value)
    except jsonschema.SchemaError as e:
        raise SchemaParseError(f"Invalid schema: {e.message}") from None
    return value


def _types(s: dict[str, Any]) -> set[str] | None:
    t = s.get("type")
    if t is None:
        return None
    return {t} if isinstance(t, str) else set(t)


def can_read(reader: Any, writer: Any, path: str = "#") -> list[str]:
    """Why data valid under `writer` may be invalid under `reader` (empty: it never is)."""
    if reader is True or reader == {}:
        return []
    if writer is False:
        return []
    if reader is False:
        return [f"{path}: the reader accepts nothing"]
    if writer is True:
        writer = {}
    problems: list[str] = []
    rt, wt = _types(reader), _types(writer)
    if rt is not None:
        if wt is None:
            problems.append(f"{path}: TYPE_NARROWED: the reader requires type {sorted(rt)}")
        else:
            missing = {t for t in wt if t not in rt and not (t == "integer" and "number" in rt)}
            if missing:
                problems.append(
                    f"{path}: TYPE_CHANGED: the reader does not accept type(s) {sorted(missing)}"
                )
    if "enum" in reader:
        if "enum" not in writer:
            problems.append(f"{path}: ENUM_ARRAY_NARROWED: the reader added an enum")
        else:
            gone = [v for v in writer["enum"] if v not in reader["enum"]]
            if gone:
                problems.append(f"{path}: ENUM_ARRAY_NARROWED: the reader lacks {gone}")
    for key in _UPPER:
        if key in reader and (key not in writer or writer[key] > reader[key]):
            problems.append(f"{path}: {key} narrowed to {reader[key]}")
    for key in _LOWER:
        if key in reader and (key not in writer or writer[key] < reader[key]):
            problems.append(f"{path}: {key} narrowed to {reader[key]}")
    problems += _objects(reader, writer, path)
    if "items" in reader or "items" in writer:
        problems += can_read(reader.get("items", True), writer.get("items", True), path + "/items")
    for key in set(reader) | set(writer):
        if key not in _KNOWN and reader.get(key) != writer.get(key):
            problems.append(f"{path}: '{key}' changed")
    return problems


def _objects(reader: dict[str, Any], writer: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    rprops, wprops = reader.get("properties", {}), writer.get("properties", {})
    rreq, wreq = set(reader.get("required", [])), set(writer.get("required", []))
    for name in sorted(rreq - wreq):
        problems.append(
            f"{path}/properties/{name}: REQUIRED_PROPERTY_ADDED: the reader requires property "
            f"'{name}', which the writer does not"
        )
    writer_open = writer.get("additionalProperties", True) is not False
    reader_extra = reader.get("additionalProperties", True)
    for name in sorted(set(rprops) | set(wprops)):
        where = f"{path}/properties/{name}"
        if name in rprops and name in wprops:
            problems += can_read(rprops[name], wprops[name], where)
        elif name in rprops:  # added by the reader
            if writer_open:
                wextra = writer.get("additionalProperties", True)
                problems += [
                    f"{where}: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: {p}"
                    for p in can_read(rprops[name], wextra, where)
                ]
        else:  # removed by the reader
            if reader_extra is False:
                problems.append(
                    f"{where}: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: the reader refuses "
                    f"property '{name}', which the writer may send"
                )
            elif reader_extra is not True:
                problems += can_read(reader_extra, wprops[name], where)
    return problems


def check(level: str, new: str, previous: Sequence[str]) -> list[str]:
    """The compatibility level applied to a new schema and the subject's previous ones (oldest
    first), as `avro_compat.check` does for Avro."""
    name = str(level).strip().upper()
    if name == "NONE" or not previous:
        return []
    new_value = parse(new)
    olds = [parse(p) for p in previous]
    indexes = range(len(olds) - 1, -1, -1) if name.endswith("_TRANSITIVE") else [len(olds) - 1]
    for i in indexes:
        problems: list[str] = []
        if name.startswith(("FORWARD", "FULL")):
            problems += [
                f"{p} [version {i + 1} reading data written with the new schema]"
                for p in can_read(olds[i], new_value)
            ]
        if name.startswith(("BACKWARD", "FULL")):
            problems += [
                f"{p} [the new schema reading data written with version {i + 1}]"
                for p in can_read(new_value, olds[i])
            ]
        if problems:
            return problems
    return []
