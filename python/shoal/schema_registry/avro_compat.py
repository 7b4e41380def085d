"""Avro schema parsing and compatibility, decided the way Confluent Schema Registry decides it.

Confluent Schema Registry answers "may this schema be registered?" with the Avro Java library's
reader/writer check (`org.apache.avro.SchemaCompatibility`), which applies the "Schema
Resolution" section of the Avro specification; this module makes the same decisions in pure
Python:

* `parse(schema_str)` parses and validates a schema (what the registry accepts; anything else it
  answers with 42201 "Invalid schema", here `SchemaParseError`).
* `can_read(reader, writer)` lists the reasons data written with `writer` cannot be decoded with
  `reader` (empty: it always can).
* `check(level, new, previous)` applies a compatibility level (BACKWARD, FORWARD_TRANSITIVE, ...)
  to a new schema and the earlier versions of a subject.

Each incompatibility names its kind with the Avro library's names (NAME_MISMATCH,
FIXED_SIZE_MISMATCH, MISSING_ENUM_SYMBOLS, READER_FIELD_MISSING_DEFAULT_VALUE, TYPE_MISMATCH,
MISSING_UNION_BRANCH), its place as a JSON pointer into the reader schema, and the field, e.g.
``READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2: reader field 'email' has no default value and
the writer has no such field``.

Where the registry's behaviour depends on its Avro version, or is an accident of the Java code,
this module chooses:

* Named types match by full name, or by a reader alias naming the writer's full name (as Avro
  Java does; the specification's newer text, and fastavro, compare unqualified names). Writer
  aliases are not used.
* A reader union reads a writer type if any of its branches can (as Avro Java does). The
  specification resolves against the first branch that matches; the two differ only when two
  reader branches match the same writer type, which takes named types related by aliases.
* A union field's default may match any branch (Avro 1.12 and the current specification);
  Avro 1.11 wanted the first branch.
* A reader field the writer lacks, without a default, is READER_FIELD_MISSING_DEFAULT_VALUE even
  when its type is an enum with a default (Avro Java then reports a TYPE_MISMATCH of the enum
  against the writer's record: incompatible all the same).
* A problem inside the writer's union is located at the branch (``.../type/1``), as Avro 1.12
  does; 1.11 located it at the root.
* A reader field whose name and aliases match several writer fields is reported as
  AMBIGUOUS_READER_FIELD (Avro Java throws, and the registry reports the exception).
* Schema validation follows Avro Java: names are checked (only the last part of a dotted name),
  symbols and field names are unique, unions hold no unions and no two types of one kind or
  name, defaults must fit their field's type, invalid logical types are ignored. It is a little
  stricter where Java silently accepts nonsense: a non-string namespace (other than null) or enum
  default is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LEVELS",
    "ArraySchema",
    "EnumSchema",
    "Field",
    "FixedSchema",
    "Incompatibility",
    "Issue",
    "MapSchema",
    "NamedSchema",
    "ParsedSchema",
    "PrimitiveSchema",
    "RecordSchema",
    "Schema",
    "SchemaParseError",
    "UnionSchema",
    "can_read",
    "can_read_details",
    "check",
    "check_details",
    "is_compatible",
    "parse",
]

PRIMITIVE_TYPES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)

LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)

# The kinds of incompatibility (org.apache.avro.SchemaCompatibility.SchemaIncompatibilityType).
NAME_MISMATCH = "NAME_MISMATCH"
FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"
TYPE_MISMATCH = "TYPE_MISMATCH"
MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"
# Not one of Avro's kinds: the Java checker throws when a reader field's name and aliases match
# more than one writer field, and the registry reports the exception as the check's failure.
AMBIGUOUS_READER_FIELD = "AMBIGUOUS_READER_FIELD"

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_ORDERS = frozenset({"ascending", "descending", "ignore"})


class SchemaParseError(ValueError):
    """The text is not JSON, or not a valid Avro schema (the registry's 42201 "Invalid schema")."""


# --- The parsed form -------------------------------------------------------------------------


class Schema:
    """A node of a parsed schema. Named types are shared: every reference to a record, enum or
    fixed is the same object as its definition, so recursive schemas are cyclic graphs."""

    __slots__ = ("props", "type")

    def __init__(self, type_: str, props: dict[str, Any] | None = None) -> None:
        self.type = type_
        self.props = props or {}  # attributes Avro does not interpret (logicalType, doc, ...)

    def describe(self) -> str:
        """How messages name this type: ``int``, ``record 'ns.User'``, ``array``..."""
        return self.type

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class PrimitiveSchema(Schema):
    __slots__ = ()


class NamedSchema(Schema):
    """A record, enum or fixed: a full name, and aliases (already made full names)."""

    __slots__ = ("aliases", "fullname", "name", "namespace")

    def __init__(
        self, type_: str, name: str, namespace: str | None, props: dict[str, Any] | None = None
    ) -> None:
        super().__init__(type_, props)
        self.name = name
        self.namespace = namespace
        self.fullname = name if namespace is None else f"{namespace}.{name}"
        self.aliases: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.type} '{self.fullname}'"


