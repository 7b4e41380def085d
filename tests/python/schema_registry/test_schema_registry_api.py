"""The schema registry's REST API without a broker: `_rest.handle` on a `Registry` over a
`MemoryLog`, checked against Confluent Schema Registry's answers and error codes, and the
records it writes to the log (Confluent's KafkaStore format)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from shoal.schema_registry import _rest
from shoal.schema_registry._registry import MemoryLog, Record, Registry
from shoal.schema_registry._state import RegistryState

pytestmark = pytest.mark.unit

# --- helpers ---------------------------------------------------------------------------------


def call(r: Registry, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
    q = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
    return _rest.handle(r, method, path, q, body)


def ok(r: Registry, method: str, path: str, body: Any = None, **query: Any) -> Any:
    status, answer = call(r, method, path, body, **query)
    assert status == 200, answer
    return answer


def fails(
    r: Registry, method: str, path: str, body: Any = None, **query: Any
) -> tuple[int, int, str]:
    """(HTTP status, Confluent error code, message) of a call that must fail."""
    status, answer = call(r, method, path, body, **query)
    assert status != 200, answer
    assert set(answer) == {"error_code", "message"}, answer
    return status, answer["error_code"], answer["message"]


def record(name: str, *fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)})


def field(name: str, type_: Any, **kw: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **kw}


def body(schema: str, **kw: Any) -> dict[str, Any]:
    return {"schema": schema, **kw}


def register(r: Registry, subject: str, schema: str) -> dict[str, Any]:
    return ok(r, "POST", f"/subjects/{subject}/versions", body(schema))


# Three schemas of one subject, each BACKWARD compatible with the one before.
V1 = record("User", field("name", "string"))
V2 = record("User", field("name", "string"), field("age", "int", default=0))
V3 = record(
    "User", field("name", "string"), field("age", "int", default=0), field("x", "long", default=1)
)
OTHER = record("Order", field("id", "long"))


@pytest.fixture
def reg() -> Registry:
    return Registry(MemoryLog())


def compacted(log: MemoryLog) -> MemoryLog:
    """What log compaction leaves of `log`: the last value of each key, tombstones dropped."""
    last: dict[bytes, bytes | None] = {}
    for k, v in log.records:
        last.pop(k, None)
        last[k] = v
    out = MemoryLog()
    out.records = [(k, v) for k, v in last.items() if v is not None]
    return out


def decoded(log: MemoryLog) -> list[tuple[dict[str, Any], Any]]:
    return [(json.loads(k), None if v is None else json.loads(v)) for k, v in log.records]


# --- registering and ids ---------------------------------------------------------------------


def test_register_answers_the_id_and_the_same_schema_keeps_it(reg: Registry) -> None:
    first = register(reg, "users-value", V1)
    assert first["id"] == 1
    assert register(reg, "users-value", V1)["id"] == 1
    assert ok(reg, "GET", "/subjects/users-value/versions") == [1]


def test_the_same_schema_spelled_differently_is_the_same_schema(reg: Registry) -> None:
    spaced = json.dumps(json.loads(V1), indent=2)
    long_form = record("User", field("name", {"type": "string"}))
    assert register(reg, "s", V1)["id"] == 1
    assert register(reg, "s", spaced)["id"] == 1
    assert register(reg, "s", long_form)["id"] == 1
    assert ok(reg, "GET", "/subjects/s/versions") == [1]


def test_the_same_schema_under_another_subject_has_the_same_id(reg: Registry) -> None:
    a = register(reg, "a", V1)
    b = register(reg, "b", V1)
    assert a["id"] == b["id"]
    assert b["version"] == 1
    assert ok(reg, "GET", f"/schemas/ids/{a['id']}/versions") == [
        {"subject": "a", "version": 1},
        {"subject": "b", "version": 1},
    ]
    assert ok(reg, "GET", f"/schemas/ids/{a['id']}/subjects") == ["a", "b"]


def test_a_different_schema_gets_the_next_id_and_version(reg: Registry) -> None:
    assert register(reg, "s", V1) == {"id": 1, "subject": "s", "version": 1}
    assert register(reg, "s", V2) == {"id": 2, "subject": "s", "version": 2}
    assert register(reg, "t", OTHER) == {"id": 3, "subject": "t", "version": 1}
    assert register(reg, "s", V3) == {"id": 4, "subject": "s", "version": 3}


def test_re_registering_an_older_version_adds_nothing(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    assert register(reg, "s", V1) == {"id": 1, "subject": "s", "version": 1}
    assert ok(reg, "GET", "/subjects/s/versions") == [1, 2]


def _delete_latest_for_good(reg: Registry) -> None:
    assert ok(reg, "DELETE", "/subjects/s/versions/2") == 2
    assert ok(reg, "DELETE", "/subjects/s/versions/2", permanent=True) == 2


def test_an_id_is_never_reused_after_its_schema_is_deleted_for_good(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    _delete_latest_for_good(reg)
    assert fails(reg, "GET", "/schemas/ids/2")[1] == 40403
    assert register(reg, "s", V3)["id"] == 3


def test_the_max_id_record_keeps_ids_unique_after_compaction() -> None:
    log = MemoryLog()
    reg = Registry(log)
    register(reg, "s", V1)
    register(reg, "s", V2)
    _delete_latest_for_good(reg)
    after = compacted(log)
    # Compaction dropped every record that mentioned id 2 except MAX_ID's.
    assert not any(v is not None and v.get("id") == 2 for _, v in decoded(after))
    without = MemoryLog()
    without.records = [(k, v) for k, v in after.records if b"MAX_ID" not in k]
    assert register(Registry(after), "s", V3)["id"] == 3
    # Without that record a registry rebuilt from the log would hand out 2 again.
    assert register(Registry(without), "s", V3)["id"] == 2


def test_a_deleted_subject_registered_again_continues_its_versions(reg: Registry) -> None:
    register(reg, "s", V1)
    ok(reg, "DELETE", "/subjects/s")
    assert register(reg, "s", V1) == {"id": 1, "subject": "s", "version": 2}


# --- reading ---------------------------------------------------------------------------------


def test_versions_latest_numbered_and_raw_schema(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    assert ok(reg, "GET", "/subjects/s/versions") == [1, 2]
    assert ok(reg, "GET", "/subjects/s/versions/latest") == {
        "subject": "s",
        "version": 2,
        "id": 2,
        "schema": V2,
    }
    assert ok(reg, "GET", "/subjects/s/versions/-1")["version"] == 2
    assert ok(reg, "GET", "/subjects/s/versions/1") == {
        "subject": "s",
        "version": 1,
        "id": 1,
        "schema": V1,
    }
    raw = ok(reg, "GET", "/subjects/s/versions/1/schema")
    assert _rest.is_raw(raw)
    assert json.loads(raw) == json.loads(V1)


def test_schema_by_id_whatever_subject_the_reader_names(reg: Registry) -> None:
    register(reg, "s", V1)
    assert ok(reg, "GET", "/schemas/ids/1") == {"schema": V1}
    assert ok(reg, "GET", "/schemas/ids/1", subject="s") == {"schema": V1}
    assert ok(reg, "GET", "/schemas/ids/1", subject="someone-else") == {"schema": V1}


def test_a_json_schema_answers_with_its_type(reg: Registry) -> None:
    schema = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})
    sid = ok(reg, "POST", "/subjects/j/versions", body(schema, schemaType="JSON"))["id"]
    assert ok(reg, "GET", f"/schemas/ids/{sid}") == {"schema": schema, "schemaType": "JSON"}
    assert ok(reg, "GET", "/subjects/j/versions/1")["schemaType"] == "JSON"


def test_schema_types(reg: Registry) -> None:
    assert ok(reg, "GET", "/schemas/types") == ["AVRO", "JSON"]


def test_subjects_lists_soft_deleted_ones_only_when_asked(reg: Registry) -> None:
    register(reg, "b", V1)
    register(reg, "a", OTHER)
    register(reg, "ab", OTHER)
    assert ok(reg, "GET", "/subjects") == ["a", "ab", "b"]
    assert ok(reg, "GET", "/subjects", subjectPrefix="a") == ["a", "ab"]
    assert ok(reg, "DELETE", "/subjects/b") == [1]
    assert ok(reg, "GET", "/subjects") == ["a", "ab"]
    assert ok(reg, "GET", "/subjects", deleted=True) == ["a", "ab", "b"]
    assert fails(reg, "GET", "/subjects/b/versions")[1] == 40401
    assert ok(reg, "GET", "/subjects/b/versions", deleted=True) == [1]


def test_lookup_finds_the_version_of_a_schema(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    assert ok(reg, "POST", "/subjects/s", body(V1)) == {
        "subject": "s",
        "version": 1,
        "id": 1,
        "schema": V1,
    }
    assert ok(reg, "POST", "/subjects/s", body(V2))["version"] == 2


def test_a_soft_deleted_version_still_decodes_by_id(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    ok(reg, "DELETE", "/subjects/s/versions/1")
    assert ok(reg, "GET", "/subjects/s/versions") == [2]
    assert ok(reg, "GET", "/subjects/s/versions", deleted=True) == [1, 2]
    assert ok(reg, "GET", "/schemas/ids/1") == {"schema": V1}
    assert ok(reg, "GET", "/subjects/s/versions/1", deleted=True)["id"] == 1
    assert fails(reg, "POST", "/subjects/s", body(V1))[1] == 40403
    assert ok(reg, "POST", "/subjects/s", body(V1), deleted=True)["version"] == 1


def test_a_subject_name_with_a_slash_is_url_quoted(reg: Registry) -> None:
    assert ok(reg, "POST", "/subjects/team%2Fusers-value/versions", body(V1))["subject"] == (
        "team/users-value"
    )
    assert ok(reg, "GET", "/subjects") == ["team/users-value"]
    assert ok(reg, "GET", "/subjects/team%2Fusers-value/versions/1")["id"] == 1


# --- errors ----------------------------------------------------------------------------------


def test_unknown_subject_is_40401(reg: Registry) -> None:
    for method, path, b in [
        ("GET", "/subjects/nope/versions", None),
        ("GET", "/subjects/nope/versions/latest", None),
        ("GET", "/subjects/nope/versions/1", None),
        ("GET", "/subjects/nope/versions/1/schema", None),
        ("POST", "/subjects/nope", body(V1)),
        ("DELETE", "/subjects/nope", None),
        ("DELETE", "/subjects/nope/versions/1", None),
        ("POST", "/compatibility/subjects/nope/versions/latest", body(V1)),
    ]:
        status, code, message = fails(reg, method, path, b)
        assert (status, code) == (404, 40401), (method, path)
        assert "nope" in message


def test_unknown_version_is_40402(reg: Registry) -> None:
    register(reg, "s", V1)
    assert fails(reg, "GET", "/subjects/s/versions/2") == (404, 40402, "Version 2 not found.")
    assert fails(reg, "GET", "/subjects/s/versions/7/schema")[1] == 40402
    assert fails(reg, "DELETE", "/subjects/s/versions/2")[1] == 40402


def test_unknown_schema_is_40403(reg: Registry) -> None:
    register(reg, "s", V1)
    assert fails(reg, "GET", "/schemas/ids/2")[:2] == (404, 40403)
    assert fails(reg, "GET", "/schemas/ids/2/versions")[:2] == (404, 40403)
    assert fails(reg, "GET", "/schemas/ids/2/subjects")[:2] == (404, 40403)
    # A schema registered elsewhere, but not under this subject.
    register(reg, "t", OTHER)
    assert fails(reg, "POST", "/subjects/s", body(OTHER))[:2] == (404, 40403)


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        pytest.param({"schema": "{not json"}, "not valid JSON", id="not-json"),
        pytest.param(
            {"schema": json.dumps({"type": "record", "name": "User"})},
            "fields",
            id="record-without-fields",
        ),
        pytest.param({"schema": record("1User")}, "1User", id="bad-record-name"),
        pytest.param({"schema": json.dumps({"type": "integer"})}, "integer", id="unknown-type"),
        pytest.param(
            {"schema": record("U", field("a", "int", default="zero"))},
            "default",
            id="bad-default",
        ),
        pytest.param(
            {"schema": 'syntax = "proto3"; message M {}', "schemaType": "PROTOBUF"},
            "PROTOBUF",
            id="protobuf",
        ),
        pytest.param(
            {"schema": V1, "references": [{"name": "x", "subject": "y", "version": 1}]},
            "references",
            id="references",
        ),
        pytest.param({"schema": {"type": "string"}}, "schema", id="schema-not-a-string"),
        pytest.param({}, "schema", id="no-schema"),
        pytest.param(
            {"schema": json.dumps({"type": 5}), "schemaType": "JSON"},
            "Invalid schema",
            id="bad-json-schema",
        ),
    ],
)
def test_invalid_schemas_are_42201(
    reg: Registry, request_body: dict[str, Any], expected: str
) -> None:
    status, code, message = fails(reg, "POST", "/subjects/s/versions", request_body)
    assert (status, code) == (422, 42201)
    assert message.startswith("Invalid schema")
    assert expected in message
    assert ok(reg, "GET", "/subjects") == []
    assert fails(reg, "POST", "/compatibility/subjects/s/versions", request_body)[1] == 42201


@pytest.mark.parametrize("version", ["abc", "0", "-2", "1.5", str(2**31)])
def test_invalid_versions_are_42202(reg: Registry, version: str) -> None:
    register(reg, "s", V1)
    for method, path in [
        ("GET", f"/subjects/s/versions/{version}"),
        ("GET", f"/subjects/s/versions/{version}/schema"),
        ("DELETE", f"/subjects/s/versions/{version}"),
    ]:
        status, code, message = fails(reg, method, path)
        assert (status, code) == (422, 42202), (method, path)
        assert version in message


@pytest.mark.parametrize(
    "request_body",
    [{"compatibility": "SIDEWAYS"}, {"compatibility": 3}, {}, None, {"compatibilityLevel": "FULL"}],
)
def test_invalid_compatibility_levels_are_42203(reg: Registry, request_body: Any) -> None:
    assert fails(reg, "PUT", "/config", request_body)[:2] == (422, 42203)
    assert fails(reg, "PUT", "/config/s", request_body)[:2] == (422, 42203)
    assert ok(reg, "GET", "/config") == {"compatibilityLevel": "BACKWARD"}


def test_an_incompatible_schema_is_409_naming_the_field(reg: Registry) -> None:
    register(reg, "s", V1)
    v2 = record("User", field("name", "string"), field("email", "string"))
    status, code, message = fails(reg, "POST", "/subjects/s/versions", body(v2))
    assert (status, code) == (409, 409)
    assert "email" in message
    assert "BACKWARD" in message
    assert ok(reg, "GET", "/subjects/s/versions") == [1]


def test_unknown_paths_are_404_and_wrong_methods_405(reg: Registry) -> None:
    assert fails(reg, "GET", "/nothing/here") == (404, 404, "HTTP 404 Not Found")
    assert fails(reg, "GET", "/subjects/s/versions/1/schema/more")[:2] == (404, 404)
    assert fails(reg, "GET", "/schemas/ids/abc")[:2] == (404, 404)
    assert fails(reg, "PUT", "/subjects/s/versions", body(V1))[:2] == (405, 405)
    assert fails(reg, "POST", "/config", {"compatibility": "FULL"})[:2] == (405, 405)
    assert fails(reg, "DELETE", "/schemas/types")[:2] == (405, 405)
    assert ok(reg, "GET", "/") == {}


# --- deleting --------------------------------------------------------------------------------


def test_deleting_a_subject_soft_then_permanently(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    # Permanently before softly is refused.
    assert fails(reg, "DELETE", "/subjects/s", permanent=True)[:2] == (404, 40405)
    assert ok(reg, "DELETE", "/subjects/s") == [1, 2]
    status, code, message = fails(reg, "DELETE", "/subjects/s")
    assert (status, code) == (404, 40404)
    assert "permanent=true" in message
    assert ok(reg, "GET", "/schemas/ids/2") == {"schema": V2}
    assert ok(reg, "DELETE", "/subjects/s", permanent=True) == [1, 2]
    assert fails(reg, "GET", "/schemas/ids/2")[1] == 40403
    assert ok(reg, "GET", "/subjects", deleted=True) == []
    assert fails(reg, "DELETE", "/subjects/s", permanent=True)[1] == 40401


def test_deleting_a_version_soft_then_permanently(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    assert fails(reg, "DELETE", "/subjects/s/versions/1", permanent=True)[:2] == (404, 40407)
    assert ok(reg, "DELETE", "/subjects/s/versions/1") == 1
    status, code, message = fails(reg, "DELETE", "/subjects/s/versions/1")
    assert (status, code) == (404, 40406)
    assert "permanent=true" in message
    assert ok(reg, "DELETE", "/subjects/s/versions/1", permanent=True) == 1
    assert fails(reg, "GET", "/subjects/s/versions/1", deleted=True)[1] == 40402
    assert fails(reg, "DELETE", "/subjects/s/versions/1", permanent=True)[1] == 40402
    assert ok(reg, "GET", "/subjects/s/versions", deleted=True) == [2]


def test_deleting_the_latest_version(reg: Registry) -> None:
    register(reg, "s", V1)
    register(reg, "s", V2)
    assert ok(reg, "DELETE", "/subjects/s/versions/latest") == 2
    assert ok(reg, "GET", "/subjects/s/versions/latest")["version"] == 1
    assert ok(reg, "DELETE", "/subjects/s/versions/latest") == 1
    assert fails(reg, "GET", "/subjects/s/versions/latest")[1] == 40401


def test_a_permanently_deleted_subject_loses_its_config(reg: Registry) -> None:
    register(reg, "s", V1)
    ok(reg, "PUT", "/config/s", {"compatibility": "NONE"})
    ok(reg, "DELETE", "/subjects/s")
    assert ok(reg, "GET", "/config/s") == {"compatibilityLevel": "NONE"}
    ok(reg, "DELETE", "/subjects/s", permanent=True)
    assert fails(reg, "GET", "/config/s")[:2] == (404, 40408)


# --- configuration ---------------------------------------------------------------------------


def test_the_global_level_is_backward_by_default(reg: Registry) -> None:
    assert ok(reg, "GET", "/config") == {"compatibilityLevel": "BACKWARD"}


def test_setting_the_global_and_a_subject_level(reg: Registry) -> None:
    assert ok(reg, "PUT", "/config", {"compatibility": "full"}) == {"compatibility": "FULL"}
    assert ok(reg, "GET", "/config") == {"compatibilityLevel": "FULL"}
    assert ok(reg, "PUT", "/config/s", {"compatibility": "Forward_Transitive"}) == {
        "compatibility": "FORWARD_TRANSITIVE"
    }
    assert ok(reg, "GET", "/config/s") == {"compatibilityLevel": "FORWARD_TRANSITIVE"}
    # A subject without a level of its own: 40408, unless it asks for the global one.
    status, code, message = fails(reg, "GET", "/config/t")
    assert (status, code) == (404, 40408)
    assert "'t'" in message
    assert ok(reg, "GET", "/config/t", defaultToGlobal=True) == {"compatibilityLevel": "FULL"}
    assert ok(reg, "GET", "/config/s", defaultToGlobal=True) == {
        "compatibilityLevel": "FORWARD_TRANSITIVE"
    }


def test_deleting_a_subject_level_returns_the_one_it_had(reg: Registry) -> None:
    register(reg, "s", V1)
    assert fails(reg, "DELETE", "/config/s")[:2] == (404, 40408)
    ok(reg, "PUT", "/config/s", {"compatibility": "NONE"})
    assert ok(reg, "DELETE", "/config/s") == {"compatibilityLevel": "NONE"}
    assert fails(reg, "GET", "/config/s")[1] == 40408
    assert fails(reg, "DELETE", "/config/s")[1] == 40408
    assert fails(reg, "DELETE", "/config/never-seen")[1] == 40401


def test_a_subject_level_decides_registration(reg: Registry) -> None:
    register(reg, "s", V1)
    assert fails(reg, "POST", "/subjects/s/versions", body(OTHER))[1] == 409
    ok(reg, "PUT", "/config/s", {"compatibility": "NONE"})
    assert register(reg, "s", OTHER)["version"] == 2
    # Other subjects still follow the global level.
    register(reg, "t", V1)
    assert fails(reg, "POST", "/subjects/t/versions", body(OTHER))[1] == 409


def test_setting_the_same_level_again_writes_nothing() -> None:
    log = MemoryLog()
    reg = Registry(log)
    ok(reg, "PUT", "/config/s", {"compatibility": "FULL"})
    n = len(log.records)
    ok(reg, "PUT", "/config/s", {"compatibility": "full"})
    assert len(log.records) == n


# --- compatibility endpoints -----------------------------------------------------------------

# Compatible with V2 (reads its data: age is there) but not with V1 (age has no default).
V3_NEEDS_AGE = record("User", field("name", "string"), field("age", "int"))


@pytest.fixture
def two_versions(reg: Registry) -> Registry:
    register(reg, "s", V1)
    register(reg, "s", V2)
    return reg


def test_compatibility_with_the_latest_version(two_versions: Registry) -> None:
    reg = two_versions
    path = "/compatibility/subjects/s/versions/latest"
    assert ok(reg, "POST", path, body(V3_NEEDS_AGE)) == {"is_compatible": True}
    assert ok(reg, "POST", path, body(V3_NEEDS_AGE), verbose=True) == {
        "is_compatible": True,
        "messages": [],
    }
    # Against one version, a transitive level means its plain direction.
    ok(reg, "PUT", "/config/s", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert ok(reg, "POST", path, body(V3_NEEDS_AGE))["is_compatible"] is True
    answer = ok(
        reg, "POST", "/compatibility/subjects/s/versions/1", body(V3_NEEDS_AGE), verbose=True
    )
    assert answer["is_compatible"] is False
    assert any("age" in m for m in answer["messages"])
    assert fails(reg, "POST", "/compatibility/subjects/s/versions/3", body(V1))[1] == 40402


def test_compatibility_with_all_versions_follows_the_level(two_versions: Registry) -> None:
    reg = two_versions
    path = "/compatibility/subjects/s/versions"
    assert ok(reg, "POST", path, body(V3_NEEDS_AGE)) == {"is_compatible": True}
    ok(reg, "PUT", "/config/s", {"compatibility": "BACKWARD_TRANSITIVE"})
    assert ok(reg, "POST", path, body(V3_NEEDS_AGE)) == {"is_compatible": False}
    answer = ok(reg, "POST", path, body(V3_NEEDS_AGE), verbose=True)
    assert answer["is_compatible"] is False
    assert any("age" in m for m in answer["messages"])
    # What the check says is what registering does.
    assert fails(reg, "POST", "/subjects/s/versions", body(V3_NEEDS_AGE))[1] == 409
    ok(reg, "PUT", "/config/s", {"compatibility": "NONE"})
    assert ok(reg, "POST", path, body(OTHER)) == {"is_compatible": True}


def test_compatibility_of_a_new_subject(reg: Registry) -> None:
    assert ok(reg, "POST", "/compatibility/subjects/new/versions", body(V1)) == {
        "is_compatible": True
    }


def test_compatibility_checks_write_nothing(two_versions: Registry) -> None:
    log = two_versions._log
    assert isinstance(log, MemoryLog)
    n = len(log.records)
    ok(two_versions, "POST", "/compatibility/subjects/s/versions", body(OTHER))
    ok(two_versions, "POST", "/compatibility/subjects/s/versions/1", body(V3))
    assert len(log.records) == n


# --- several registries on one log -----------------------------------------------------------


def test_a_second_registry_rebuilds_the_state_from_the_log() -> None:
    log = MemoryLog()
    first = Registry(log)
    register(first, "s", V1)
    register(first, "s", V2)
    ok(first, "PUT", "/config/s", {"compatibility": "FULL"})
    ok(first, "DELETE", "/subjects/s/versions/1")
    second = Registry(log)
    assert ok(second, "GET", "/subjects/s/versions", deleted=True) == [1, 2]
    assert ok(second, "GET", "/subjects/s/versions") == [2]
    assert ok(second, "GET", "/config/s") == {"compatibilityLevel": "FULL"}
    assert ok(second, "GET", "/schemas/ids/1") == {"schema": V1}
    # Writes either one makes later are seen by the other.
    register(second, "t", OTHER)
    assert ok(first, "GET", "/subjects") == ["s", "t"]
    assert register(first, "u", V3)["id"] == 4


def _schema(i: int) -> str:
    return record(f"R{i}", field("f", "int"))


def _check_unique(regs: list[Registry], registered: list[tuple[str, str, dict[str, Any]]]) -> None:
    by_schema: dict[str, int] = {}
    by_id: dict[int, str] = {}
    versions: set[tuple[str, int]] = set()
    for subject, schema, answer in registered:
        assert by_schema.setdefault(schema, answer["id"]) == answer["id"]
        assert by_id.setdefault(answer["id"], schema) == schema
        assert (subject, answer["version"]) not in versions
        versions.add((subject, answer["version"]))
    for r in regs:
        for subject in {s for s, _, _ in registered}:
            n = len([1 for s, _, _ in registered if s == subject])
            assert ok(r, "GET", f"/subjects/{subject}/versions") == list(range(1, n + 1))


def test_interleaved_writers_never_share_an_id_or_a_version() -> None:
    log = MemoryLog()
    regs = [Registry(log), Registry(log)]
    ok(regs[0], "PUT", "/config", {"compatibility": "NONE"})
    registered = []
    for i in range(60):
        subject = f"s{i % 3}"
        schema = _schema(i)
        registered.append((subject, schema, register(regs[i % 2], subject, schema)))
    # The same schema from the other writer, under another subject, keeps its id.
    again = register(regs[1], "s-again", _schema(0))
    assert again["id"] == registered[0][2]["id"]
    _check_unique(regs, registered)
    assert sorted({a["id"] for _, _, a in registered}) == list(range(1, 61))


def test_writers_in_threads_never_share_an_id_or_a_version() -> None:
    log = MemoryLog()
    regs = [Registry(log) for _ in range(3)]
    ok(regs[0], "PUT", "/config", {"compatibility": "NONE"})
    registered: list[tuple[str, str, dict[str, Any]]] = []
    lock = threading.Lock()

    def work(w: int) -> None:
        for i in range(25):
            schema = _schema(w * 100 + i)
            subject = f"s{i % 2}"
            answer = register(regs[w], subject, schema)
            with lock:
                registered.append((subject, schema, answer))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(registered) == 75
    _check_unique(regs, registered)


class RacingLog(MemoryLog):
    """A MemoryLog that runs `before_next_append` (once) just before an append is checked:
    another writer getting there between a writer's decision and its append."""

    def __init__(self) -> None:
        super().__init__()
        self.before_next_append: Callable[[], None] | None = None
        self.appends: list[bool] = []

    def append_if_end(self, end: int, records: list[Record]) -> bool:
        action, self.before_next_append = self.before_next_append, None
        if action is not None:
            action()
        done = super().append_if_end(end, records)
        self.appends.append(done)
        return done


