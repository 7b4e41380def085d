"""Schema evolution through the registry: register the versions of a subject, set its
compatibility level, and check that the next version is accepted or refused (409) as the Avro
specification's schema-resolution rules say. No broker: a Registry over a MemoryLog."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shoal.schema_registry import _rest
from shoal.schema_registry._registry import MemoryLog, Registry

pytestmark = pytest.mark.unit

ACCEPTED = "accepted"


def record(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "User", "namespace": "ex", "fields": list(fields)})


def field(name: str, type_: Any, **kw: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **kw}


def color(symbols: list[str], **kw: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Color", "symbols": symbols, **kw}


def evolve(level: str, *versions: str) -> str:
    """Registers every version but the last under level NONE, sets `level` on the subject and
    registers the last: ACCEPTED, or the 409's message. The compatibility endpoint must say
    the same before the registration is tried."""
    reg = Registry(MemoryLog())

    def call(method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
        return _rest.handle(reg, method, path, query, body)

    assert call("PUT", "/config/s", {"compatibility": "NONE"})[0] == 200
    for i, schema in enumerate(versions[:-1], start=1):
        assert call("POST", "/subjects/s/versions", {"schema": schema}) == (
            200,
            {"id": i, "subject": "s", "version": i},
        )
    assert call("PUT", "/config/s", {"compatibility": level}) == (200, {"compatibility": level})
    _, check = call("POST", "/compatibility/subjects/s/versions", {"schema": versions[-1]})
    status, answer = call("POST", "/subjects/s/versions", {"schema": versions[-1]})
    if status == 200:
        assert answer["version"] == len(versions)
        assert check == {"is_compatible": True}
        return ACCEPTED
    assert (status, answer["error_code"]) == (409, 409), answer
    assert check == {"is_compatible": False}
    assert level in answer["message"]
    return str(answer["message"])


def assert_outcomes(old: str, new: str, expected: dict[str, str]) -> None:
    """`expected` maps a level to ACCEPTED or to a word the 409's message must contain."""
    for level, outcome in expected.items():
        got = evolve(level, old, new)
        if outcome == ACCEPTED:
            assert got == ACCEPTED, f"{level}: {got}"
        else:
            assert got != ACCEPTED, f"{level} accepted the change"
            assert outcome in got, f"{level}: {got}"


NAME = field("name", "string")


# --- fields ----------------------------------------------------------------------------------


def test_adding_a_field_with_a_default() -> None:
    assert_outcomes(
        record(NAME),
        record(NAME, field("age", "int", default=0)),
        {
            "BACKWARD": ACCEPTED,
            "FORWARD": ACCEPTED,
            "FULL": ACCEPTED,
            "BACKWARD_TRANSITIVE": ACCEPTED,
            "FORWARD_TRANSITIVE": ACCEPTED,
            "FULL_TRANSITIVE": ACCEPTED,
            "NONE": ACCEPTED,
        },
    )


def test_adding_a_field_without_a_default() -> None:
    # The new schema cannot read old data (no age there, no default); old readers skip it.
    assert_outcomes(
        record(NAME),
        record(NAME, field("age", "int")),
        {"BACKWARD": "'age'", "FORWARD": ACCEPTED, "FULL": "'age'", "NONE": ACCEPTED},
    )


def test_removing_a_field_without_a_default() -> None:
    # Old readers need the field the new data lacks; the new reader ignores it in old data.
    assert_outcomes(
        record(NAME, field("age", "int")),
        record(NAME),
        {"BACKWARD": ACCEPTED, "FORWARD": "'age'", "FULL": "'age'", "NONE": ACCEPTED},
    )


def test_removing_a_field_with_a_default() -> None:
    assert_outcomes(
        record(NAME, field("age", "int", default=0)),
        record(NAME),
        {"BACKWARD": ACCEPTED, "FORWARD": ACCEPTED, "FULL": ACCEPTED},
    )


def test_renaming_a_field_with_an_alias_is_backward_only() -> None:
    assert_outcomes(
        record(NAME, field("age", "int")),
        record(NAME, field("years", "int", aliases=["age"])),
        {"BACKWARD": ACCEPTED, "FORWARD": "'age'"},
    )


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [("int", "long"), ("int", "double"), ("long", "float"), ("float", "double")],
)
def test_numeric_promotion_is_backward_only(old: str, new: str) -> None:
    assert_outcomes(
        record(NAME, field("n", old)),
        record(NAME, field("n", new)),
        {"BACKWARD": ACCEPTED, "FORWARD": "TYPE_MISMATCH", "FULL": "TYPE_MISMATCH"},
    )


def test_string_and_bytes_promote_both_ways() -> None:
    assert_outcomes(
        record(NAME, field("b", "bytes")),
        record(NAME, field("b", "string")),
        {"BACKWARD": ACCEPTED, "FORWARD": ACCEPTED, "FULL": ACCEPTED},
    )


def test_an_unrelated_type_change_fails_both_ways_but_passes_none() -> None:
    assert_outcomes(
        record(NAME, field("n", "int")),
        record(NAME, field("n", "string")),
        {"BACKWARD": "'n'", "FORWARD": "'n'", "FULL": "TYPE_MISMATCH", "NONE": ACCEPTED},
    )