class Field:
    __slots__ = ("aliases", "default", "has_default", "name", "order", "pos", "props", "type")

    def __init__(
        self,
        name: str,
        type_: Schema,
        pos: int,
        has_default: bool,
        default: Any,
        aliases: tuple[str, ...],
        order: str,
        props: dict[str, Any],
    ) -> None:
        self.name = name
        self.type = type_
        self.pos = pos
        self.has_default = has_default
        self.default = default
        self.aliases = aliases
        self.order = order
        self.props = props

    def __repr__(self) -> str:
        return f"<Field {self.name}: {self.type.describe()}>"


class RecordSchema(NamedSchema):
    __slots__ = ("field_map", "fields", "is_error")

    def __init__(
        self, name: str, namespace: str | None, is_error: bool, props: dict[str, Any]
    ) -> None:
        super().__init__("record", name, namespace, props)
        self.is_error = is_error
        self.fields: list[Field] = []
        self.field_map: dict[str, Field] = {}


class EnumSchema(NamedSchema):
    __slots__ = ("default", "symbols")

    def __init__(
        self,
        name: str,
        namespace: str | None,
        symbols: list[str],
        default: str | None,
        props: dict[str, Any],
    ) -> None:
        super().__init__("enum", name, namespace, props)
        self.symbols = symbols
        self.default = default


class FixedSchema(NamedSchema):
    __slots__ = ("size",)

    def __init__(self, name: str, namespace: str | None, size: int, props: dict[str, Any]) -> None:
        super().__init__("fixed", name, namespace, props)
        self.size = size


class ArraySchema(Schema):
    __slots__ = ("items",)

    def __init__(self, items: Schema, props: dict[str, Any]) -> None:
        super().__init__("array", props)
        self.items = items


class MapSchema(Schema):
    __slots__ = ("values",)

    def __init__(self, values: Schema, props: dict[str, Any]) -> None:
        super().__init__("map", props)
        self.values = values


class UnionSchema(Schema):
    __slots__ = ("branches",)

    def __init__(self, branches: list[Schema]) -> None:
        super().__init__("union")
        self.branches = branches


class ParsedSchema:
    """A valid Avro schema: `schema` is the root of the parsed graph, `schema_str` the text it
    came from, `canonical_form` the specification's Parsing Canonical Form."""

    __slots__ = ("_canonical", "json", "schema", "schema_str")

    def __init__(self, schema_str: str, json_value: Any, schema: Schema) -> None:
        self.schema_str = schema_str
        self.json = json_value
        self.schema = schema
        self._canonical: str | None = None

    @property
    def name(self) -> str | None:
        """The root's full name, if the root is a named type."""
        return self.schema.fullname if isinstance(self.schema, NamedSchema) else None

    @property
    def canonical_form(self) -> str:
        if self._canonical is None:
            self._canonical = json.dumps(
                _canonical(self.schema, set()), separators=(",", ":"), ensure_ascii=False
            )
        return self._canonical

    def __repr__(self) -> str:
        return f"ParsedSchema({self.canonical_form})"


