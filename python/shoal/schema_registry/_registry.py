"""The registry's operations, with Confluent Schema Registry's semantics and error codes.

A `Registry` keeps a `RegistryState` up to date from a `SchemaLog` (the `_schemas` topic, or a
list in memory for tests) and answers the REST API's operations. Reads catch up with the log
first, so a process sees every write acknowledged before its call began, whoever made it.

Writes are serialized across processes without a registry leader: a writer reads the log to
its end E, decides (the next id, the next version, the compatibility check) on that state, and
appends only if the log still ends at E (`SchemaLog.append_if_end`, a conditional produce the
partition leader checks). If another writer got there first the append is refused, and the
writer reads the new records and decides again. Nothing needs to fail over beyond the
partition itself: when the broker leading `_schemas` dies, writers retry on the new leader.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shoal.schema_registry import avro_compat, json_compat
from shoal.schema_registry._state import (
    RegistryState,
    VersionEntry,
    config_key,
    config_value,
    max_id_key,
    max_id_value,
    schema_key,
    schema_value,
)
from shoal.schema_registry.error import SchemaRegistryError

__all__ = ["DEFAULT_COMPATIBILITY", "SCHEMA_TYPES", "MemoryLog", "Registry", "SchemaLog"]

DEFAULT_COMPATIBILITY = "BACKWARD"
SCHEMA_TYPES = ("AVRO", "JSON")
_LEVELS_TEXT = (
    "none, backward, backward_transitive, forward, forward_transitive, full, and full_transitive"
)

Record = tuple[bytes, bytes | None]


class SchemaLog(Protocol):
    def catch_up(self, apply: Callable[[bytes | None, bytes | None], None]) -> int:
        """Applies every record not applied yet, up to the log's committed end, and returns
        that end (the offset the next record will get)."""
        ...

    def append_if_end(self, end: int, records: list[Record]) -> bool:
        """Appends the records atomically if the log ends at `end`; False if it does not (the
        caller catches up and decides again). Raises SchemaRegistryError(50001) on failure."""
        ...

    def close(self) -> None: ...


class MemoryLog:
    """A SchemaLog in memory, shared by the Registry objects of one process (tests)."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._lock = threading.Lock()
        # How far each reader has applied, keyed by its `apply` callable itself: a bound
        # method is a new object at every attribute access, so its id() is not stable (and
        # may be reused by another reader's), while two bound methods of the same object
        # compare equal.
        self._applied: dict[Callable[[bytes | None, bytes | None], None], int] = {}

    def catch_up(self, apply: Callable[[bytes | None, bytes | None], None]) -> int:
        with self._lock:
            records = list(self.records)
        start = self._applied.get(apply, 0)
        for k, v in records[start:]:
            apply(k, v)
        self._applied[apply] = len(records)
        return len(records)

    def append_if_end(self, end: int, records: list[Record]) -> bool:
        with self._lock:
            if len(self.records) != end:
                return False
            self.records.extend(records)
            return True

    def close(self) -> None:
        pass


def _error(status: int, code: int, message: str) -> SchemaRegistryError:
    return SchemaRegistryError(status, code, message)


