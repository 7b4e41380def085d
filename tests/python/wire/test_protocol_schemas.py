"""Shoal's message schemas against Kafka's own definitions, and the generated docs.

Every message Shoal declares (cpp/protocol/schemas) is compared, version by version and field
by field, with the message definitions Kafka ships inside its jars (common/message/*.json in
kafka-clients, and in kafka-group-coordinator for the __consumer_offsets records): each field's
name, type, nullability, tag and default, and each version's flexibility. Shoal's own tagged
fields (marked `shoal`) and Shoal's own formats are not in Kafka's definitions and are left out.
Nothing of Kafka's files is kept in the repository: they are read from the jars in the cache.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from typing import Any

import pytest

from kafka_reference import REPO, kafka_definition_jars

sys.path.insert(0, str(REPO / "cpp" / "protocol"))
from codegen import schema

pytestmark = pytest.mark.unit

SCHEMAS = REPO / "cpp" / "protocol" / "schemas"


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def _load_kafka() -> dict[str, list[dict[str, Any]]]:
    """Kafka's definitions by message name, newest jar first."""
    defs: dict[str, list[dict[str, Any]]] = {}
    for jar in kafka_definition_jars():
        with zipfile.ZipFile(jar) as z:
            for n in z.namelist():
                if n.startswith("common/message/") and n.endswith(".json"):
                    d = json.loads(_strip_comments(z.read(n).decode()))
                    defs.setdefault(d["name"], []).append(d)
    return defs


@pytest.fixture(scope="module")
def kafka_defs() -> dict[str, list[dict[str, Any]]]:
    return _load_kafka()


def _versions(text: str | None) -> schema.Versions:
    if text is None or text == "none":
        return schema.NONE
    return schema.Versions.parse(text)


INT_TYPES = {"int8", "int16", "int32", "int64", "uint16", "uint32"}


def _norm_default(type_name: str, array: bool, text: str | int | bool | None) -> object:
    """A default as a comparable value; a missing one as Kafka's generator defaults it."""
    if text is not None and str(text) == "null":
        return None
    if array:
        return "[]"
    if type_name in INT_TYPES:
        return 0 if text is None else int(str(text), 0)
    if type_name == "bool":
        return False if text is None else str(text).lower() == "true"
    if type_name == "float64":
        return 0.0 if text is None else float(str(text))
    if type_name in ("string", "bytes", "records"):
        s = "" if text is None else str(text)
        return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s
    if type_name == "uuid":
        return 0 if text in (None, "0") else str(text)
    return None  # structs


def _kafka_rows(
    fields: list[dict[str, Any]], v: int, commons: dict[str, dict[str, Any]], path: str
) -> list[tuple]:
    rows: list[tuple] = []
    for f in fields:
        if v not in _versions(f.get("versions")):
            continue
        name = schema.snake(f["name"])
        t = f["type"]
        array = t.startswith("[]")
        base = t[2:] if array else t
        tagged = "tag" in f and v in _versions(f.get("taggedVersions", f.get("versions")))
        rows.append(
            (
                path + name,
                t,
                v in _versions(f.get("nullableVersions")),
                f["tag"] if tagged else None,
                f.get("flexibleVersions") == "none",
                _norm_default(base, array, f.get("default")),
            )
        )
        children = f.get("fields")
        if children is None and base in commons:
            children = commons[base]["fields"]
        if children:
            rows += _kafka_rows(children, v, commons, f"{path}{name}.")
    return rows


def _shoal_rows(s: schema.Struct, v: int, path: str) -> list[tuple]:
    rows: list[tuple] = []
    for f in s.fields:
        if v not in f.versions or f.shoal:
            continue
        tagged = f.is_tagged and v in f.tagged
        rows.append(
            (
                path + f.name,
                str(f.type),
                v in f.nullable,
                f.tag if tagged else None,
                f.flexible_none,
                _norm_default(f.type.name, f.type.array, f.default),
            )
        )
        if f.struct is not None:
            rows += _shoal_rows(f.struct, v, f"{path}{f.name}.")
    return rows


def _declared() -> list[tuple[schema.SchemaFile, schema.Message]]:
    out = []
    for sf in schema.load_dir(SCHEMAS):
        if sf.shoal:
            continue
        out.extend((sf, m) for m in sf.messages)
    return out


@pytest.mark.parametrize("sf,msg", _declared(), ids=lambda x: getattr(x, "name", ""))
def test_message_matches_kafka(kafka_defs, sf: schema.SchemaFile, msg: schema.Message) -> None:
    assert msg.name in kafka_defs, f"Kafka defines no message called {msg.name}"
    candidates = kafka_defs[msg.name]
    if sf.api_key is not None:
        for d in candidates:
            assert d.get("apiKey") == sf.api_key, f"{msg.name}: api key {sf.api_key}"
    for v in msg.version_list():
        d = next((d for d in candidates if v in _versions(d["validVersions"])), None)
        assert d is not None, f"{msg.name} v{v}: not a version Kafka defines"
        flexible = v in _versions(d.get("flexibleVersions"))
        assert msg.is_flexible(v) == flexible, f"{msg.name} v{v}: flexible should be {flexible}"
        commons = {c["name"]: c for c in d.get("commonStructs", [])}
        theirs = _kafka_rows(d["fields"], v, commons, "")
        ours = _shoal_rows(msg.struct, v, "")
        assert ours == theirs, _explain(msg.name, v, ours, theirs)


def _explain(name: str, v: int, ours: list[tuple], theirs: list[tuple]) -> str:
    cols = "(path, type, nullable, tag, never compact, default)"
    lines = [f"{name} v{v} differs from Kafka's definition {cols}:"]
    for row in ours:
        if row not in theirs:
            lines.append(f"  Shoal only: {row}")
    for row in theirs:
        if row not in ours:
            lines.append(f"  Kafka only: {row}")
    if len(lines) == 1:
        lines.append("  the same fields in another order")
    return "\n".join(lines)


def test_shoal_additions_are_tagged_in_shoal_range() -> None:
    # Kafka's own tags count up from 0; Shoal's start at SHOAL_TAG_BASE so none can collide.
    for sf in schema.load_dir(SCHEMAS):
        if sf.shoal:
            continue
        for s in sf.structs:
            for f in s.fields:
                if f.shoal:
                    assert f.is_tagged and f.tag >= schema.SHOAL_TAG_BASE, f"{sf.path}: {f.name}"


def test_protocol_doc_is_up_to_date() -> None:
    r = subprocess.run(
        [
            sys.executable,
            str(REPO / "cpp" / "protocol" / "codegen"),
            "--check-docs",
            str(REPO / "docs" / "protocol.md"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_schema_errors_name_file_and_line(tmp_path) -> None:
    bad = tmp_path / "bad.schema"
    bad.write_text("api 99 Bad\nversions 0-1\n\nrequest\n  x int33 0+\n\nresponse\n")
    with pytest.raises(schema.SchemaError, match=r"bad.schema:5: unknown type 'int33'"):
        schema.parse_file(bad)
    bad.write_text("api 99 Bad\nversions 0-1\nflexible none\n\nrequest\n  x string 0+ tag=3\n")
    with pytest.raises(schema.SchemaError, match=r"bad.schema:6: x: tagged in versions"):
        schema.parse_file(bad)


def test_snake_case_of_kafka_names() -> None:
    assert schema.snake("ThrottleTimeMs") == "throttle_time_ms"
    assert schema.snake("TopicId") == "topic_id"
    assert schema.snake("leaderEpoch") == "leader_epoch"
    assert re.fullmatch(r"[a-z_]+", schema.snake("ISRNodes"))
