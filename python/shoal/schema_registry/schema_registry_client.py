"""``SchemaRegistryClient``: confluent-kafka-python's registry client, for Shoal's registry.

``url`` picks how it reaches the registry:

* ``shm://NAME`` (the cluster's bootstrap servers): the registry runs inside this process, on
  the cluster's `_schemas` topic. Nothing else needs to run; every process using the cluster
  sees the same subjects and ids.
* ``http://HOST:PORT``: a registry server speaking Confluent's REST API, such as
  ``shoal schema-registry`` (or Confluent's own, in front of a Kafka cluster).

Both speak the same API (shoal/schema_registry/_rest.py) and raise the same
`SchemaRegistryError`s. Like confluent-kafka's client, results that cannot change (a schema by
id, the id of a schema registered under a subject) are cached.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from shoal.schema_registry import _rest
from shoal.schema_registry.error import SchemaRegistryError

__all__ = [
    "RegisteredSchema",
    "Schema",
    "SchemaReference",
    "SchemaRegistryClient",
]

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# confluent-kafka's keys. Those about networks a shm:// registry does not use (TLS, auth,
# proxies) are accepted and ignored, so a config written for Confluent Cloud still loads.
_KNOWN_CONF = {
    "url",
    "timeout",
    "cache.capacity",
    "cache.latest.ttl.sec",
    "max.retries",
    "retries.wait.ms",
    "retries.max.wait.ms",
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.key.password",
    "ssl.disable.verification",
    "basic.auth.user.info",
    "basic.auth.credentials.source",
    "bearer.auth.credentials.source",
    "bearer.auth.token",
    "bearer.auth.logical.cluster",
    "bearer.auth.identity.pool.id",
    "proxy",
}


@dataclass(frozen=True)
class SchemaReference:
    """A reference from a schema to another subject's version (accepted by the API; Shoal's
    registry refuses schemas that use them)."""

    name: str
    subject: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class Schema:
    """A schema: its text, its type (AVRO or JSON) and references."""

    schema_str: str | None
    schema_type: str | None = "AVRO"
    references: list[SchemaReference] = field(default_factory=list, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.schema_str is not None:
            out["schema"] = self.schema_str
        if self.schema_type is not None:
            out["schemaType"] = self.schema_type
        out["references"] = [r.to_dict() for r in self.references or []]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        refs = [
            SchemaReference(r.get("name"), r.get("subject"), r.get("version"))
            for r in d.get("references") or []
        ]
        return cls(d.get("schema"), d.get("schemaType", "AVRO"), refs)


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as registered: its id, and (when known) the subject and version."""

    subject: str | None
    version: int | None
    schema_id: int | None
    schema: Schema
    guid: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RegisteredSchema:
        return cls(
            subject=d.get("subject"),
            version=d.get("version"),
            schema_id=d.get("id"),
            schema=Schema.from_dict(d),
            guid=d.get("guid"),
        )


