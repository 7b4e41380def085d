"""shoal.schema_registry.avro_compat: Avro schemas parsed and validated as Confluent Schema
Registry (Avro Java) does, and reader/writer compatibility decided by the specification's
schema-resolution rules, checked against fastavro reading real data."""

from __future__ import annotations

import io
import itertools
import json
from typing import Any

import fastavro
import pytest

from shoal.schema_registry.avro_compat import (
    LEVELS,
    EnumSchema,
    FixedSchema,
    ParsedSchema,
    PrimitiveSchema,
    RecordSchema,
    SchemaParseError,
    UnionSchema,
    can_read,
    can_read_details,
    check,
    check_details,
    is_compatible,
    parse,
)

pytestmark = pytest.mark.unit

# --- helpers ---------------------------------------------------------------------------------


def field(name: str, type_: Any, **kw: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **kw}


def record(name: str, *fields: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, **kw, "fields": list(fields)}


def enum(name: str, symbols: list[str], **kw: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": symbols, **kw}


def fixed(name: str, size: int, **kw: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **kw}


def text(schema: Any) -> str:
    return json.dumps(schema)


def p(schema: Any) -> ParsedSchema:
    return parse(text(schema))


def user(*extra: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return record("User", field("id", "int"), field("name", "string"), *extra, **kw)


def roundtrip(writer: Any, reader: Any, datum: Any) -> Any:
    """Writes `datum` with the writer schema and reads it back with the reader schema."""
    ws = fastavro.parse_schema(json.loads(text(writer)))
    rs = fastavro.parse_schema(json.loads(text(reader)))
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, ws, datum)
    buf.seek(0)
    return fastavro.schemaless_reader(buf, ws, rs)


# --- parse: valid schemas --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["null", "boolean", "int", "long", "float", "double", "bytes"])
def test_primitives_by_name_and_object(name: str) -> None:
    for form in (f'"{name}"', f'{{"type": "{name}"}}', f'{{"type": "{name}", "x-prop": 1}}'):
        s = parse(form)
        assert isinstance(s.schema, PrimitiveSchema) and s.schema.type == name
        assert s.canonical_form == f'"{name}"'


def test_record_and_parsed_schema_attributes() -> None:
    src = text(user(namespace="com.acme"))
    s = parse(src)
    assert isinstance(s, ParsedSchema)
    assert s.schema_str == src
    assert s.name == "com.acme.User"
    assert isinstance(s.schema, RecordSchema)
    assert [(f.name, f.type.type, f.pos) for f in s.schema.fields] == [
        ("id", "int", 0),
        ("name", "string", 1),
    ]
    assert parse('"string"').name is None
    # Already-decoded JSON is accepted too.
    assert parse(user(namespace="com.acme")).canonical_form == s.canonical_form


def test_namespaces_and_name_resolution() -> None:
    s = p(
        record(
            "Outer",
            # Defined inside com.acme: its full name is com.acme.Inner.
            field("inner", record("Inner", field("x", "int"))),
            # Referred to by its short name, and by its full name.
            field("inner2", "Inner"),
            field("inner3", "com.acme.Inner"),
            # A dotted name carries its own namespace, which its own nested types inherit.
            field("other", record("org.other.Thing", field("e", enum("Color", ["RED"])))),
            field("color", "org.other.Color"),
            # "namespace": "" puts a type in the null namespace.
            field("plain", fixed("Hash", 4, namespace="")),
            field("plain2", "Hash"),
            # {"type": name} is a reference too.
            field("inner4", {"type": "Inner"}),
            namespace="com.acme",
        )
    )
    root = s.schema
    assert isinstance(root, RecordSchema)
    types = {f.name: f.type for f in root.fields}
    assert root.fullname == "com.acme.Outer"
    assert types["inner"].fullname == "com.acme.Inner"  # type: ignore[attr-defined]
    assert types["inner"] is types["inner2"] is types["inner3"] is types["inner4"]
    assert types["other"].fullname == "org.other.Thing"  # type: ignore[attr-defined]
    assert types["color"].fullname == "org.other.Color"  # type: ignore[attr-defined]
    assert types["plain"].fullname == "Hash" and types["plain"] is types["plain2"]  # type: ignore[attr-defined]


def test_null_namespace_names_are_found_from_inside_a_namespace() -> None:
    s = p(
        record(
            "Wrapper",
            field("a", record("Top", field("x", "int"), namespace="")),
            field("b", record("In", field("t", "Top"), namespace="ns")),
        )
    )
    root = s.schema
    assert isinstance(root, RecordSchema)
    inner = root.fields[1].type
    assert isinstance(inner, RecordSchema) and inner.fullname == "ns.In"
    assert inner.fields[0].type is root.fields[0].type


def test_aliases_are_made_full_names_in_the_type_namespace() -> None:
    s = p(record("Customer", field("id", "int"), namespace="a.b", aliases=["User", "x.y.Old"]))
    assert isinstance(s.schema, RecordSchema)
    assert s.schema.aliases == ("a.b.User", "x.y.Old")
    f = p(record("R", field("mail", "string", aliases=["email", "e"]))).schema
    assert isinstance(f, RecordSchema) and f.fields[0].aliases == ("email", "e")


def test_recursive_schema_is_a_cycle() -> None:
    s = p(record("Node", field("value", "int"), field("next", ["null", "Node"], default=None)))
    node = s.schema
    assert isinstance(node, RecordSchema)
    nxt = node.fields[1].type
    assert isinstance(nxt, UnionSchema) and nxt.branches[1] is node
    assert s.canonical_form == (
        '{"name":"Node","type":"record","fields":[{"name":"value","type":"int"},'
        '{"name":"next","type":["null","Node"]}]}'
    )


def test_enum_and_fixed() -> None:
    e = p(enum("Suit", ["HEARTS", "SPADES"], default="SPADES", namespace="cards")).schema
    assert isinstance(e, EnumSchema)
    assert (e.fullname, e.symbols, e.default) == ("cards.Suit", ["HEARTS", "SPADES"], "SPADES")
    f = p(fixed("MD5", 16)).schema
    assert isinstance(f, FixedSchema) and f.size == 16


def test_error_type_is_a_record() -> None:
    s = p({"type": "error", "name": "Oops", "fields": [field("msg", "string")]})
    assert isinstance(s.schema, RecordSchema) and s.schema.is_error
    assert s.canonical_form.startswith('{"name":"Oops","type":"record"')


def test_defaults_that_are_valid() -> None:
    p(
        record(
            "D",
            field("n", "null", default=None),
            field("b", "boolean", default=True),
            field("i", "int", default=-(2**31)),
            field("l", "long", default=2**63 - 1),
            field("f", "float", default=1),
            field("d", "double", default=1.5),
            field("fs", "double", default="NaN"),  # Avro Java reads the string as a number
            field("s", "string", default="x"),
            field("by", "bytes", default="\u00ff"),
            field("e", enum("E", ["A", "B"]), default="B"),
            field("fx", fixed("F", 2), default="ab"),
            field("a", {"type": "array", "items": "int"}, default=[1, 2]),
            field("m", {"type": "map", "values": "long"}, default={"k": 1}),
            field("u1", ["null", "string"], default=None),
            # Any branch of a union may give the default (Avro 1.12; see the module docstring).
            field("u2", ["null", "string"], default="x"),
            field(
                "r",
                record("Sub", field("x", "int"), field("y", "int", default=2)),
                default={"x": 1},
            ),
            field("lt", {"type": "int", "logicalType": "date"}, default=0),
        )
    )


def test_validate_defaults_false_keeps_but_does_not_check_defaults() -> None:
    bad = text(record("R", field("a", "int", default="not an int")))
    with pytest.raises(SchemaParseError):
        parse(bad)
    s = parse(bad, validate_defaults=False)
    assert isinstance(s.schema, RecordSchema) and s.schema.fields[0].has_default


def test_unknown_and_invalid_logical_types_are_ignored() -> None:
    # Avro Java ignores a logical type it does not know or that is invalid.
    parse('{"type": "int", "logicalType": "no-such-type"}')
    parse('{"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 5}')


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ('{"type": "record", "name": "R", "fields": []', "not valid JSON"),
        ('{"type": "string"} x', "not valid JSON"),
        ("NaN", "not valid JSON"),
        ("null", "cannot be null"),
        ("42", "not a schema"),
        ("true", "not a schema"),
        ('"strin"', "undefined name 'strin'"),
        ('{"type": "strin"}', "unknown type 'strin'"),
        ("{}", "no type"),
        ('{"type": ["null", "string"]}', "no type"),
        ('{"type": "record", "fields": []}', "no name"),
        ('{"type": "record", "name": 5, "fields": []}', "no name"),
        ('{"type": "record", "name": "R"}', "no fields array"),
        ('{"type": "record", "name": "R", "fields": {}}', "no fields array"),
        ('{"type": "record", "name": "1R", "fields": []}', "not a valid Avro name"),
        ('{"type": "record", "name": "a.b-c", "fields": []}', "not a valid Avro name"),
        ('{"type": "record", "name": "R.", "fields": []}', "not a valid Avro name"),
        ('{"type": "record", "name": "R", "namespace": 5, "fields": []}', "namespace"),
        ('{"type": "record", "name": "R", "fields": [{"type": "int"}]}', "has no name"),
        ('{"type": "record", "name": "R", "fields": ["int"]}', "not an object"),
        ('{"type": "record", "name": "R", "fields": [{"name": "a"}]}', "has no type"),
        ('{"type": "record", "name": "R", "fields": [{"name": "a-b", "type": "int"}]}', "a-b"),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]}',
            "'Nope' of the field 'a'",
        ),
        (
            '{"type": "record", "name": "R", "fields": '
            '[{"name": "a", "type": "int"}, {"name": "a", "type": "long"}]}',
            "field 'a' twice",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", '
            '"order": "sideways"}]}',
            "invalid order",
        ),
        (
            '{"type": "record", "name": "R", "fields": '
            '[{"name": "a", "type": {"type": "record", "name": "R", "fields": []}}]}',
            "'R' is defined twice",
        ),
        ('{"type": "record", "name": "R", "aliases": "Old", "fields": []}', "aliases"),
        ('{"type": "record", "name": "R", "aliases": ["a-b"], "fields": []}', "alias"),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", '
            '"aliases": [1]}]}',
            "aliases",
        ),
        ('{"type": "enum", "name": "E"}', "no symbols"),
        ('{"type": "enum", "name": "E", "symbols": ["A", "A"]}', "'A' twice"),
        ('{"type": "enum", "name": "E", "symbols": ["A", "B-C"]}', "B-C"),
        ('{"type": "enum", "name": "E", "symbols": ["A", 1]}', "not a string"),
        ('{"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}', "not one of"),
        ('{"type": "fixed", "name": "F"}', "size"),
        ('{"type": "fixed", "name": "F", "size": -1}', "size"),
        ('{"type": "fixed", "name": "F", "size": "16"}', "size"),
        ('{"type": "fixed", "name": "F", "size": 1.5}', "size"),
        ('{"type": "array"}', "no items"),
        ('{"type": "map"}', "no values"),
        ('{"type": "array", "items": "Nope"}', "undefined name 'Nope'"),
        ('["int", ["string"]]', "union cannot contain a union"),
        ('["int", "int"]', "'int' twice"),
        ('[{"type": "array", "items": "int"}, {"type": "array", "items": "long"}]', "'array'"),
        ('[{"type": "map", "values": "int"}, {"type": "map", "values": "long"}]', "'map'"),
        ('[{"type": "fixed", "name": "F", "size": 1}, "F"]', "'F' twice"),
        # Invalid defaults (the registry checks them in the schemas being registered).
        (text(record("R", field("a", "int", default="1"))), "default"),
        (text(record("R", field("a", "int", default=1.5))), "default"),
        (
            '{"type": "record", "name": "R", "fields": '
            '[{"name": "a", "type": "int", "default": 2147483648}]}',
            "default",
        ),
        (text(record("R", field("a", "long", default=True))), "default"),
        (text(record("R", field("a", "string", default=None))), "default"),
        (text(record("R", field("a", "null", default=0))), "default"),
        (text(record("R", field("a", "double", default="x"))), "not a number"),
        (
            '{"type": "record", "name": "R", "fields": '
            '[{"name": "a", "type": ["null", "int"], "default": "x"}]}',
            "default",
        ),
        (
            '{"type": "record", "name": "R", "fields": '
            '[{"name": "a", "type": {"type": "array", "items": "int"}, "default": ["x"]}]}',
            "default",
        ),
        (
            '{"type": "record", "name": "R", "fields": [{"name": "a", "type": '
            '{"type": "record", "name": "S", "fields": [{"name": "x", "type": "int"}]}, '
            '"default": {}}]}',
            "default",
        ),
    ],
)
def test_invalid_schemas_raise_schema_parse_error(schema: str, match: str) -> None:
    with pytest.raises(SchemaParseError, match="Invalid schema") as info:
        parse(schema)
    assert match in str(info.value)