def test_a_writer_that_loses_the_race_decides_again() -> None:
    log = RacingLog()
    loser, winner = Registry(log), Registry(log)
    register(loser, "s", V1)
    log.appends.clear()
    log.before_next_append = lambda: register(winner, "s", V2)
    answer = register(loser, "t", OTHER)
    # The winner's append went in; the loser's first one was refused, its second accepted.
    assert log.appends == [True, False, True]
    assert answer == {"id": 3, "subject": "t", "version": 1}
    assert ok(loser, "GET", "/subjects/s/versions/2")["id"] == 2
    assert ok(winner, "GET", "/schemas/ids/3") == {"schema": OTHER}


def test_a_writer_racing_for_the_same_subject_takes_the_next_version() -> None:
    log = RacingLog()
    loser, winner = Registry(log), Registry(log)
    register(loser, "s", V1)
    log.before_next_append = lambda: register(winner, "s", V2)
    answer = register(loser, "s", V3)
    assert answer == {"id": 3, "subject": "s", "version": 3}
    assert ok(winner, "GET", "/subjects/s/versions") == [1, 2, 3]


def test_a_writer_racing_with_the_same_schema_adds_no_version() -> None:
    log = RacingLog()
    loser, winner = Registry(log), Registry(log)
    register(loser, "s", V1)
    log.before_next_append = lambda: register(winner, "s", V2)
    assert register(loser, "s", V2) == {"id": 2, "subject": "s", "version": 2}
    assert ok(loser, "GET", "/subjects/s/versions") == [1, 2]


