"""JSON schemas in the registry (parsing, `json_compat`) and the JSON and Avro serdes' wire
format and errors, without a broker: the SchemaRegistryClient's transport is a Registry over a
MemoryLog, reached through the same REST handler as ``shm://`` URLs."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from shoal.error import SerializationError
from shoal.schema_registry import _rest, json_compat, schema_registry_client
from shoal.schema_registry._registry import MemoryLog, Registry
from shoal.schema_registry.avro import AvroDeserializer, AvroSerializer
from shoal.schema_registry.error import SchemaRegistryError
from shoal.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from shoal.schema_registry.schema_registry_client import Schema, SchemaRegistryClient
from shoal.serialization import MessageField, SerializationContext

pytestmark = pytest.mark.unit

# --- a client over a registry in memory ------------------------------------------------------


class MemoryTransport:
    """The client's transport, answering from a Registry over a MemoryLog (what `_Local` does
    over the `_schemas` topic). Counts requests, to see what the client caches."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        self.requests.append((method, path))
        status, answer = _rest.handle(self.registry, method, path, query, body)
        if status != 200:
            raise SchemaRegistryError(status, answer["error_code"], answer["message"])
        return json.loads(json.dumps(answer)) if not _rest.is_raw(answer) else str(answer)

    def close(self) -> None:
        pass


@pytest.fixture
def registry() -> Registry:
    return Registry(MemoryLog())


@pytest.fixture
def client(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Iterator[SchemaRegistryClient]:
    """A SchemaRegistryClient built the ordinary way, whose shm:// transport is in memory."""
    monkeypatch.setattr(
        schema_registry_client, "_Local", lambda bootstrap, timeout: MemoryTransport(registry)
    )
    with SchemaRegistryClient({"url": "shm://memory"}) as c:
        yield c


def transport(client: SchemaRegistryClient) -> MemoryTransport:
    t = client._transport
    assert isinstance(t, MemoryTransport)
    return t


CTX = SerializationContext("users", MessageField.VALUE)


def framed(schema_id: int, payload: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", schema_id) + payload


# --- JSON schemas in the registry ------------------------------------------------------------

PERSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "address": {
            "type": "object",
            "properties": {"zip": {"type": "string", "maxLength": 5}},
        },
    },
    "required": ["name"],
}


def register_json(registry: Registry, subject: str, schema: Any) -> tuple[int, Any]:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return _rest.handle(
        registry,
        "POST",
        f"/subjects/{subject}/versions",
        {},
        {"schema": text, "schemaType": "JSON"},
    )


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param('{"type": "object",', "not valid JSON", id="not-json"),
        pytest.param("[1, 2]", "object or a boolean", id="an-array"),
        pytest.param('"string"', "object or a boolean", id="a-string"),
        pytest.param({"type": "whole-number"}, "whole-number", id="unknown-type"),
        pytest.param({"type": "object", "properties": 3}, "3", id="properties-not-an-object"),
        pytest.param({"type": "object", "required": "name"}, "name", id="required-not-a-list"),
        pytest.param({"minimum": "zero"}, "zero", id="minimum-not-a-number"),
    ],
)
def test_invalid_json_schemas_are_42201(registry: Registry, schema: Any, expected: str) -> None:
    status, answer = register_json(registry, "s", schema)
    assert (status, answer["error_code"]) == (422, 42201), answer
    assert answer["message"].startswith("Invalid schema")
    assert expected in answer["message"]
    with pytest.raises(json_compat.SchemaParseError):
        json_compat.parse(schema if isinstance(schema, str) else json.dumps(schema))


def test_valid_json_schemas_register(registry: Registry) -> None:
    assert register_json(registry, "s", PERSON) == (200, {"id": 1, "subject": "s", "version": 1})
    assert register_json(registry, "b", "true")[0] == 200
    # The same text as Avro is another schema: Avro would not even parse it.
    status, answer = _rest.handle(
        registry, "POST", "/subjects/a/versions", {}, {"schema": json.dumps(PERSON)}
    )
    assert (status, answer["error_code"]) == (422, 42201)


def test_a_json_subject_refuses_an_avro_schema(registry: Registry) -> None:
    register_json(registry, "s", PERSON)
    avro = json.dumps({"type": "record", "name": "R", "fields": []})
    status, answer = _rest.handle(registry, "POST", "/subjects/s/versions", {}, {"schema": avro})
    assert (status, answer["error_code"]) == (409, 409)
    assert "JSON" in answer["message"] or "AVRO" in answer["message"]


# --- json_compat -----------------------------------------------------------------------------


def obj(properties: dict[str, Any], required: list[str] | None = None, **kw: Any) -> str:
    value: dict[str, Any] = {"type": "object", "properties": properties, **kw}
    if required is not None:
        value["required"] = required
    return json.dumps(value)