def test_bytes_input_and_hostile_input() -> None:
    assert parse(b'"int"').schema.type == "int"
    with pytest.raises(SchemaParseError, match="not valid JSON"):
        parse(b'"\xff"')
    with pytest.raises(SchemaParseError, match="Invalid schema"):
        parse("[" * 100_000 + "]" * 100_000)
    deep: Any = "int"
    for _ in range(5000):
        deep = {"type": "array", "items": deep}
    with pytest.raises(SchemaParseError, match="nested too deeply"):
        parse(deep)


@pytest.mark.parametrize(
    "schema",
    [
        user(namespace="com.acme", doc="people"),
        record(
            "Everything",
            field("a", {"type": "array", "items": {"type": "map", "values": ["null", "long"]}}),
            field("e", enum("E", ["X", "Y"], aliases=["F"], default="X")),
            field("f", fixed("F16", 16, namespace="h")),
            field("f2", "h.F16"),
            field("n", record("Node", field("v", "int"), field("next", ["null", "Node"]))),
            field("u", ["null", "string", {"type": "int", "logicalType": "date"}], default=None),
            namespace="t",
        ),
        ["null", "string", {"type": "array", "items": "bytes"}],
        {"type": "map", "values": fixed("Q", 3, namespace="n.m")},
        {"type": "string", "doc": 'é \u0001 "quoted"'},
        enum("Letter", ["A", "B"], namespace="q", default="B"),
    ],
)
def test_canonical_form_matches_fastavro(schema: Any) -> None:
    ours = p(schema).canonical_form
    theirs = fastavro.schema.to_parsing_canonical_form(fastavro.parse_schema(schema))
    assert ours == theirs