# --- Parsing ---------------------------------------------------------------------------------


def parse(schema_str: str | bytes | dict | list, *, validate_defaults: bool = True) -> ParsedSchema:
    """Parses and validates an Avro schema given as JSON text (or as its decoded JSON value).

    Named types are resolved as the specification says: a name with dots is a full name,
    otherwise the enclosing namespace applies; a reference names a type defined earlier (or the
    enclosing record, for recursion). Field defaults are checked against the field's type unless
    `validate_defaults` is false (the registry checks them for schemas being registered, not for
    ones already stored). Raises `SchemaParseError` for bad JSON or an invalid schema.
    """
    if isinstance(schema_str, str | bytes | bytearray):
        try:
            text = schema_str if isinstance(schema_str, str) else schema_str.decode()
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as e:
            raise SchemaParseError(f"Invalid schema: not valid JSON: {e}") from None
    else:
        value = schema_str
        text = ""
    parser = _Parser(validate_defaults)
    try:
        schema = parser.parse(value, None)
        text = text or json.dumps(value)
    except RecursionError:
        raise SchemaParseError("Invalid schema: nested too deeply") from None
    return ParsedSchema(text, value, schema)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _fail(message: str) -> SchemaParseError:
    return SchemaParseError(f"Invalid schema: {message}")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


def _is_name(name: str) -> bool:
    # Avro Java's rule (Character.isLetter / isLetterOrDigit): [letter _][letter digit _]*.
    if not name or not (name[0].isalpha() or name[0] == "_"):
        return False
    return all(c.isalpha() or c.isdecimal() or c == "_" for c in name[1:])


def _check_name(name: str, what: str) -> None:
    if not _is_name(name):
        raise _fail(
            f"{what} {name!r} is not a valid Avro name (a letter or _, then letters, digits or _)"
        )


def _split_name(name: str, space: str | None, what: str) -> tuple[str, str | None]:
    """(simple name, namespace) for `name` written where `space` is the enclosing namespace.
    As in Avro Java, only the last component of a dotted name is checked."""
    if "." in name:
        space, _, name = name.rpartition(".")
    _check_name(name, what)
    return name, (space or None)


def _full(name: str, space: str | None) -> str:
    return name if space is None else f"{space}.{name}"


