"""The registry's state, rebuilt from the records of the `_schemas` topic.

Every registry process (the in-process client of ``shm://`` URLs and ``shoal schema-registry``)
reads the same compacted topic from its start and applies each record here, so they all agree.
The records use Confluent Schema Registry's KafkaStore format (JSON keys and values, described
in docs/schema-registry.md) plus one key type of Shoal's own, ``MAX_ID``, which keeps the highest
schema id ever given out after compaction has dropped hard-deleted schemas, so an id is never
reused.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("shoal.schema_registry")

__all__ = [
    "RegistryState",
    "VersionEntry",
    "config_key",
    "config_value",
    "max_id_key",
    "max_id_value",
    "schema_key",
    "schema_value",
]


@dataclass
class VersionEntry:
    """One version of a subject: which schema (by id) and whether it is soft-deleted."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    schema_str: str
    references: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def schema_key(subject: str, version: int) -> bytes:
    return _dumps({"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1})


def schema_value(e: VersionEntry) -> bytes:
    value: dict[str, Any] = {
        "subject": e.subject,
        "version": e.version,
        "id": e.schema_id,
        "schema": e.schema_str,
        "deleted": e.deleted,
    }
    if e.schema_type != "AVRO":
        value["schemaType"] = e.schema_type
    if e.references:
        value["references"] = e.references
    return _dumps(value)


def config_key(subject: str | None) -> bytes:
    return _dumps({"keytype": "CONFIG", "subject": subject, "magic": 0})


def config_value(level: str) -> bytes:
    return _dumps({"compatibilityLevel": level})


def max_id_key() -> bytes:
    return _dumps({"keytype": "MAX_ID", "magic": 0})


def max_id_value(max_id: int) -> bytes:
    return _dumps({"maxId": max_id})


class RegistryState:
    """Subjects, versions, schema ids and compatibility levels, as the log says so far."""

    def __init__(self) -> None:
        self.versions: dict[str, dict[int, VersionEntry]] = {}
        self.ids: dict[int, set[tuple[str, int]]] = {}  # id -> the (subject, version)s using it
        self.configs: dict[str | None, str] = {}  # None: the global level
        self.max_id = 0

    # --- applying records ----------------------------------------------------------------

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Applies one record. A record that cannot be understood is logged and skipped: a
        reader must never stop on one bad record (another tool may have written it)."""
        try:
            k = json.loads(key) if key else None
            v = json.loads(value) if value is not None else None
            if not isinstance(k, dict):
                raise ValueError("the key is not a JSON object")
            keytype = k.get("keytype")
            if keytype == "SCHEMA":
                self._apply_schema(k, v)
            elif keytype == "CONFIG":
                subject = k.get("subject")
                if v is None:
                    self.configs.pop(subject, None)
                else:
                    self.configs[subject] = str(v["compatibilityLevel"]).upper()
            elif keytype == "DELETE_SUBJECT":
                # Confluent's soft delete of a whole subject: every version up to `version`.
                if v is not None:
                    for e in self.versions.get(v["subject"], {}).values():
                        if e.version <= int(v["version"]):
                            e.deleted = True
            elif keytype == "MAX_ID":
                if v is not None:
                    self.max_id = max(self.max_id, int(v["maxId"]))
            elif keytype in ("NOOP", "MODE", "CLEAR_SUBJECT", "CONTEXT", "DELETE_CONTEXT"):
                pass
            else:
                raise ValueError(f"unknown keytype {keytype!r}")
        except (ValueError, KeyError, TypeError) as e:
            log.warning("skipping a _schemas record that cannot be read (%s): key %r", e, key)

    def _apply_schema(self, k: dict[str, Any], v: Any) -> None:
        subject = str(k["subject"])
        version = int(k["version"])
        # Read the whole value before changing anything: a record that cannot be read is
        # skipped and leaves the state as it was.
        e = None
        if v is not None:
            e = VersionEntry(
                subject=subject,
                version=version,
                schema_id=int(v["id"]),
                schema_type=str(v.get("schemaType") or "AVRO").upper(),
                schema_str=str(v["schema"]),
                references=list(v.get("references") or []),
                deleted=bool(v.get("deleted", False)),
            )
        versions = self.versions.setdefault(subject, {})
        old = versions.pop(version, None)
        if old is not None:
            self._unindex(old)
        if e is None:  # a tombstone: a hard delete
            if not versions:
                del self.versions[subject]
            return
        versions[version] = e
        self.ids.setdefault(e.schema_id, set()).add((subject, version))
        self.max_id = max(self.max_id, e.schema_id)

    def _unindex(self, e: VersionEntry) -> None:
        users = self.ids.get(e.schema_id)
        if users is not None:
            users.discard((e.subject, e.version))
            if not users:
                del self.ids[e.schema_id]

    # --- queries -------------------------------------------------------------------------

    def live_versions(self, subject: str, deleted: bool = False) -> list[VersionEntry]:
        """The subject's versions, oldest first; soft-deleted ones only if `deleted`."""
        vs = self.versions.get(subject, {})
        return [vs[n] for n in sorted(vs) if deleted or not vs[n].deleted]

    def schema_by_id(self, schema_id: int) -> VersionEntry | None:
        """Any version using the id (soft-deleted ones too: the id still decodes data)."""
        users = self.ids.get(schema_id)
        if not users:
            return None
        subject, version = min(users)
        return self.versions[subject][version]

    def next_version(self, subject: str) -> int:
        vs = self.versions.get(subject, {})
        return max(vs, default=0) + 1