# --- compatibility: the rules, one previous version ------------------------------------------

OPT_EMAIL = field("email", ["null", "string"], default=None)
EMAIL = field("email", "string")

# (old schema, new schema, new can read old's data (BACKWARD), old can read new's (FORWARD))
CASES: dict[str, tuple[Any, Any, bool, bool]] = {
    "identical": (user(), user(), True, True),
    "field added with a default": (user(), user(OPT_EMAIL), True, True),
    "field added without a default": (user(), user(EMAIL), False, True),
    "field without a default removed": (user(EMAIL), user(), True, False),
    "field with a default removed": (user(OPT_EMAIL), user(), True, True),
    "default added to a field": (
        user(EMAIL),
        user(field("email", "string", default="")),
        True,
        True,
    ),
    "fields reordered": (
        record("R", field("a", "int"), field("b", "string")),
        record("R", field("b", "string"), field("a", "int")),
        True,
        True,
    ),
    "doc and custom properties changed": (
        user(),
        user(doc="a user", **{"x-owner": "team"}),
        True,
        True,
    ),
    "int to long": (record("R", field("n", "int")), record("R", field("n", "long")), True, False),
    "long to int": (record("R", field("n", "long")), record("R", field("n", "int")), False, True),
    "int to float": (record("R", field("n", "int")), record("R", field("n", "float")), True, False),
    "int to double": (
        record("R", field("n", "int")),
        record("R", field("n", "double")),
        True,
        False,
    ),
    "long to float": (
        record("R", field("n", "long")),
        record("R", field("n", "float")),
        True,
        False,
    ),
    "long to double": (
        record("R", field("n", "long")),
        record("R", field("n", "double")),
        True,
        False,
    ),
    "float to double": (
        record("R", field("n", "float")),
        record("R", field("n", "double")),
        True,
        False,
    ),
    "string to bytes": (
        record("R", field("s", "string")),
        record("R", field("s", "bytes")),
        True,
        True,
    ),
    "int to string": (
        record("R", field("n", "int")),
        record("R", field("n", "string")),
        False,
        False,
    ),
    "boolean to int": (
        record("R", field("n", "boolean")),
        record("R", field("n", "int")),
        False,
        False,
    ),
    "logical type added": (
        record("R", field("d", "int")),
        record("R", field("d", {"type": "int", "logicalType": "date"})),
        True,
        True,
    ),
    "enum symbol added": (
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES"]))),
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES", "CLUBS"]))),
        True,
        False,
    ),
    "enum symbol added, enum defaults": (
        record("R", field("s", enum("Suit", ["UNKNOWN", "HEARTS"], default="UNKNOWN"))),
        record("R", field("s", enum("Suit", ["UNKNOWN", "HEARTS", "CLUBS"], default="UNKNOWN"))),
        True,
        True,
    ),
    "enum symbol removed": (
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES", "CLUBS"]))),
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES"]))),
        False,
        True,
    ),
    "enum symbol removed, new enum has a default": (
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES", "CLUBS"]))),
        record("R", field("s", enum("Suit", ["HEARTS", "SPADES"], default="HEARTS"))),
        True,
        True,
    ),
    "enum symbols reordered": (
        enum("E", ["A", "B", "C"]),
        enum("E", ["C", "A", "B"]),
        True,
        True,
    ),
    "union widened": (
        record("R", field("v", ["null", "string"])),
        record("R", field("v", ["null", "string", "int"])),
        True,
        False,
    ),
    "union narrowed": (
        record("R", field("v", ["null", "string", "int"])),
        record("R", field("v", ["null", "string"])),
        False,
        True,
    ),
    "union branches reordered": (["null", "string"], ["string", "null"], True, True),
    "field made optional": (
        record("R", field("v", "string")),
        record("R", field("v", ["null", "string"], default=None)),
        True,
        False,
    ),
    "union branch promoted": (["null", "int"], ["null", "long"], True, False),
    "union to promotable single type": (["int", "long"], "double", True, False),
    "record renamed with an alias": (
        user(),
        record("Customer", field("id", "int"), field("name", "string"), aliases=["User"]),
        True,
        False,
    ),
    "record renamed without an alias": (
        user(),
        record("Customer", field("id", "int"), field("name", "string")),
        False,
        False,
    ),
    "record renamed, aliases both ways": (
        record("User", field("id", "int"), aliases=["Customer"]),
        record("Customer", field("id", "int"), aliases=["User"]),
        True,
        True,
    ),
    "namespace changed": (user(namespace="a"), user(namespace="b"), False, False),
    "namespace changed with a full-name alias": (
        user(namespace="a"),
        user(namespace="b", aliases=["a.User"]),
        True,
        False,
    ),
    "field renamed with an alias": (
        user(EMAIL),
        user(field("mail", "string", aliases=["email"])),
        True,
        False,
    ),
    "field renamed without an alias": (user(EMAIL), user(field("mail", "string")), False, False),
    "nested record: field added with a default": (
        record("P", field("id", "int"), field("addr", record("Addr", field("city", "string")))),
        record(
            "P",
            field("id", "int"),
            field(
                "addr", record("Addr", field("city", "string"), field("zip", "string", default=""))
            ),
        ),
        True,
        True,
    ),
    "nested record: field added without a default": (
        record("P", field("id", "int"), field("addr", record("Addr", field("city", "string")))),
        record(
            "P",
            field("id", "int"),
            field("addr", record("Addr", field("city", "string"), field("zip", "string"))),
        ),
        False,
        True,
    ),
    "array items promoted": (
        {"type": "array", "items": "int"},
        {"type": "array", "items": "long"},
        True,
        False,
    ),
    "array of records, field added with a default": (
        {"type": "array", "items": record("I", field("a", "int"))},
        {"type": "array", "items": record("I", field("a", "int"), field("b", "int", default=0))},
        True,
        True,
    ),
    "array items changed": (
        {"type": "array", "items": "int"},
        {"type": "array", "items": "string"},
        False,
        False,
    ),
    "map values promoted": (
        {"type": "map", "values": "float"},
        {"type": "map", "values": "double"},
        True,
        False,
    ),
    "map values changed": (
        {"type": "map", "values": "int"},
        {"type": "map", "values": "boolean"},
        False,
        False,
    ),
    "array to map": (
        {"type": "array", "items": "int"},
        {"type": "map", "values": "int"},
        False,
        False,
    ),
    "fixed size changed": (fixed("Hash", 16), fixed("Hash", 32), False, False),
    "fixed renamed": (fixed("Hash", 16), fixed("Digest", 16), False, False),
    "fixed renamed with an alias": (
        fixed("Hash", 16),
        fixed("Digest", 16, aliases=["Hash"]),
        True,
        False,
    ),
    "fixed to bytes": (fixed("Hash", 16), "bytes", False, False),
    "enum to string": (enum("E", ["A"]), "string", False, False),
    "record to its single field": (record("R", field("a", "int")), "int", False, False),
    "recursive: value promoted": (
        record("Node", field("v", "int"), field("next", ["null", "Node"])),
        record("Node", field("v", "long"), field("next", ["null", "Node"])),
        True,
        False,
    ),
    "recursive: field added with a default": (
        record("Node", field("v", "int"), field("next", ["null", "Node"])),
        record(
            "Node", field("v", "int"), field("next", ["null", "Node"]), field("w", "int", default=0)
        ),
        True,
        True,
    ),
    "recursive: field added without a default": (
        record("Node", field("v", "int"), field("next", ["null", "Node"])),
        record("Node", field("v", "int"), field("next", ["null", "Node"]), field("w", "int")),
        False,
        True,
    ),
    "mutually recursive records": (
        record(
            "A", field("b", ["null", record("B", field("a", ["null", "A"]), field("x", "int"))])
        ),
        record(
            "A", field("b", ["null", record("B", field("a", ["null", "A"]), field("x", "long"))])
        ),
        True,
        False,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compatibility_with_one_previous_version(case: str) -> None:
    old_s, new_s, backward, forward = CASES[case]
    old, new = p(old_s), p(new_s)
    assert (can_read(new, old) == []) is backward, can_read(new, old)
    assert (can_read(old, new) == []) is forward, can_read(old, new)
    # With one previous version a transitive level is its plain level.
    expected = {
        "NONE": True,
        "BACKWARD": backward,
        "BACKWARD_TRANSITIVE": backward,
        "FORWARD": forward,
        "FORWARD_TRANSITIVE": forward,
        "FULL": backward and forward,
        "FULL_TRANSITIVE": backward and forward,
    }
    for level in LEVELS:
        messages = check(level, new, [old])
        assert (messages == []) is expected[level], (level, messages)
        assert is_compatible(level, new, [old]) is expected[level]


def test_compatibility_is_reflexive_for_every_case_schema() -> None:
    for old_s, new_s, _, _ in CASES.values():
        for s in (old_s, new_s):
            assert can_read(p(s), p(s)) == []


# --- compatibility: the messages -------------------------------------------------------------


def only(reader: Any, writer: Any) -> Any:
    found = can_read_details(p(reader), p(writer))
    assert len(found) == 1, found
    return found[0]


def test_added_field_without_default_names_the_field() -> None:
    (msg,) = check("BACKWARD", p(user(EMAIL)), [p(user())])
    assert msg.startswith(
        "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2: reader field 'email' has no default value"
    )
    assert "[the new schema reading data written with previous schema 1 of 1]" in msg
    inc = only(user(EMAIL), user())
    assert (inc.kind, inc.location, inc.field, inc.info) == (
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "/fields/2",
        "email",
        "email",
    )


def test_removed_field_without_default_fails_forward_naming_the_field() -> None:
    (msg,) = check("FORWARD", p(user()), [p(user(EMAIL))])
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/2" in msg
    assert "'email'" in msg
    assert "[previous schema 1 of 1 reading data written with the new schema]" in msg


def test_type_mismatch_message() -> None:
    inc = only(
        record("R", field("a", "string"), field("n", "int")),
        record("R", field("a", "string"), field("n", "long")),
    )
    assert (inc.kind, inc.location, inc.field) == ("TYPE_MISMATCH", "/fields/1/type", "n")
    assert inc.info == "reader type: INT not compatible with writer type: LONG"
    assert str(inc) == (
        "TYPE_MISMATCH at /fields/1/type (field 'n'): "
        "the reader's int cannot read the writer's long"
    )


def test_missing_enum_symbols_message() -> None:
    old = record("R", field("s", enum("Suit", ["A", "D", "B", "C"])))
    new = record("R", field("s", enum("Suit", ["A", "B"])))
    inc = only(new, old)
    assert (inc.kind, inc.location, inc.field) == (
        "MISSING_ENUM_SYMBOLS",
        "/fields/0/type/symbols",
        "s",
    )
    assert inc.info == "[C, D]"
    assert "lacks the writer's symbols [C, D]" in str(inc)


def test_union_narrowed_names_the_missing_branch() -> None:
    old = record("R", field("id", "int"), field("v", ["null", "string", "int"]))
    new = record("R", field("id", "int"), field("v", ["null", "string"]))
    inc = only(new, old)
    assert (inc.kind, inc.location, inc.field) == ("MISSING_UNION_BRANCH", "/fields/1/type/2", "v")
    assert inc.info == "reader union lacking writer type: INT"


def test_reader_union_without_a_branch_for_the_writer_type() -> None:
    inc = only(record("R", field("v", ["null", "string"])), record("R", field("v", "int")))
    assert (inc.kind, inc.location) == ("MISSING_UNION_BRANCH", "/fields/0/type")


def test_writer_union_read_by_a_single_type_names_the_branch() -> None:
    inc = only(record("R", field("v", "string")), record("R", field("v", ["null", "string"])))
    assert (inc.kind, inc.location, inc.field) == ("TYPE_MISMATCH", "/fields/0/type/0", "v")
    assert inc.info == "reader type: STRING not compatible with writer type: NULL"


def test_name_mismatch_and_fixed_size_messages() -> None:
    inc = only(user(namespace="b"), user(namespace="a"))
    assert (inc.kind, inc.location, inc.info) == ("NAME_MISMATCH", "/name", "expected: a.User")
    inc = only(fixed("Hash", 8), fixed("Hash", 16))
    assert (inc.kind, inc.location, inc.info) == (
        "FIXED_SIZE_MISMATCH",
        "/size",
        "expected: 16, found: 8",
    )
    # A renamed fixed of another size: both problems.
    kinds = [i.kind for i in can_read_details(p(fixed("A", 8)), p(fixed("B", 16)))]
    assert kinds == ["NAME_MISMATCH", "FIXED_SIZE_MISMATCH"]


def test_nested_paths_and_field_names() -> None:
    old = record("P", field("id", "int"), field("addr", record("Addr", field("city", "string"))))
    new = record(
        "P",
        field("id", "int"),
        field("addr", record("Addr", field("city", "bytes"), field("zip", "string"))),
    )
    found = can_read_details(p(new), p(old))
    assert [(i.kind, i.location, i.field) for i in found] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1/type/fields/1", "addr.zip"),
    ]
    assert "reader field 'addr.zip' has no default value" in str(found[0])
    found = can_read_details(
        p({"type": "array", "items": {"type": "map", "values": record("I", field("x", "int"))}}),
        p({"type": "array", "items": {"type": "map", "values": record("I", field("x", "long"))}}),
    )
    assert [(i.location, i.field) for i in found] == [("/items/values/fields/0/type", "x")]


def test_every_problem_is_reported() -> None:
    old = record("R", field("a", "int"), field("b", "string"), field("c", enum("E", ["X", "Y"])))
    new = record(
        "R",
        field("a", "string"),
        field("b", "string"),
        field("c", enum("E", ["X"])),
        field("d", "int"),
    )
    kinds = [(i.kind, i.location) for i in can_read_details(p(new), p(old))]
    assert kinds == [
        ("TYPE_MISMATCH", "/fields/0/type"),
        ("MISSING_ENUM_SYMBOLS", "/fields/2/type/symbols"),
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/3"),
    ]


def test_a_named_type_used_twice_is_reported_at_each_use() -> None:
    inner_old = record("In", field("x", "int"))
    inner_new = record("In", field("x", "int"), field("y", "int"))
    old = record("R", field("a", inner_old), field("b", "In"))
    new = record("R", field("a", inner_new), field("b", "In"))
    locations = [i.location for i in can_read_details(p(new), p(old))]
    assert locations == ["/fields/0/type/fields/1", "/fields/1/type/fields/1"]


def test_recursive_schema_incompatibility_terminates_with_a_message() -> None:
    old = record("Node", field("v", "long"), field("next", ["null", "Node"]))
    new = record("Node", field("v", "int"), field("next", ["null", "Node"]))
    found = can_read_details(p(new), p(old))
    assert [(i.kind, i.location) for i in found] == [("TYPE_MISMATCH", "/fields/0/type")]


def test_reader_field_alias_matching_two_writer_fields_is_incompatible() -> None:
    old = record("R", field("a", "int"), field("b", "int"))
    new = record("R", field("a", "int", aliases=["b"]))
    (inc,) = can_read_details(p(new), p(old))
    assert inc.kind == "AMBIGUOUS_READER_FIELD" and inc.field == "a"
    assert "'a', 'b'" in str(inc)


def test_writer_aliases_are_not_used() -> None:
    # Only the reader's aliases map writer names, as the specification says.
    old = record("Old", field("id", "int"), aliases=["New"])
    new = record("New", field("id", "int"))
    assert [i.kind for i in can_read_details(p(new), p(old))] == ["NAME_MISMATCH"]
    old = record("R", field("email", "string", aliases=["mail"]))
    new = record("R", field("mail", "string"))
    assert [i.kind for i in can_read_details(p(new), p(old))] == [
        "READER_FIELD_MISSING_DEFAULT_VALUE"
    ]


def test_can_read_accepts_schema_text() -> None:
    assert can_read('"long"', '"int"') == []
    assert len(can_read('"int"', '"long"')) == 1


# --- check: the levels and earlier versions --------------------------------------------------


V1 = p(record("R", field("id", "int")))
V2 = p(record("R", field("id", "int"), field("email", "string", default="")))
V3 = p(record("R", field("id", "int"), field("email", "string")))


def test_backward_transitive_checks_every_earlier_version() -> None:
    # v3 (email without default) reads v2's data (which has email) but not v1's.
    assert check("BACKWARD", V3, [V1, V2]) == []
    (msg,) = check("BACKWARD_TRANSITIVE", V3, [V1, V2])
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1: reader field 'email'" in msg
    assert "previous schema 1 of 2" in msg
    (issue,) = check_details("BACKWARD_TRANSITIVE", V3, [V1, V2])
    assert (issue.index, issue.reader) == (0, "new")


def test_forward_transitive_checks_every_earlier_version() -> None:
    w1 = p(record("R", field("id", "int"), field("a", "string")))
    w2 = p(record("R", field("id", "int"), field("a", "string", default="")))
    w3 = p(record("R", field("id", "int")))
    assert check("FORWARD", w3, [w1, w2]) == []
    (msg,) = check("FORWARD_TRANSITIVE", w3, [w1, w2])
    assert "reader field 'a' has no default value" in msg
    assert "[previous schema 1 of 2 reading data written with the new schema]" in msg


def test_full_transitive_checks_every_earlier_version() -> None:
    assert check("FULL", V3, [V1, V2]) == []
    assert check("FULL_TRANSITIVE", V3, [V1, V2]) != []
    assert check("FULL_TRANSITIVE", V2, [V1]) == []


def test_plain_levels_check_only_the_latest_version() -> None:
    # previous is oldest first: only V2 counts for BACKWARD.
    assert check("BACKWARD", V3, [V1, V2]) == []
    assert check("BACKWARD", V3, [V2, V1]) != []


def test_transitive_reports_only_the_newest_failing_version() -> None:
    a = p(record("R", field("id", "int")))
    b = p(record("R", field("id", "int"), field("x", "int", default=0)))
    new = p(record("R", field("id", "string")))
    issues = check_details("BACKWARD_TRANSITIVE", new, [a, b])
    assert {i.index for i in issues} == {1}
    assert all("previous schema 2 of 2" in m for m in check("BACKWARD_TRANSITIVE", new, [a, b]))


def test_full_reports_forward_problems_first() -> None:
    old = p(record("R", field("n", "int"), field("gone", "string")))
    new = p(record("R", field("n", "int"), field("added", "string")))
    issues = check_details("FULL", new, [old])
    assert [(i.reader, i.incompatibility.field) for i in issues] == [
        ("old", "gone"),
        ("new", "added"),
    ]


def test_none_and_no_previous_versions_are_always_compatible() -> None:
    assert check("NONE", p("int"), [p("string")]) == []
    for level in LEVELS:
        assert check(level, p("int"), []) == []


def test_level_names() -> None:
    assert check("backward", p("int"), [p("long")]) != []
    with pytest.raises(ValueError, match="unknown compatibility level"):
        check("SIDEWAYS", p("int"), [p("int")])


# --- data-level truth: fastavro reading data written with the other schema -------------------

# (writer, reader, a datum of the writer's, whether fastavro notices an incompatibility)
DATA: dict[str, tuple[Any, Any, Any, bool]] = {
    "field added with a default": (user(), user(OPT_EMAIL), {"id": 1, "name": "a"}, True),
    "field added without a default": (user(), user(EMAIL), {"id": 1, "name": "a"}, True),
    "field removed": (user(EMAIL), user(), {"id": 1, "name": "a", "email": "e"}, True),
    "int to long": (
        record("R", field("n", "int")),
        record("R", field("n", "long")),
        {"n": 7},
        True,
    ),
    "long to int": (
        record("R", field("n", "long")),
        record("R", field("n", "int")),
        {"n": 7},
        True,
    ),
    "float to double": (
        record("R", field("n", "float")),
        record("R", field("n", "double")),
        {"n": 0.5},
        True,
    ),
    "string to bytes": (
        record("R", field("s", "string")),
        record("R", field("s", "bytes")),
        {"s": "é"},
        True,
    ),
    "bytes to string": (
        record("R", field("s", "bytes")),
        record("R", field("s", "string")),
        {"s": b"x"},
        True,
    ),
    "enum symbol removed": (
        enum("Suit", ["HEARTS", "SPADES", "CLUBS"]),
        enum("Suit", ["HEARTS", "SPADES"]),
        "CLUBS",
        True,
    ),
    "enum symbol removed, reader default": (
        enum("Suit", ["HEARTS", "SPADES", "CLUBS"]),
        enum("Suit", ["HEARTS", "SPADES"], default="HEARTS"),
        "CLUBS",
        True,
    ),
    "union widened": (["null", "string"], ["null", "string", "int"], "x", True),
    "union narrowed": (["null", "string", "int"], ["null", "string"], 5, True),
    "single type to union": ("int", ["null", "long"], 5, True),
    "union to single type": (["null", "int"], "long", None, True),
    "record renamed with an alias": (
        user(),
        record("Customer", field("id", "int"), field("name", "string"), aliases=["User"]),
        {"id": 1, "name": "a"},
        True,
    ),
    "record renamed without an alias": (
        user(),
        record("Customer", field("id", "int"), field("name", "string")),
        {"id": 1, "name": "a"},
        True,
    ),
    "field renamed with an alias": (
        user(EMAIL),
        user(field("mail", "string", aliases=["email"])),
        {"id": 1, "name": "a", "email": "e"},
        True,
    ),
    "nested record field added without a default": (
        record("P", field("addr", record("Addr", field("city", "string")))),
        record("P", field("addr", record("Addr", field("city", "string"), field("zip", "string")))),
        {"addr": {"city": "c"}},
        True,
    ),
    "array items promoted": (
        {"type": "array", "items": "int"},
        {"type": "array", "items": "double"},
        [1, 2],
        True,
    ),
    "array items changed": (
        {"type": "array", "items": "int"},
        {"type": "array", "items": "string"},
        [1],
        True,
    ),
    "map values promoted": (
        {"type": "map", "values": "long"},
        {"type": "map", "values": "float"},
        {"k": 3},
        True,
    ),
    "fixed size changed": (fixed("Hash", 4), fixed("Hash", 8), b"abcd", True),
    "fixed renamed": (fixed("Hash", 4), fixed("Digest", 4), b"abcd", True),
    "recursive list": (
        record("Node", field("v", "int"), field("next", ["null", "Node"])),
        record(
            "Node",
            field("v", "long"),
            field("next", ["null", "Node"]),
            field("w", "int", default=3),
        ),
        {"v": 1, "next": {"v": 2, "next": None}},
        True,
    ),
    "recursive list, narrowed": (
        record("Node", field("v", "long"), field("next", ["null", "Node"])),
        record("Node", field("v", "int"), field("next", ["null", "Node"])),
        {"v": 1, "next": {"v": 2, "next": None}},
        True,
    ),
    # fastavro matches names without their namespace (a newer reading of the specification);
    # the registry, like Avro Java, compares full names: refused, though fastavro reads it.
    "namespace changed": (user(namespace="a"), user(namespace="b"), {"id": 1, "name": "a"}, False),
}


@pytest.mark.parametrize("case", list(DATA))
def test_data_written_with_the_writer_reads_with_the_reader(case: str) -> None:
    writer, reader, datum, detected = DATA[case]
    problems = can_read(p(reader), p(writer))
    if not problems:
        roundtrip(writer, reader, datum)
    elif detected:
        with pytest.raises(fastavro.read.SchemaResolutionError):
            roundtrip(writer, reader, datum)
    else:
        roundtrip(writer, reader, datum)


def test_round_trip_values() -> None:
    w = record("R", field("id", "int"), field("tags", {"type": "array", "items": "string"}))
    r = record(
        "R",
        field("id", "long"),
        field("tags", {"type": "array", "items": "bytes"}),
        field("score", "double", default=0.5),
        field("kind", enum("K", ["A", "B"]), default="B"),
    )
    assert can_read(p(r), p(w)) == []
    assert roundtrip(w, r, {"id": 3, "tags": ["x"]}) == {
        "id": 3,
        "tags": [b"x"],
        "score": 0.5,
        "kind": "B",
    }


# Schemas without names, and a value of each, for an exhaustive cross-check with fastavro.
POOL: list[tuple[Any, list[Any]]] = [
    ("null", [None]),
    ("boolean", [True]),
    ("int", [-5]),
    ("long", [2**40]),
    ("float", [1.5]),
    ("double", [2.25]),
    ("bytes", [b"ab"]),
    ("string", ["hé"]),
    (["null", "int"], [None, 3]),
    (["null", "string"], [None, "s"]),
    (["int", "string"], [4, "t"]),
    (["null", "long", "string"], [None, 2**40, "u"]),
    ({"type": "array", "items": "int"}, [[1, 2]]),
    ({"type": "array", "items": "long"}, [[2**40]]),
    ({"type": "array", "items": ["null", "string"]}, [[None, "a"]]),
    ({"type": "map", "values": "float"}, [{"k": 1.5}]),
    ({"type": "map", "values": "double"}, [{"k": 2.5}]),
]


@pytest.mark.parametrize(
    ("w", "r"), list(itertools.product(range(len(POOL)), repeat=2)), ids=lambda i: str(i)
)
def test_verdicts_agree_with_fastavro(w: int, r: int) -> None:
    """For unnamed schemas fastavro and the checker apply the same rules: a compatible pair
    reads every value, an incompatible pair fails on at least one of the writer's values."""
    writer, values = POOL[w]
    reader, _ = POOL[r]
    compatible = can_read(p(reader), p(writer)) == []
    failures = 0
    for v in values:
        try:
            roundtrip(writer, reader, v)
        except fastavro.read.SchemaResolutionError:
            failures += 1
    if compatible:
        assert failures == 0
    else:
        assert failures > 0