class _Parser:
    def __init__(self, validate_defaults: bool) -> None:
        self.validate_defaults = validate_defaults
        self.names: dict[str, NamedSchema] = {}

    def lookup(self, ref: str, space: str | None) -> Schema | None:
        if ref in PRIMITIVE_TYPES:
            return PrimitiveSchema(ref)
        name, ns = _split_name(ref, space, "type name")
        found = self.names.get(_full(name, ns))
        if found is None and "." not in ref:
            found = self.names.get(ref)  # a name in the null namespace
        return found

    def define(self, schema: NamedSchema) -> None:
        if schema.fullname in self.names:
            raise _fail(f"the name {schema.fullname!r} is defined twice")
        self.names[schema.fullname] = schema

    def parse(self, node: Any, space: str | None) -> Schema:
        if isinstance(node, str):
            found = self.lookup(node, space)
            if found is None:
                raise _fail(f"undefined name {node!r}")
            return found
        if isinstance(node, list):
            return self.parse_union(node, space)
        if isinstance(node, dict):
            return self.parse_object(node, space)
        if node is None:
            raise _fail("a schema cannot be null")
        raise _fail(f"{_show(node)} is not a schema (a type name, an object or a union array)")

    def parse_union(self, node: list, space: str | None) -> UnionSchema:
        branches = [self.parse(b, space) for b in node]
        seen: set[str] = set()
        for b in branches:
            if isinstance(b, UnionSchema):
                raise _fail(f"a union cannot contain a union directly: {_show(node)}")
            key = b.fullname if isinstance(b, NamedSchema) else b.type
            if key in seen:
                raise _fail(f"the union {_show(node)} contains {key!r} twice")
            seen.add(key)
        return UnionSchema(branches)

    def parse_object(self, node: dict, space: str | None) -> Schema:
        type_ = node.get("type")
        if not isinstance(type_, str):
            raise _fail(f"no type (a string) in {_show(node)}")
        props = {k: v for k, v in node.items() if k not in _RESERVED.get(type_, _RESERVED_OTHER)}
        if type_ in PRIMITIVE_TYPES:
            return PrimitiveSchema(type_, props)
        if type_ in ("record", "error", "enum", "fixed"):
            raw_name = node.get("name")
            if not isinstance(raw_name, str):
                raise _fail(f"no name (a string) in the {type_} {_show(node)}")
            ns_attr = node.get("namespace")
            if ns_attr is not None and not isinstance(ns_attr, str):
                raise _fail(f"the namespace of {raw_name!r} is not a string")
            name, ns = _split_name(raw_name, space if ns_attr is None else ns_attr, "name")
            if type_ == "enum":
                schema: NamedSchema = self.parse_enum(node, name, ns, props)
            elif type_ == "fixed":
                schema = self.parse_fixed(node, name, ns, props)
            else:
                schema = RecordSchema(name, ns, type_ == "error", props)
            schema.aliases = self.parse_type_aliases(node, ns)
            self.define(schema)
            if isinstance(schema, RecordSchema):
                self.parse_fields(node, schema)
            return schema
        if type_ == "array":
            if "items" not in node:
                raise _fail(f"the array has no items: {_show(node)}")
            return ArraySchema(self.parse(node["items"], space), props)
        if type_ == "map":
            if "values" not in node:
                raise _fail(f"the map has no values: {_show(node)}")
            return MapSchema(self.parse(node["values"], space), props)
        # {"type": "SomeName"} refers to a named type defined earlier.
        found = self.lookup(type_, space)
        if found is None or isinstance(found, PrimitiveSchema):
            raise _fail(f"unknown type {type_!r}")
        return found

    def parse_type_aliases(self, node: dict, space: str | None) -> tuple[str, ...]:
        aliases = []
        for alias in _aliases(node):
            name, ns = _split_name(alias, space, "alias")
            aliases.append(_full(name, ns))
        return tuple(dict.fromkeys(aliases))

    def parse_enum(self, node: dict, name: str, ns: str | None, props: dict) -> EnumSchema:
        symbols = node.get("symbols")
        if not isinstance(symbols, list):
            raise _fail(f"the enum {name!r} has no symbols array")
        seen: set[str] = set()
        for symbol in symbols:
            if not isinstance(symbol, str):
                raise _fail(f"the enum {name!r} has a symbol that is not a string: {_show(symbol)}")
            _check_name(symbol, f"the enum {name!r} symbol")
            if symbol in seen:
                raise _fail(f"the enum {name!r} has the symbol {symbol!r} twice")
            seen.add(symbol)
        default = node.get("default")
        if default is not None:
            if not isinstance(default, str):
                raise _fail(f"the default of the enum {name!r} is not a string")
            if default not in seen:
                raise _fail(f"the enum {name!r} default {default!r} is not one of its symbols")
        return EnumSchema(name, ns, list(symbols), default, props)

    def parse_fixed(self, node: dict, name: str, ns: str | None, props: dict) -> FixedSchema:
        size = node.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _INT_MAX:
            raise _fail(f"the fixed {name!r} needs a size, a non-negative integer")
        return FixedSchema(name, ns, size, props)

    def parse_fields(self, node: dict, record: RecordSchema) -> None:
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise _fail(f"the record {record.fullname!r} has no fields array")
        for pos, f in enumerate(fields):
            if not isinstance(f, dict):
                raise _fail(f"a field of the record {record.fullname!r} is not an object")
            fname = f.get("name")
            if not isinstance(fname, str):
                raise _fail(f"a field of the record {record.fullname!r} has no name")
            _check_name(fname, f"the record {record.fullname!r} field")
            where = f"the field {fname!r} of the record {record.fullname!r}"
            if "type" not in f:
                raise _fail(f"{where} has no type")
            ftype_node = f["type"]
            if isinstance(ftype_node, str) and self.lookup(ftype_node, record.namespace) is None:
                raise _fail(f"the type {ftype_node!r} of {where} is not a defined name")
            ftype = self.parse(ftype_node, record.namespace)
            order = f.get("order", "ascending")
            if not isinstance(order, str) or order.lower() not in _ORDERS:
                raise _fail(f"{where} has an invalid order {_show(order)}")
            has_default = "default" in f
            default = f.get("default")
            if has_default and ftype.type in ("float", "double") and isinstance(default, str):
                # Avro Java reads a string default of a float or double field as a number.
                try:
                    default = float(default)
                except ValueError:
                    raise _fail(f"{where} has the default {_show(default)}, not a number") from None
            if has_default and self.validate_defaults and not _valid_default(ftype, default):
                raise _fail(
                    f"{where} has the default {_show(default)}, which is not a {ftype.describe()}"
                )
            if fname in record.field_map:
                raise _fail(f"the record {record.fullname!r} has the field {fname!r} twice")
            field = Field(
                fname,
                ftype,
                pos,
                has_default,
                default,
                tuple(dict.fromkeys(_aliases(f))),
                order.lower(),
                {k: v for k, v in f.items() if k not in _FIELD_RESERVED},
            )
            record.fields.append(field)
            record.field_map[fname] = field