STR = {"type": "string"}
INT = {"type": "integer"}


def outcomes(old: str, new: str) -> dict[str, list[str]]:
    return {level: json_compat.check(level, new, [old]) for level in ("BACKWARD", "FORWARD")}


def test_a_required_property_added_fails_backward() -> None:
    got = outcomes(obj({"a": STR}), obj({"a": STR, "b": STR}, ["b"]))
    assert any("REQUIRED_PROPERTY_ADDED" in p and "'b'" in p for p in got["BACKWARD"])
    # Old readers of an open model accept the new property.
    assert got["FORWARD"] == []
    assert json_compat.check("FULL", obj({"a": STR}, ["a"]), [obj({"a": STR})]) != []


def test_a_property_added_to_an_open_model() -> None:
    # Old data may already carry a "b" of any type: a typed "b" may refuse it.
    got = outcomes(obj({"a": STR}), obj({"a": STR, "b": INT}))
    assert any("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in p for p in got["BACKWARD"])
    assert got["FORWARD"] == []
    # A property accepting anything is fine, and so is a typed one after a closed model.
    assert outcomes(obj({"a": STR}), obj({"a": STR, "b": {}}))["BACKWARD"] == []
    closed = obj({"a": STR}, additionalProperties=False)
    assert outcomes(closed, obj({"a": STR, "b": INT}))["BACKWARD"] == []


def test_a_property_removed_from_a_closed_model() -> None:
    old = obj({"a": STR, "b": INT})
    got = outcomes(old, obj({"a": STR}, additionalProperties=False))
    assert any(
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in p and "'b'" in p for p in got["BACKWARD"]
    )
    # From an open model the removal is fine: "b" is then any additional property.
    assert outcomes(old, obj({"a": STR}))["BACKWARD"] == []


def test_an_enum_narrowed_or_widened() -> None:
    wide = json.dumps({"type": "string", "enum": ["red", "green", "blue"]})
    narrow = json.dumps({"type": "string", "enum": ["red", "green"]})
    narrowed = outcomes(wide, narrow)
    assert any("ENUM_ARRAY_NARROWED" in p and "blue" in p for p in narrowed["BACKWARD"])
    assert narrowed["FORWARD"] == []
    widened = outcomes(narrow, wide)
    assert widened["BACKWARD"] == []
    assert any("ENUM_ARRAY_NARROWED" in p for p in widened["FORWARD"])


def test_integer_widened_to_number() -> None:
    got = outcomes(obj({"n": INT}), obj({"n": {"type": "number"}}))
    assert got["BACKWARD"] == []
    assert any("TYPE_CHANGED" in p and "number" in p for p in got["FORWARD"])
    assert json_compat.check("FULL", obj({"n": {"type": "number"}}), [obj({"n": INT})]) != []


def test_bounds_tightened_fail_backward() -> None:
    old = obj({"s": {"type": "string", "maxLength": 10}})
    new = obj({"s": {"type": "string", "maxLength": 5}})
    assert any("maxLength" in p for p in outcomes(old, new)["BACKWARD"])
    assert outcomes(old, new)["FORWARD"] == []


def test_json_transitive_levels_and_none() -> None:
    v1 = obj({"a": STR})
    v2 = obj({"a": STR, "b": STR}, ["b"])
    # v3 differs from v2 only by an annotation, so it reads v2's data but not v1's.
    v3 = obj({"a": STR, "b": STR}, ["b"], description="v3")
    assert json_compat.check("BACKWARD", v3, [v1, v2]) == []
    problems = json_compat.check("BACKWARD_TRANSITIVE", v3, [v1, v2])
    assert any("version 1" in p for p in problems)
    assert json_compat.check("NONE", json.dumps({"type": "integer"}), [v1, v2]) == []
    assert json_compat.check("BACKWARD", v1, []) == []


def test_json_compatibility_through_the_registry(registry: Registry) -> None:
    register_json(registry, "s", obj({"a": STR}))
    status, answer = register_json(registry, "s", obj({"a": STR, "b": STR}, ["b"]))
    assert (status, answer["error_code"]) == (409, 409)
    assert "'b'" in answer["message"]
    assert register_json(registry, "s", obj({"a": STR, "b": {}}))[0] == 200


# --- the JSON serdes -------------------------------------------------------------------------


def test_json_round_trip_and_wire_format(client: SchemaRegistryClient) -> None:
    ser = JSONSerializer(json.dumps(PERSON), client)
    person = {"name": "Ada", "age": 36, "address": {"zip": "12345"}}
    data = ser(person, CTX)
    assert data is not None
    assert data[0] == 0
    (schema_id,) = struct.unpack(">I", data[1:5])
    assert schema_id == client.get_latest_version("users-value").schema_id == 1
    assert json.loads(data[5:]) == person
    assert JSONDeserializer(None, schema_registry_client=client)(data, CTX) == person
    assert JSONDeserializer(json.dumps(PERSON))(data, CTX) == person
    # A second record reuses the id: no new registration.
    before = len(transport(client).requests)
    ser({"name": "Bob"}, CTX)
    assert len(transport(client).requests) == before


def test_json_serdes_pass_none_through(client: SchemaRegistryClient) -> None:
    assert JSONSerializer(json.dumps(PERSON), client)(None, CTX) is None
    assert JSONDeserializer(json.dumps(PERSON))(None, CTX) is None


def test_json_to_dict_and_from_dict(client: SchemaRegistryClient) -> None:
    class Person:
        def __init__(self, name: str) -> None:
            self.name = name

    ser = JSONSerializer(json.dumps(PERSON), client, to_dict=lambda p, ctx: {"name": p.name})
    de = JSONDeserializer(json.dumps(PERSON), from_dict=lambda d, ctx: Person(d["name"]))
    data = ser(Person("Ada"), CTX)
    assert de(data, CTX).name == "Ada"


@pytest.mark.parametrize(
    ("record", "where"),
    [
        pytest.param({"age": 3}, "(the record)", id="required-missing"),
        pytest.param({"name": "Ada", "age": "old"}, "age", id="wrong-type"),
        pytest.param({"name": "Ada", "age": -1}, "age", id="below-minimum"),
        pytest.param({"name": "Ada", "address": {"zip": "123456"}}, "address/zip", id="nested"),
    ],
)
def test_a_json_record_that_violates_the_schema(
    client: SchemaRegistryClient, record: dict[str, Any], where: str
) -> None:
    with pytest.raises(SerializationError, match="does not match the schema") as e:
        JSONSerializer(json.dumps(PERSON), client)(record, CTX)
    assert f"at {where}:" in str(e.value)
    # The reader checks too, against its own schema.
    with pytest.raises(SerializationError, match="does not match the schema") as e:
        JSONDeserializer(json.dumps(PERSON))(framed(1, json.dumps(record).encode()), CTX)
    assert f"at {where}:" in str(e.value)


def test_json_with_an_unknown_schema_id(client: SchemaRegistryClient) -> None:
    de = JSONDeserializer(None, schema_registry_client=client)
    with pytest.raises(SerializationError, match="schema id 42 is not in the schema registry"):
        de(framed(42, b'{"name": "Ada"}'), CTX)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "total data size is 0 bytes", id="empty"),
        pytest.param(b"\x00\x00\x01", "total data size is 3 bytes", id="short"),
        pytest.param(b"\x01\x00\x00\x00\x01{}", "magic byte 1", id="wrong-magic"),
        pytest.param(b'{"name": "Ada"}', "magic byte 123", id="plain-json"),
    ],
)
def test_json_bad_framing(client: SchemaRegistryClient, data: bytes, expected: str) -> None:
    for de in (
        JSONDeserializer(json.dumps(PERSON)),
        JSONDeserializer(None, schema_registry_client=client),
    ):
        with pytest.raises(SerializationError, match=expected):
            de(data, CTX)