class _Local:
    """The registry in this process, over the cluster's `_schemas` topic."""

    def __init__(self, bootstrap: str, timeout: float) -> None:
        from shoal.schema_registry._registry import Registry
        from shoal.schema_registry._topic_log import TopicLog

        self._registry = Registry(TopicLog(bootstrap, timeout), timeout=timeout)

    def request(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        status, answer = _rest.handle(self._registry, method, path, query, body)
        if status != 200:
            raise SchemaRegistryError(status, answer["error_code"], answer["message"])
        # A copy, as HTTP would give: the caller may keep or change what it gets.
        return json.loads(json.dumps(answer)) if not _rest.is_raw(answer) else str(answer)

    def close(self) -> None:
        self._registry.close()


class _Http:
    """A registry server over HTTP (Confluent's REST API)."""

    def __init__(self, urls: list[str], timeout: float) -> None:
        self._urls = [u.rstrip("/") for u in urls]
        self._timeout = timeout

    def request(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        qs = urllib.parse.urlencode(query)
        last: Exception | None = None
        for base in self._urls:
            url = f"{base}/{path.lstrip('/')}" + (f"?{qs}" if qs else "")
            data = json.dumps(body).encode() if body is not None else None
            req = urllib.request.Request(
                url,
                data=data,
                method=method,
                headers={"Accept": _CONTENT_TYPE, "Content-Type": _CONTENT_TYPE},
            )
            try:
                with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                    return json.loads(resp.read() or b"null")
            except urllib.error.HTTPError as e:
                with e:  # the error holds the connection: close it
                    try:
                        answer = json.loads(e.read())
                        code, message = int(answer["error_code"]), str(answer["message"])
                    except (ValueError, KeyError, TypeError):
                        code, message = SchemaRegistryError.UNKNOWN, f"HTTP {e.code}: {e.reason}"
                raise SchemaRegistryError(e.code, code, message) from None
            except OSError as e:  # connection refused, timeout: try the next URL
                last = e
        raise SchemaRegistryError(
            SchemaRegistryError.UNKNOWN,
            SchemaRegistryError.UNKNOWN,
            f"cannot reach the schema registry at {', '.join(self._urls)}: {last}",
        )

    def close(self) -> None:
        pass


def _q(path_part: str) -> str:
    return urllib.parse.quote(path_part, safe="")


class SchemaRegistryClient:
    """confluent-kafka's ``SchemaRegistryClient(conf)``: ``conf["url"]`` is ``shm://NAME`` or
    an ``http://`` URL (several comma-separated: tried in order); ``timeout`` in seconds
    (default 30)."""

    def __init__(self, conf: dict[str, Any]) -> None:
        if not isinstance(conf, dict):
            raise TypeError("conf must be a dict")
        unknown = sorted(set(conf) - _KNOWN_CONF)
        if unknown:
            raise ValueError(f"Unrecognized properties: {', '.join(unknown)}")
        url = conf.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ValueError("Missing required configuration property url")
        self._conf = dict(conf)
        timeout = float(conf.get("timeout", 30))
        urls = [u.strip() for u in url.split(",") if u.strip()]
        if urls[0].startswith("shm://"):
            if len(urls) != 1:
                raise ValueError("url: give one shm://NAME, not a list")
            self._transport: Any = _Local(urls[0], timeout)
        elif all(u.startswith(("http://", "https://")) for u in urls):
            self._transport = _Http(urls, timeout)
        else:
            raise ValueError(
                f"url {url!r}: expected shm://NAME (a Shoal cluster) or http(s)://HOST:PORT"
            )
        self._lock = threading.Lock()
        self._schema_by_id: dict[int, Schema] = {}
        self._id_by_subject_schema: dict[tuple[str, Schema], RegisteredSchema] = {}

    # --- plumbing ------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        q = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (query or {}).items()}
        return self._transport.request(method, path, q, body)

    def config(self) -> dict[str, Any]:
        return dict(self._conf)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> SchemaRegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clear_caches(self) -> None:
        with self._lock:
            self._schema_by_id.clear()
            self._id_by_subject_schema.clear()

    def clear_latest_caches(self) -> None:
        """Nothing to clear: the latest versions are never cached."""

    # --- schemas -------------------------------------------------------------------------

    def register_schema(
        self, subject_name: str, schema: Schema, normalize_schemas: bool = False
    ) -> int:
        """Registers `schema` under the subject (or finds it there): its id. Raises
        SchemaRegistryError 409 if incompatible, 42201 if invalid."""
        r = self.register_schema_full_response(subject_name, schema, normalize_schemas)
        assert r.schema_id is not None
        return r.schema_id

    def register_schema_full_response(
        self, subject_name: str, schema: Schema, normalize_schemas: bool = False
    ) -> RegisteredSchema:
        key = (subject_name, schema)
        with self._lock:
            cached = self._id_by_subject_schema.get(key)
        if cached is not None:
            return cached
        answer = self._call(
            "POST",
            f"subjects/{_q(subject_name)}/versions",
            schema.to_dict(),
            {"normalize": normalize_schemas},
        )
        r = RegisteredSchema(
            subject=answer.get("subject", subject_name),
            version=answer.get("version"),
            schema_id=answer["id"],
            schema=schema,
            guid=answer.get("guid"),
        )
        with self._lock:
            self._id_by_subject_schema[key] = r
            self._schema_by_id.setdefault(answer["id"], schema)
        return r

    def get_schema(
        self, schema_id: int, subject_name: str | None = None, fmt: str | None = None
    ) -> Schema:
        """The schema with this id (40403 if there is none)."""
        with self._lock:
            cached = self._schema_by_id.get(schema_id)
        if cached is not None:
            return cached
        query = {"subject": subject_name} if subject_name is not None else {}
        schema = Schema.from_dict(self._call("GET", f"schemas/ids/{int(schema_id)}", None, query))
        with self._lock:
            self._schema_by_id[schema_id] = schema
        return schema

    def get_schema_types(self) -> list[str]:
        return self._call("GET", "schemas/types")

    def get_subjects_by_schema_id(self, schema_id: int, **kwargs: Any) -> list[str]:
        return self._call("GET", f"schemas/ids/{int(schema_id)}/subjects")

    def get_schema_versions(self, schema_id: int, **kwargs: Any) -> list[dict[str, Any]]:
        return self._call("GET", f"schemas/ids/{int(schema_id)}/versions")

    def lookup_schema(
        self,
        subject_name: str,
        schema: Schema,
        normalize_schemas: bool = False,
        fmt: str | None = None,
        deleted: bool = False,
    ) -> RegisteredSchema:
        """The subject's version holding `schema` (40401 no subject, 40403 no such schema)."""
        answer = self._call(
            "POST",
            f"subjects/{_q(subject_name)}",
            schema.to_dict(),
            {"normalize": normalize_schemas, "deleted": deleted},
        )
        r = RegisteredSchema.from_dict(answer)
        return RegisteredSchema(r.subject, r.version, r.schema_id, schema, r.guid)

    # --- subjects and versions -----------------------------------------------------------

    def get_subjects(
        self, subject_prefix: str | None = None, deleted: bool = False, **kwargs: Any
    ) -> list[str]:
        query: dict[str, Any] = {"deleted": deleted}
        if subject_prefix is not None:
            query["subjectPrefix"] = subject_prefix
        return self._call("GET", "subjects", None, query)

    def delete_subject(self, subject_name: str, permanent: bool = False) -> list[int]:
        """Soft-deletes every version (then, with permanent=True, removes them): the versions."""
        query = {"permanent": True} if permanent else {}
        versions = self._call("DELETE", f"subjects/{_q(subject_name)}", None, query)
        with self._lock:
            for key in [k for k in self._id_by_subject_schema if k[0] == subject_name]:
                del self._id_by_subject_schema[key]
        return versions

    def get_latest_version(self, subject_name: str, fmt: str | None = None) -> RegisteredSchema:
        return RegisteredSchema.from_dict(
            self._call("GET", f"subjects/{_q(subject_name)}/versions/latest")
        )

    def get_version(
        self,
        subject_name: str,
        version: int | str,
        deleted: bool = False,
        fmt: str | None = None,
    ) -> RegisteredSchema:
        return RegisteredSchema.from_dict(
            self._call(
                "GET",
                f"subjects/{_q(subject_name)}/versions/{_q(str(version))}",
                None,
                {"deleted": deleted},
            )
        )

    def get_versions(self, subject_name: str, deleted: bool = False, **kwargs: Any) -> list[int]:
        return self._call(
            "GET", f"subjects/{_q(subject_name)}/versions", None, {"deleted": deleted}
        )

    def delete_version(self, subject_name: str, version: int, permanent: bool = False) -> int:
        query = {"permanent": True} if permanent else {}
        deleted = self._call(
            "DELETE", f"subjects/{_q(subject_name)}/versions/{_q(str(version))}", None, query
        )
        with self._lock:
            for key in [k for k in self._id_by_subject_schema if k[0] == subject_name]:
                del self._id_by_subject_schema[key]
        return deleted

    # --- compatibility -------------------------------------------------------------------

    def set_compatibility(
        self, subject_name: str | None = None, level: str | None = None
    ) -> dict[str, Any]:
        """Sets the subject's level (or the global one): ``{"compatibility": LEVEL}``."""
        if level is None:
            raise ValueError("level must be set")
        path = f"config/{_q(subject_name)}" if subject_name is not None else "config"
        return self._call("PUT", path, {"compatibility": level.upper()})

    def get_compatibility(self, subject_name: str | None = None) -> str:
        """The subject's own level (40408 if it has none) or, without a subject, the global."""
        path = f"config/{_q(subject_name)}" if subject_name is not None else "config"
        return self._call("GET", path)["compatibilityLevel"]

    def delete_compatibility(self, subject_name: str) -> str:
        """Removes the subject's own level (it then follows the global one): the level it had."""
        return self._call("DELETE", f"config/{_q(subject_name)}")["compatibilityLevel"]

    def test_compatibility(
        self,
        subject_name: str,
        schema: Schema,
        version: int | str = "latest",
        normalize: bool = False,
        verbose: bool = False,
    ) -> bool:
        """Whether `schema` is compatible with that version, under the subject's level."""
        answer = self._call(
            "POST",
            f"compatibility/subjects/{_q(subject_name)}/versions/{_q(str(version))}",
            schema.to_dict(),
            {"normalize": normalize, "verbose": verbose},
        )
        return answer["is_compatible"]

    def test_compatibility_all_versions(
        self, subject_name: str, schema: Schema, normalize: bool = False, verbose: bool = False
    ) -> bool:
        """Whether registering `schema` would pass the subject's compatibility check."""
        answer = self._call(
            "POST",
            f"compatibility/subjects/{_q(subject_name)}/versions",
            schema.to_dict(),
            {"normalize": normalize, "verbose": verbose},
        )
        return answer["is_compatible"]

    def compatibility_messages(
        self, subject_name: str, schema: Schema, version: int | str = "latest"
    ) -> list[str]:
        """Why `schema` is not compatible with that version (empty: it is). Shoal's addition:
        what ``test_compatibility(..., verbose=True)`` asks the server for."""
        answer = self._call(
            "POST",
            f"compatibility/subjects/{_q(subject_name)}/versions/{_q(str(version))}",
            schema.to_dict(),
            {"verbose": True},
        )
        return list(answer.get("messages", []))