_RESERVED_OTHER = frozenset({"type"})
_NAMED_RESERVED = frozenset({"type", "name", "namespace", "aliases", "doc"})
_RESERVED = {
    "record": _NAMED_RESERVED | {"fields"},
    "error": _NAMED_RESERVED | {"fields"},
    "enum": _NAMED_RESERVED | {"symbols", "default"},
    "fixed": _NAMED_RESERVED | {"size"},
    "array": frozenset({"type", "items"}),
    "map": frozenset({"type", "values"}),
}
_FIELD_RESERVED = frozenset({"name", "type", "default", "doc", "aliases", "order"})


def _aliases(node: dict) -> list[str]:
    aliases = node.get("aliases")
    if aliases is None:
        return []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _fail(f"aliases must be an array of strings: {_show(aliases)}")
    return aliases


def _valid_default(schema: Schema, value: Any) -> bool:
    """Whether `value` (JSON) is a valid default for `schema`; a union's default may match any
    branch (Avro 1.12; Avro 1.11 wanted the first)."""
    t = schema.type
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t in ("int", "long"):
        lo, hi = (_INT_MIN, _INT_MAX) if t == "int" else (_LONG_MIN, _LONG_MAX)
        return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    if t in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t in ("string", "bytes", "enum", "fixed"):
        return isinstance(value, str)
    if isinstance(schema, ArraySchema):
        return isinstance(value, list) and all(_valid_default(schema.items, v) for v in value)
    if isinstance(schema, MapSchema):
        return isinstance(value, dict) and all(
            _valid_default(schema.values, v) for v in value.values()
        )
    if isinstance(schema, UnionSchema):
        return any(_valid_default(b, value) for b in schema.branches)
    if isinstance(schema, RecordSchema):
        if not isinstance(value, dict):
            return False
        for f in schema.fields:
            if f.name in value:
                v = value[f.name]
            elif f.has_default:
                v = f.default
            else:
                return False
            if not _valid_default(f.type, v):
                return False
        return True
    return False


# --- Parsing Canonical Form ------------------------------------------------------------------