def subject_not_found(subject: str) -> SchemaRegistryError:
    return _error(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(version: Any) -> SchemaRegistryError:
    return _error(404, 40402, f"Version {version} not found.")


def _identity(schema_type: str, schema_str: str) -> Any:
    """What makes two schemas the same schema: their parsed JSON, with a primitive type written
    as ``{"type": "int"}`` the same as ``"int"`` (as the Avro library prints them)."""

    def norm(v: Any) -> Any:
        if isinstance(v, dict):
            if set(v) == {"type"} and isinstance(v["type"], str):
                return v["type"]
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    try:
        return (schema_type, json.dumps(norm(json.loads(schema_str)), sort_keys=True))
    except ValueError:
        return (schema_type, schema_str)


class Registry:
    """The registry's operations over one SchemaLog; thread-safe."""

    def __init__(self, log: SchemaLog, *, timeout: float = 30.0) -> None:
        self._log = log
        self._timeout = timeout
        self._state = RegistryState()
        self._lock = threading.RLock()
        self._end = 0

    def close(self) -> None:
        self._log.close()

    # --- reading and writing -------------------------------------------------------------

    def _read(self) -> RegistryState:
        self._end = self._log.catch_up(self._state.apply)
        return self._state

    def _write(self, decide: Callable[[RegistryState], tuple[list[Record], Any]]) -> Any:
        """Runs `decide` on the current state until its records are appended at the end it saw
        (see the module's docstring); returns what `decide` returned with them."""
        deadline = time.monotonic() + self._timeout
        backoff = 0.001
        with self._lock:
            while True:
                state = self._read()
                records, result = decide(state)
                if not records:
                    return result
                if self._log.append_if_end(self._end, records):
                    self._read()
                    return result
                if time.monotonic() > deadline:
                    why = getattr(self._log, "last_problem", None)
                    raise _error(
                        500,
                        50002,
                        f"Operation timed out: {why}"
                        if why
                        else "Operation timed out: other writers kept changing _schemas",
                    )
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.05)

    # --- parsing and checking ------------------------------------------------------------

    @staticmethod
    def _parse_request(body: Any) -> tuple[str, str, list[dict[str, Any]]]:
        if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
            raise _error(422, 42201, "Invalid schema: the request has no 'schema' string")
        schema_type = str(body.get("schemaType") or "AVRO").upper()
        if schema_type not in SCHEMA_TYPES:
            raise _error(
                422,
                42201,
                f"Invalid schema: schema type {schema_type} is not supported "
                f"(Shoal's registry supports {', '.join(SCHEMA_TYPES)})",
            )
        refs = body.get("references") or []
        if refs:
            raise _error(422, 42201, "Invalid schema: schema references are not supported by Shoal")
        return body["schema"], schema_type, []

    @staticmethod
    def _validate(schema_type: str, schema_str: str, normalize: bool = False) -> str:
        """Checks the schema (42201 if invalid); returns the text to store."""
        try:
            if schema_type == "AVRO":
                avro_compat.parse(schema_str)
            else:
                json_compat.parse(schema_str)
        except (avro_compat.SchemaParseError, json_compat.SchemaParseError) as e:
            message = str(e)
            if not message.startswith("Invalid schema"):
                message = f"Invalid schema: {message}"
            raise _error(422, 42201, message) from None
        if normalize:
            return json.dumps(json.loads(schema_str), separators=(",", ":"), ensure_ascii=False)
        return schema_str

    @staticmethod
    def _check(level: str, schema_type: str, new: str, previous: list[VersionEntry]) -> list[str]:
        olds = [e for e in previous if e.schema_type == schema_type]
        if len(olds) != len(previous):
            return [f"the subject's schemas are not all of type {schema_type}"]
        texts = [e.schema_str for e in olds]
        if schema_type == "AVRO":
            parsed = [avro_compat.parse(t, validate_defaults=False) for t in texts]
            return avro_compat.check(level, avro_compat.parse(new), parsed)
        return json_compat.check(level, new, texts)

    def _level(self, state: RegistryState, subject: str | None) -> str:
        if subject is not None and subject in state.configs:
            return state.configs[subject]
        return state.configs.get(None, DEFAULT_COMPATIBILITY)

    @staticmethod
    def _find(
        state: RegistryState, subject: str, identity: Any, deleted: bool
    ) -> VersionEntry | None:
        for e in reversed(state.live_versions(subject, deleted)):
            if _identity(e.schema_type, e.schema_str) == identity:
                return e
        return None

    # --- operations ----------------------------------------------------------------------

    def register(self, subject: str, body: Any, normalize: bool = False) -> dict[str, Any]:
        """POST /subjects/{subject}/versions: the id of the schema under the subject, adding a
        version if the subject does not have it (409 if incompatible)."""
        schema_str, schema_type, refs = self._parse_request(body)
        schema_str = self._validate(schema_type, schema_str, normalize)
        identity = _identity(schema_type, schema_str)

        def decide(state: RegistryState) -> tuple[list[Record], Any]:
            existing = self._find(state, subject, identity, deleted=False)
            if existing is not None:
                return [], existing
            live = state.live_versions(subject)
            level = self._level(state, subject)
            problems = self._check(level, schema_type, schema_str, live)
            if problems:
                raise _error(
                    409,
                    409,
                    f'Schema being registered is incompatible with an earlier schema for subject "'
                    f'{subject}", details: [{"; ".join(problems)}] (compatibility {level})',
                )
            # The same schema keeps its id in every subject; a new one gets the next id.
            schema_id = next(
                (
                    i
                    for i, users in sorted(state.ids.items())
                    if users and _identity(*self._type_text(state, i)) == identity
                ),
                state.max_id + 1,
            )
            e = VersionEntry(
                subject, state.next_version(subject), schema_id, schema_type, schema_str, refs
            )
            return [(schema_key(subject, e.version), schema_value(e))], e

        e = self._write(decide)
        return {"id": e.schema_id, "subject": subject, "version": e.version}

    @staticmethod
    def _type_text(state: RegistryState, schema_id: int) -> tuple[str, str]:
        e = state.schema_by_id(schema_id)
        assert e is not None
        return e.schema_type, e.schema_str

    def lookup(self, subject: str, body: Any, deleted: bool = False) -> dict[str, Any]:
        """POST /subjects/{subject}: the version of the subject with this schema."""
        schema_str, schema_type, _ = self._parse_request(body)
        with self._lock:
            state = self._read()
            if not state.live_versions(subject, deleted):
                raise subject_not_found(subject)
            self._validate(schema_type, schema_str)
            e = self._find(state, subject, _identity(schema_type, schema_str), deleted)
            if e is None:
                raise _error(404, 40403, "Schema not found")
            return self._version_json(e)

    @staticmethod
    def _version_json(e: VersionEntry) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subject": e.subject,
            "version": e.version,
            "id": e.schema_id,
            "schema": e.schema_str,
        }
        if e.schema_type != "AVRO":
            out["schemaType"] = e.schema_type
        return out

    def schema_by_id(self, schema_id: int, subject: str | None = None) -> dict[str, Any]:
        """GET /schemas/ids/{id}."""
        with self._lock:
            state = self._read()
            e = state.schema_by_id(schema_id)
            # `subject` is only a hint (Confluent uses it to pick a context): a schema is
            # found by its id whichever subject the reader names.
            if e is None:
                raise _error(404, 40403, f"Schema {schema_id} not found")
            out: dict[str, Any] = {"schema": e.schema_str}
            if e.schema_type != "AVRO":
                out["schemaType"] = e.schema_type
            return out

    def id_versions(self, schema_id: int) -> list[dict[str, Any]]:
        """GET /schemas/ids/{id}/versions."""
        with self._lock:
            state = self._read()
            users = state.ids.get(schema_id)
            if not users:
                raise _error(404, 40403, f"Schema {schema_id} not found")
            return [{"subject": s, "version": v} for s, v in sorted(users)]

    def subjects(self, deleted: bool = False, prefix: str | None = None) -> list[str]:
        """GET /subjects."""
        with self._lock:
            state = self._read()
            return sorted(
                s
                for s in state.versions
                if state.live_versions(s, deleted) and (prefix is None or s.startswith(prefix))
            )

    def versions(self, subject: str, deleted: bool = False) -> list[int]:
        """GET /subjects/{subject}/versions."""
        with self._lock:
            live = self._read().live_versions(subject, deleted)
            if not live:
                raise subject_not_found(subject)
            return [e.version for e in live]

    @staticmethod
    def _version_number(version: Any) -> int:
        """A version as the API takes it: a positive number, or "latest" / -1 for the latest."""
        text = str(version).strip().lower()
        if text in ("latest", "-1"):
            return -1
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n <= 0 or n > 2**31 - 1:
            raise _error(
                422,
                42202,
                f"The specified version '{version}' is not a valid version id. Allowed values "
                'are between [1, 2^31-1] and the string "latest"',
            )
        return n

    def _entry(
        self, state: RegistryState, subject: str, version: Any, deleted: bool
    ) -> VersionEntry:
        n = self._version_number(version)
        live = state.live_versions(subject, deleted)
        if not state.live_versions(subject, True):
            raise subject_not_found(subject)
        if n == -1:
            if not live:
                raise subject_not_found(subject)
            return live[-1]
        e = state.versions.get(subject, {}).get(n)
        if e is None or (e.deleted and not deleted):
            raise version_not_found(n)
        return e

    def version(self, subject: str, version: Any, deleted: bool = False) -> dict[str, Any]:
        """GET /subjects/{subject}/versions/{version}."""
        with self._lock:
            state = self._read()
            return self._version_json(self._entry(state, subject, version, deleted))

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        """DELETE /subjects/{subject}: soft first (the versions stay readable by id), then
        permanent (the records are tombstoned and compacted away)."""

        def decide(state: RegistryState) -> tuple[list[Record], Any]:
            all_versions = state.live_versions(subject, deleted=True)
            if not all_versions:
                raise subject_not_found(subject)
            live = [e for e in all_versions if not e.deleted]
            if not permanent:
                if not live:
                    raise _error(
                        404,
                        40404,
                        f"Subject '{subject}' was soft deleted. Set permanent=true to delete "
                        "permanently",
                    )
                recs = []
                for e in live:
                    gone = VersionEntry(**{**e.__dict__, "deleted": True})
                    recs.append((schema_key(subject, e.version), schema_value(gone)))
                return recs, [e.version for e in live]
            if live:
                raise _error(
                    404,
                    40405,
                    f"Subject '{subject}' was not deleted first before being deleted permanently",
                )
            recs: list[Record] = [(schema_key(subject, e.version), None) for e in all_versions]
            recs.append((max_id_key(), max_id_value(state.max_id)))
            if subject in state.configs:
                recs.append((config_key(subject), None))
            return recs, [e.version for e in all_versions]

        return self._write(decide)

    def delete_version(self, subject: str, version: Any, permanent: bool = False) -> int:
        """DELETE /subjects/{subject}/versions/{version}."""

        def decide(state: RegistryState) -> tuple[list[Record], Any]:
            # A numbered version is found even when soft-deleted, so that deleting it softly
            # again is 40406, not 40402; "latest" means the latest live one for a soft delete.
            latest = self._version_number(version) == -1
            e = self._entry(state, subject, version, deleted=permanent or not latest)
            if not permanent:
                if e.deleted:
                    raise _error(
                        404,
                        40406,
                        f"Subject '{subject}' Version {e.version} was soft deleted. Set "
                        "permanent=true to delete permanently",
                    )
                gone = VersionEntry(**{**e.__dict__, "deleted": True})
                return [(schema_key(subject, e.version), schema_value(gone))], e.version
            if not e.deleted:
                raise _error(
                    404,
                    40407,
                    f"Subject '{subject}' Version {e.version} was not deleted first before "
                    "being permanently deleted",
                )
            recs = [
                (schema_key(subject, e.version), None),
                (max_id_key(), max_id_value(state.max_id)),
            ]
            return recs, e.version

        return self._write(decide)

    def get_config(self, subject: str | None, default_to_global: bool = False) -> dict[str, Any]:
        """GET /config and /config/{subject}."""
        with self._lock:
            state = self._read()
            if subject is None or default_to_global:
                return {"compatibilityLevel": self._level(state, subject)}
            if subject not in state.configs:
                raise _error(
                    404,
                    40408,
                    f"Subject '{subject}' does not have subject-level compatibility configured",
                )
            return {"compatibilityLevel": state.configs[subject]}

    def set_config(self, subject: str | None, body: Any) -> dict[str, Any]:
        """PUT /config and /config/{subject}: {"compatibility": LEVEL}."""
        level = body.get("compatibility") if isinstance(body, dict) else None
        if not isinstance(level, str) or level.upper() not in avro_compat.LEVELS:
            raise _error(
                422,
                42203,
                f"Invalid compatibility level. Valid values are {_LEVELS_TEXT}",
            )
        level = level.upper()

        def decide(state: RegistryState) -> tuple[list[Record], Any]:
            if state.configs.get(subject) == level:
                return [], None
            return [(config_key(subject), config_value(level))], None

        self._write(decide)
        return {"compatibility": level}

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        """DELETE /config/{subject}: back to the global level; returns the level it had."""

        def decide(state: RegistryState) -> tuple[list[Record], Any]:
            if subject is not None and subject not in state.configs:
                if not state.live_versions(subject, True):
                    raise subject_not_found(subject)
                raise _error(
                    404,
                    40408,
                    f"Subject '{subject}' does not have subject-level compatibility configured",
                )
            before = state.configs.get(subject, DEFAULT_COMPATIBILITY)
            if subject not in state.configs:
                return [], before
            return [(config_key(subject), None)], before

        return {"compatibilityLevel": self._write(decide)}

    def test_compatibility(
        self, subject: str, body: Any, version: Any | None, verbose: bool = False
    ) -> dict[str, Any]:
        """POST /compatibility/subjects/{subject}/versions[/{version}]: with a version, against
        that version alone (in the level's direction); without, as registering would."""
        schema_str, schema_type, _ = self._parse_request(body)
        self._validate(schema_type, schema_str)
        with self._lock:
            state = self._read()
            level = self._level(state, subject)
            if version is None:
                previous = state.live_versions(subject)
            else:
                previous = [self._entry(state, subject, version, deleted=False)]
                level = level.removesuffix("_TRANSITIVE")
            problems = self._check(level, schema_type, schema_str, previous)
        out: dict[str, Any] = {"is_compatible": not problems}
        if verbose:
            out["messages"] = problems
        return out