def test_json_payload_that_is_not_json(client: SchemaRegistryClient) -> None:
    with pytest.raises(SerializationError, match="not JSON"):
        JSONDeserializer(json.dumps(PERSON))(framed(1, b"{nope"), CTX)


def test_json_serializer_with_an_invalid_schema(client: SchemaRegistryClient) -> None:
    with pytest.raises(SerializationError, match="Invalid schema"):
        JSONSerializer('{"type": "whole-number"}', client)


def test_json_serializer_without_auto_register(client: SchemaRegistryClient) -> None:
    ser = JSONSerializer(json.dumps(PERSON), client, conf={"auto.register.schemas": False})
    with pytest.raises(SerializationError, match="users-value"):
        ser({"name": "Ada"}, CTX)
    JSONSerializer(json.dumps(PERSON), client)({"name": "Ada"}, CTX)
    data = ser({"name": "Ada"}, CTX)
    assert data is not None and data[1:5] == struct.pack(">I", 1)


# --- the Avro serdes -------------------------------------------------------------------------

USER = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "ex",
        "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}],
    }
)
USER_V2 = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "ex",
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "age", "type": "int"},
            {"name": "email", "type": ["null", "string"], "default": None},
        ],
    }
)


def test_avro_round_trip_and_wire_format(client: SchemaRegistryClient) -> None:
    data = AvroSerializer(client, USER)({"name": "Ada", "age": 36}, CTX)
    assert data is not None
    assert data[:5] == b"\x00\x00\x00\x00\x01"
    # Avro binary: a string is its zig-zag length then UTF-8, an int is zig-zag.
    assert data[5:] == b"\x06Ada" + bytes([72])
    assert AvroDeserializer(client)(data, CTX) == {"name": "Ada", "age": 36}
    assert AvroDeserializer(client)(None, CTX) is None