def _canonical(schema: Schema, seen: set[str]) -> Any:
    if isinstance(schema, PrimitiveSchema):
        return schema.type
    if isinstance(schema, UnionSchema):
        return [_canonical(b, seen) for b in schema.branches]
    if isinstance(schema, ArraySchema):
        return {"type": "array", "items": _canonical(schema.items, seen)}
    if isinstance(schema, MapSchema):
        return {"type": "map", "values": _canonical(schema.values, seen)}
    assert isinstance(schema, NamedSchema)
    if schema.fullname in seen:
        return schema.fullname
    seen.add(schema.fullname)
    out: dict[str, Any] = {"name": schema.fullname, "type": schema.type}
    if isinstance(schema, RecordSchema):
        out["fields"] = [{"name": f.name, "type": _canonical(f.type, seen)} for f in schema.fields]
    elif isinstance(schema, EnumSchema):
        out["symbols"] = list(schema.symbols)
    elif isinstance(schema, FixedSchema):
        out["size"] = schema.size
    return out


# --- Reader/writer compatibility -------------------------------------------------------------


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader cannot decode a writer's data.

    `kind` is Avro's name for it; `location` a JSON pointer into the reader schema (as Avro's
    `Incompatibility.getLocation()`); `field` the dotted reader field path it concerns, if any;
    `info` the detail Avro attaches (the field name, the missing symbols, ...: what the registry
    reports as ``additionalInfo``); `description` a sentence for people. ``str()`` gives
    ``KIND at LOCATION (field 'F'): DESCRIPTION``.
    """

    kind: str
    location: str
    field: str | None
    info: str
    description: str

    def __str__(self) -> str:
        where = self.location
        if self.field is not None and self.kind not in _ABOUT_A_FIELD:
            where += f" (field '{self.field}')"
        return f"{self.kind} at {where}: {self.description}"


# An incompatibility found while checking one reader/writer pair, placed relative to that pair
# (so a memoized pair's findings can be reported wherever the pair is met again).
@dataclass(frozen=True)
class _Found:
    kind: str
    path: tuple[str, ...]
    fields: tuple[str, ...]
    info: str
    text: str  # the description, without the field

    def under(self, path: tuple[str, ...], fields: tuple[str, ...] = ()) -> _Found:
        return _Found(self.kind, path + self.path, fields + self.fields, self.info, self.text)


# Marks a reader/writer pair whose check is under way (compared by identity).
_IN_PROGRESS: list[_Found] = []

_PROMOTIONS = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}


class _Checker:
    """Avro's resolution rules for one reader/writer pair of schema graphs. Every (reader node,
    writer node) pair is checked once; a pair met again while its own check is under way (a
    recursive type) is taken as compatible there, its real verdict coming from the first visit."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], list[_Found]] = {}
        self.keep: list[Schema] = []  # keeps the memo's id()s valid

    def compatible(self, reader: Schema, writer: Schema) -> bool:
        return not self.check(reader, writer)

    def check(self, reader: Schema, writer: Schema) -> list[_Found]:
        key = (id(reader), id(writer))
        found = self.memo.get(key)
        if found is not None:
            return [] if found is _IN_PROGRESS else found
        self.keep += (reader, writer)
        self.memo[key] = _IN_PROGRESS
        result = self.compute(reader, writer)
        self.memo[key] = result
        return result

    def compute(self, r: Schema, w: Schema) -> list[_Found]:
        if r.type == w.type:
            if isinstance(r, PrimitiveSchema):
                return []
            if isinstance(r, ArraySchema):
                assert isinstance(w, ArraySchema)
                return [f.under(("items",)) for f in self.check(r.items, w.items)]
            if isinstance(r, MapSchema):
                assert isinstance(w, MapSchema)
                return [f.under(("values",)) for f in self.check(r.values, w.values)]
            if isinstance(r, UnionSchema):
                assert isinstance(w, UnionSchema)
                # Every branch the writer may have written must be readable by the reader union.
                return [
                    _Found(
                        MISSING_UNION_BRANCH,
                        (str(i),),
                        (),
                        f"reader union lacking writer type: {b.type.upper()}",
                        f"the reader union has no branch that can read the writer's {b.describe()}",
                    )
                    for i, b in enumerate(w.branches)
                    if not self.compatible(r, b)
                ]
            assert isinstance(r, NamedSchema) and isinstance(w, NamedSchema)
            found = self.check_name(r, w)
            if isinstance(r, RecordSchema):
                assert isinstance(w, RecordSchema)
                return found + self.check_fields(r, w)
            if isinstance(r, EnumSchema):
                assert isinstance(w, EnumSchema)
                return found + self.check_symbols(r, w)
            assert isinstance(r, FixedSchema) and isinstance(w, FixedSchema)
            if r.size != w.size:
                found.append(
                    _Found(
                        FIXED_SIZE_MISMATCH,
                        ("size",),
                        (),
                        f"expected: {w.size}, found: {r.size}",
                        f"the reader's fixed '{r.fullname}' has size {r.size}, the writer's "
                        f"size {w.size}",
                    )
                )
            return found

        if isinstance(w, UnionSchema):
            # Whichever branch the writer chose, the reader must read it.
            return [f.under((str(i),)) for i, b in enumerate(w.branches) for f in self.check(r, b)]
        if isinstance(r, UnionSchema):
            # Some branch of the reader must read what the writer wrote.
            if any(self.compatible(b, w) for b in r.branches):
                return []
            return [
                _Found(
                    MISSING_UNION_BRANCH,
                    (),
                    (),
                    f"reader union lacking writer type: {w.type.upper()}",
                    f"the reader union has no branch that can read the writer's {w.describe()}",
                )
            ]
        if w.type in _PROMOTIONS.get(r.type, ()):
            return []
        return [
            _Found(
                TYPE_MISMATCH,
                (),
                (),
                f"reader type: {r.type.upper()} not compatible with writer type: {w.type.upper()}",
                f"the reader's {r.describe()} cannot read the writer's {w.describe()}",
            )
        ]

    def check_name(self, r: NamedSchema, w: NamedSchema) -> list[_Found]:
        # Full names must match, or one of the reader's aliases must be the writer's full name.
        if r.fullname == w.fullname or w.fullname in r.aliases:
            return []
        return [
            _Found(
                NAME_MISMATCH,
                ("name",),
                (),
                f"expected: {w.fullname}",
                f"the reader's {r.type} is named '{r.fullname}', the writer's '{w.fullname}', "
                "and no alias of the reader's names it",
            )
        ]

    def check_fields(self, r: RecordSchema, w: RecordSchema) -> list[_Found]:
        found: list[_Found] = []
        for rf in r.fields:
            at = ("fields", str(rf.pos))
            matches = [w.field_map[n] for n in (rf.name, *rf.aliases) if n in w.field_map]
            matches = list({id(m): m for m in matches}.values())
            if len(matches) > 1:
                names = ", ".join(f"'{m.name}'" for m in matches)
                found.append(
                    _Found(
                        AMBIGUOUS_READER_FIELD,
                        at,
                        (rf.name,),
                        rf.name,
                        f"matches several writer fields by name and aliases: {names}",
                    )
                )
            elif matches:
                inner = self.check(rf.type, matches[0].type)
                found += [f.under((*at, "type"), (rf.name,)) for f in inner]
            elif not rf.has_default:
                # A writer field the reader does not have is skipped; a reader field the writer
                # does not have takes the reader's default, so it needs one.
                found.append(
                    _Found(
                        READER_FIELD_MISSING_DEFAULT_VALUE,
                        at,
                        (rf.name,),
                        rf.name,
                        "has no default value and the writer has no such field",
                    )
                )
        return found

    def check_symbols(self, r: EnumSchema, w: EnumSchema) -> list[_Found]:
        missing = sorted(set(w.symbols) - set(r.symbols))
        if not missing or r.default is not None:
            return []  # an unknown symbol reads as the reader's default
        shown = "[" + ", ".join(missing) + "]"
        return [
            _Found(
                MISSING_ENUM_SYMBOLS,
                ("symbols",),
                (),
                shown,
                f"the reader's enum '{r.fullname}' lacks the writer's symbols {shown} and has "
                "no default",
            )
        ]