def test_a_writer_racing_with_a_now_incompatible_change_gets_409() -> None:
    log = RacingLog()
    loser, winner = Registry(log), Registry(log)
    register(loser, "s", V1)
    # The winner makes the subject FULL_TRANSITIVE just before the loser's append: the loser
    # decides again, under the new level, and is refused.
    log.before_next_append = lambda: ok(
        winner, "PUT", "/config/s", {"compatibility": "FULL_TRANSITIVE"}
    )
    assert fails(loser, "POST", "/subjects/s/versions", body(V3_NEEDS_AGE))[1] == 409


# --- the records in the log ------------------------------------------------------------------


def test_registering_writes_confluent_schema_records() -> None:
    log = MemoryLog()
    reg = Registry(log)
    register(reg, "s", V1)
    json_schema = json.dumps({"type": "object"})
    ok(reg, "POST", "/subjects/j/versions", body(json_schema, schemaType="JSON"))
    assert decoded(log) == [
        (
            {"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1},
            {"subject": "s", "version": 1, "id": 1, "schema": V1, "deleted": False},
        ),
        (
            {"keytype": "SCHEMA", "subject": "j", "version": 1, "magic": 1},
            {
                "subject": "j",
                "version": 1,
                "id": 2,
                "schema": json_schema,
                "deleted": False,
                "schemaType": "JSON",
            },
        ),
    ]


def test_config_records() -> None:
    log = MemoryLog()
    reg = Registry(log)
    ok(reg, "PUT", "/config", {"compatibility": "full"})
    ok(reg, "PUT", "/config/s", {"compatibility": "none"})
    register(reg, "s", V1)
    ok(reg, "DELETE", "/config/s")
    assert decoded(log) == [
        ({"keytype": "CONFIG", "subject": None, "magic": 0}, {"compatibilityLevel": "FULL"}),
        ({"keytype": "CONFIG", "subject": "s", "magic": 0}, {"compatibilityLevel": "NONE"}),
        (
            {"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1},
            {"subject": "s", "version": 1, "id": 1, "schema": V1, "deleted": False},
        ),
        ({"keytype": "CONFIG", "subject": "s", "magic": 0}, None),
    ]


def test_soft_delete_rewrites_with_deleted_and_hard_delete_writes_tombstones() -> None:
    log = MemoryLog()
    reg = Registry(log)
    register(reg, "s", V1)
    register(reg, "s", V2)
    ok(reg, "PUT", "/config/s", {"compatibility": "FULL"})
    start = len(log.records)
    ok(reg, "DELETE", "/subjects/s")
    soft = decoded(log)[start:]
    assert [k["version"] for k, _ in soft] == [1, 2]
    assert all(k["keytype"] == "SCHEMA" and v["deleted"] is True for k, v in soft)
    assert [v["id"] for _, v in soft] == [1, 2]
    start = len(log.records)
    ok(reg, "DELETE", "/subjects/s", permanent=True)
    hard = decoded(log)[start:]
    assert hard == [
        ({"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}, None),
        ({"keytype": "SCHEMA", "subject": "s", "version": 2, "magic": 1}, None),
        ({"keytype": "MAX_ID", "magic": 0}, {"maxId": 2}),
        ({"keytype": "CONFIG", "subject": "s", "magic": 0}, None),
    ]
    # Every tombstone's key is exactly the key of the record it deletes (compaction needs it).
    assert {k for k, v in log.records if v is None} <= {k for k, v in log.records if v}


def test_deleting_one_version_rewrites_only_that_record() -> None:
    log = MemoryLog()
    reg = Registry(log)
    register(reg, "s", V1)
    register(reg, "s", V2)
    start = len(log.records)
    ok(reg, "DELETE", "/subjects/s/versions/1")
    ok(reg, "DELETE", "/subjects/s/versions/1", permanent=True)
    assert decoded(log)[start:] == [
        (
            {"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1},
            {"subject": "s", "version": 1, "id": 1, "schema": V1, "deleted": True},
        ),
        ({"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}, None),
        ({"keytype": "MAX_ID", "magic": 0}, {"maxId": 2}),
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param(b"garbage", b"{}", id="key-not-json"),
        pytest.param(b"[1, 2]", b"{}", id="key-not-an-object"),
        pytest.param(None, b"{}", id="no-key"),
        pytest.param(b'{"keytype": "WHAT", "magic": 0}', b"{}", id="unknown-keytype"),
        pytest.param(
            b'{"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}',
            b"not json",
            id="value-not-json",
        ),
        pytest.param(
            b'{"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}',
            b'{"subject": "s"}',
            id="value-without-id",
        ),
        pytest.param(
            b'{"keytype": "SCHEMA", "subject": "s", "version": "one", "magic": 1}',
            b"{}",
            id="version-not-a-number",
        ),
        pytest.param(b'{"keytype": "CONFIG", "subject": "s"}', b"{}", id="config-no-level"),
        pytest.param(b'{"keytype": "CONFIG", "subject": "s"}', b"[1]", id="config-a-list"),
        pytest.param(
            b'{"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}',
            b'"text"',
            id="value-a-string",
        ),
        pytest.param(b"\xff\xfe", b"{}", id="key-not-utf8"),
        pytest.param(b'{"keytype": "MAX_ID"}', b'{"maxId": "x"}', id="max-id-not-a-number"),
    ],
)
def test_an_unreadable_record_is_skipped(
    key: bytes | None, value: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    state = RegistryState()
    with caplog.at_level(logging.WARNING, logger="shoal.schema_registry"):
        state.apply(key, value)
    assert "skipping" in caplog.text
    assert state.versions == {} and state.configs == {} and state.max_id == 0


def test_an_unreadable_record_for_a_version_keeps_the_version() -> None:
    state = RegistryState()
    key = b'{"keytype": "SCHEMA", "subject": "s", "version": 1, "magic": 1}'
    state.apply(key, json.dumps({"subject": "s", "version": 1, "id": 7, "schema": V1}).encode())
    state.apply(key, b'{"subject": "s"}')
    assert state.schema_by_id(7) is not None
    assert [e.version for e in state.live_versions("s")] == [1]


def test_a_registry_reads_past_unreadable_records() -> None:
    log = MemoryLog()
    log.records.append((b"garbage", b"\xff\xfe"))
    first = Registry(log)
    register(first, "s", V1)
    log.records.append((b'{"keytype": "SCHEMA"}', b"{}"))
    log.records.append((b'{"keytype": "NOOP", "magic": 0}', None))
    second = Registry(log)
    assert ok(second, "GET", "/subjects/s/versions/1")["id"] == 1
    assert register(second, "t", OTHER)["id"] == 2
    assert ok(first, "GET", "/subjects") == ["s", "t"]


def test_confluent_delete_subject_records_are_understood() -> None:
    # Confluent's own registry may write a DELETE_SUBJECT record for a subject soft delete.
    log = MemoryLog()
    reg = Registry(log)
    register(reg, "s", V1)
    register(reg, "s", V2)
    register(reg, "s", V3)
    log.records.append(
        (
            b'{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}',
            b'{"subject":"s","version":2}',
        )
    )
    assert ok(Registry(log), "GET", "/subjects/s/versions") == [3]
    assert ok(reg, "GET", "/subjects/s/versions") == [3]