def test_avro_reader_schema_resolves_the_writers(client: SchemaRegistryClient) -> None:
    old = AvroSerializer(client, USER)({"name": "Ada", "age": 36}, CTX)
    new = AvroSerializer(client, USER_V2)({"name": "Bob", "age": 7, "email": "b@x"}, CTX)
    assert new is not None and new[1:5] == struct.pack(">I", 2)
    assert AvroDeserializer(client, USER_V2)(old, CTX) == {"name": "Ada", "age": 36, "email": None}
    assert AvroDeserializer(client, USER)(new, CTX) == {"name": "Bob", "age": 7}


@pytest.mark.parametrize(
    "record",
    [
        pytest.param({"name": "Ada", "age": "old"}, id="wrong-type"),
        pytest.param({"name": "Ada"}, id="missing"),
        pytest.param({"name": "Ada", "age": 2**40}, id="out-of-range"),
    ],
)
def test_an_avro_record_that_violates_the_schema(
    client: SchemaRegistryClient, record: dict[str, Any]
) -> None:
    with pytest.raises(SerializationError, match="does not match the schema") as e:
        AvroSerializer(client, USER)(record, CTX)
    assert "age" in str(e.value)


def test_avro_with_an_unknown_schema_id(client: SchemaRegistryClient) -> None:
    with pytest.raises(SerializationError, match="schema id 42 is not in the schema registry"):
        AvroDeserializer(client)(framed(42, b"\x06Ada\x48"), CTX)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"\x00\x00", "total data size is 2 bytes", id="short"),
        pytest.param(b"\x02\x00\x00\x00\x01\x06Ada\x48", "magic byte 2", id="wrong-magic"),
    ],
)
def test_avro_bad_framing(client: SchemaRegistryClient, data: bytes, expected: str) -> None:
    with pytest.raises(SerializationError, match=expected):
        AvroDeserializer(client)(data, CTX)


def test_avro_truncated_payload(client: SchemaRegistryClient) -> None:
    data = AvroSerializer(client, USER)({"name": "Ada", "age": 36}, CTX)
    assert data is not None
    with pytest.raises(SerializationError, match="schema id 1"):
        AvroDeserializer(client)(data[:7], CTX)


def test_avro_deserializer_refuses_a_json_schema_id(client: SchemaRegistryClient) -> None:
    data = JSONSerializer(json.dumps(PERSON), client)({"name": "Ada"}, CTX)
    assert data is not None
    with pytest.raises(SerializationError, match="not Avro"):
        AvroDeserializer(client)(data, CTX)


def test_avro_schema_incompatible_with_the_subject(client: SchemaRegistryClient) -> None:
    AvroSerializer(client, USER)({"name": "Ada", "age": 36}, CTX)
    # A required field the old data lacks: the registry refuses it (BACKWARD).
    v2 = json.loads(USER)
    v2["fields"].append({"name": "email", "type": "string"})
    with pytest.raises(SerializationError, match="email") as e:
        AvroSerializer(client, json.dumps(v2))({"name": "Ada", "age": 1, "email": "a@x"}, CTX)
    assert isinstance(e.value.__cause__, SchemaRegistryError)
    assert e.value.__cause__.error_code == 409


def test_avro_use_latest_version(client: SchemaRegistryClient) -> None:
    client.register_schema("users-value", Schema(USER, "AVRO"))
    client.register_schema("users-value", Schema(USER_V2, "AVRO"))
    ser = AvroSerializer(client, conf={"auto.register.schemas": False, "use.latest.version": True})
    data = ser({"name": "Ada", "age": 1, "email": None}, CTX)
    assert data is not None and data[1:5] == struct.pack(">I", 2)
    with pytest.raises(ValueError, match=r"use\.latest\.version"):
        AvroSerializer(client, USER, conf={"use.latest.version": True})


def test_serde_configuration_errors(client: SchemaRegistryClient) -> None:
    with pytest.raises(ValueError, match="Unrecognized properties: bogus"):
        AvroSerializer(client, USER, conf={"bogus": True})
    with pytest.raises(ValueError, match="boolean"):
        JSONSerializer(json.dumps(PERSON), client, conf={"auto.register.schemas": "yes"})
    with pytest.raises(ValueError, match="schema_str or a schema_registry_client"):
        JSONDeserializer(None)
    with pytest.raises(SerializationError, match="invalid Avro schema"):
        AvroSerializer(client, "{nope")