def _finish(found: _Found) -> Incompatibility:
    location = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in found.path)
    field = ".".join(found.fields) or None
    if found.kind in _ABOUT_A_FIELD:
        description = f"reader field '{field}' {found.text}"
    else:
        description = found.text
    return Incompatibility(found.kind, location, field, found.info, description)


# The kinds whose description starts with the field it is about.
_ABOUT_A_FIELD = frozenset({READER_FIELD_MISSING_DEFAULT_VALUE, AMBIGUOUS_READER_FIELD})


def _as_parsed(schema: ParsedSchema | str) -> ParsedSchema:
    return schema if isinstance(schema, ParsedSchema) else parse(schema)


def can_read_details(
    reader: ParsedSchema | str, writer: ParsedSchema | str
) -> list[Incompatibility]:
    """The reasons data written with `writer` cannot be decoded with `reader` (empty if it
    always can), as `Incompatibility` values."""
    checker = _Checker()
    found = checker.check(_as_parsed(reader).schema, _as_parsed(writer).schema)
    return [_finish(f) for f in found]


def can_read(reader: ParsedSchema | str, writer: ParsedSchema | str) -> list[str]:
    """The reasons data written with `writer` cannot be decoded with `reader`, one message
    each (empty if it always can)."""
    return [str(i) for i in can_read_details(reader, writer)]