def test_none_accepts_anything() -> None:
    assert evolve("NONE", record(NAME), json.dumps("string")) == ACCEPTED
    assert evolve("NONE", json.dumps({"type": "array", "items": "int"}), record(NAME)) == ACCEPTED
    assert (
        evolve("NONE", record(NAME), json.dumps({"type": "record", "name": "Other", "fields": []}))
        == ACCEPTED
    )


# --- enums -----------------------------------------------------------------------------------


def test_adding_an_enum_symbol() -> None:
    # Old readers meet a symbol they do not know.
    assert_outcomes(
        record(field("c", color(["RED", "GREEN"]))),
        record(field("c", color(["RED", "GREEN", "BLUE"]))),
        {"BACKWARD": ACCEPTED, "FORWARD": "MISSING_ENUM_SYMBOLS", "FULL": "BLUE"},
    )


def test_adding_an_enum_symbol_when_the_enum_has_a_default() -> None:
    # An unknown symbol reads as the reader's default.
    assert_outcomes(
        record(field("c", color(["RED", "GREEN"], default="RED"))),
        record(field("c", color(["RED", "GREEN", "BLUE"], default="RED"))),
        {"BACKWARD": ACCEPTED, "FORWARD": ACCEPTED, "FULL": ACCEPTED},
    )


def test_removing_an_enum_symbol() -> None:
    assert_outcomes(
        record(field("c", color(["RED", "GREEN", "BLUE"]))),
        record(field("c", color(["RED", "GREEN"]))),
        {"BACKWARD": "BLUE", "FORWARD": ACCEPTED, "FULL": "MISSING_ENUM_SYMBOLS"},
    )


def test_removing_an_enum_symbol_when_the_enum_has_a_default() -> None:
    assert_outcomes(
        record(field("c", color(["RED", "GREEN", "BLUE"], default="RED"))),
        record(field("c", color(["RED", "GREEN"], default="RED"))),
        {"BACKWARD": ACCEPTED, "FORWARD": ACCEPTED, "FULL": ACCEPTED},
    )


# --- unions ----------------------------------------------------------------------------------


def test_widening_a_type_to_a_union() -> None:
    # A new reader's union has a branch for old strings; an old reader has none for null.
    assert_outcomes(
        record(field("email", "string")),
        record(field("email", ["null", "string"], default=None)),
        {"BACKWARD": ACCEPTED, "FORWARD": "'email'", "FULL": "'email'"},
    )


def test_narrowing_a_union_to_a_type() -> None:
    assert_outcomes(
        record(field("email", ["null", "string"], default=None)),
        record(field("email", "string")),
        {"BACKWARD": "'email'", "FORWARD": ACCEPTED, "FULL": "'email'"},
    )


def test_adding_a_union_branch() -> None:
    assert_outcomes(
        record(field("v", ["null", "int"], default=None)),
        record(field("v", ["null", "int", "string"], default=None)),
        {"BACKWARD": ACCEPTED, "FORWARD": "MISSING_UNION_BRANCH", "FULL": "MISSING_UNION_BRANCH"},
    )


# --- transitive levels -----------------------------------------------------------------------

AGE = field("age", "int")
AGE_WITH_DEFAULT = field("age", "int", default=0)


def test_backward_transitive_checks_every_earlier_version() -> None:
    # v3 reads v2's data (age is written) but not v1's (no age, and no default).
    versions = (record(NAME), record(NAME, AGE_WITH_DEFAULT), record(NAME, AGE))
    assert evolve("BACKWARD", *versions) == ACCEPTED
    message = evolve("BACKWARD_TRANSITIVE", *versions)
    assert message != ACCEPTED
    assert "'age'" in message


def test_forward_transitive_checks_every_earlier_version() -> None:
    # v2 reads v3's data (age has a default there) but v1 cannot (age has none).
    versions = (record(NAME, AGE), record(NAME, AGE_WITH_DEFAULT), record(NAME))
    assert evolve("FORWARD", *versions) == ACCEPTED
    message = evolve("FORWARD_TRANSITIVE", *versions)
    assert message != ACCEPTED
    assert "'age'" in message


def test_full_transitive_checks_every_earlier_version() -> None:
    versions = (record(NAME, AGE), record(NAME, AGE_WITH_DEFAULT), record(NAME))
    assert evolve("FULL", *versions) == ACCEPTED
    message = evolve("FULL_TRANSITIVE", *versions)
    assert message != ACCEPTED
    assert "'age'" in message


def test_transitive_levels_accept_a_change_compatible_with_every_version() -> None:
    versions = (
        record(NAME),
        record(NAME, AGE_WITH_DEFAULT),
        record(NAME, AGE_WITH_DEFAULT, field("email", ["null", "string"], default=None)),
    )
    for level in ("BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"):
        assert evolve(level, *versions) == ACCEPTED, level


def test_soft_deleted_versions_are_not_checked() -> None:
    reg = Registry(MemoryLog())

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return _rest.handle(reg, method, path, {}, body)

    call("PUT", "/config/s", {"compatibility": "NONE"})
    call("POST", "/subjects/s/versions", {"schema": record(NAME)})
    call("POST", "/subjects/s/versions", {"schema": record(NAME, AGE_WITH_DEFAULT)})
    call("PUT", "/config/s", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert call("POST", "/subjects/s/versions", {"schema": record(NAME, AGE)})[0] == 409
    assert call("DELETE", "/subjects/s/versions/1") == (200, 1)
    status, answer = call("POST", "/subjects/s/versions", {"schema": record(NAME, AGE)})
    assert (status, answer["version"]) == (200, 3)