@dataclass(frozen=True)
class Issue:
    """An incompatibility `check_details` found: between the new schema and `previous[index]`,
    with the new schema as the reader (``reader == "new"``: it cannot read that version's data)
    or as the writer (``reader == "old"``: that version cannot read the new schema's data)."""

    index: int
    count: int
    reader: str
    incompatibility: Incompatibility

    def __str__(self) -> str:
        old = f"previous schema {self.index + 1} of {self.count}"
        if self.reader == "new":
            how = f"the new schema reading data written with {old}"
        else:
            how = f"{old} reading data written with the new schema"
        return f"{self.incompatibility} [{how}]"


def _level(level: str) -> str:
    name = str(level).strip().upper()
    if name not in LEVELS:
        raise ValueError(f"unknown compatibility level {level!r}; expected one of {LEVELS}")
    return name


def check_details(
    level: str, new: ParsedSchema | str, previous: Sequence[ParsedSchema | str]
) -> list[Issue]:
    """What `check` reports, as `Issue` values."""
    name = _level(level)
    if name == "NONE" or not previous:
        return []
    new_parsed = _as_parsed(new)
    olds = [_as_parsed(p) for p in previous]
    backward = name.startswith(("BACKWARD", "FULL"))
    forward = name.startswith(("FORWARD", "FULL"))
    # As the registry does: the newest version first; the transitive levels go back through
    # the older ones and report the first (newest) version the new schema fails with.
    indexes: Iterable[int] = (
        range(len(olds) - 1, -1, -1) if name.endswith("_TRANSITIVE") else [len(olds) - 1]
    )
    for i in indexes:
        issues = []
        if forward:
            issues += [
                Issue(i, len(olds), "old", inc) for inc in can_read_details(olds[i], new_parsed)
            ]
        if backward:
            issues += [
                Issue(i, len(olds), "new", inc) for inc in can_read_details(new_parsed, olds[i])
            ]
        if issues:
            return issues
    return []


def check(level: str, new: ParsedSchema | str, previous: Sequence[ParsedSchema | str]) -> list[str]:
    """Whether `new` may follow `previous` (a subject's versions, oldest first) under `level`:

    * NONE: always.
    * BACKWARD: `new` reads data written with the latest previous schema;
      BACKWARD_TRANSITIVE: with every previous schema.
    * FORWARD: the latest previous schema reads data written with `new`;
      FORWARD_TRANSITIVE: every previous schema does.
    * FULL: both, with the latest; FULL_TRANSITIVE: both, with every previous schema.

    Returns one message per incompatibility (empty: compatible). Like the registry, the
    transitive levels report only the newest version the new schema fails with, and FULL
    reports the forward problems before the backward ones.
    """
    return [str(issue) for issue in check_details(level, new, previous)]


def is_compatible(
    level: str, new: ParsedSchema | str, previous: Sequence[ParsedSchema | str]
) -> bool:
    return not check_details(level, new, previous)
