"""Confluent Schema Registry's REST API as a function: (method, path, query, body) -> answer.

`shoal schema-registry` serves it over HTTP; the in-process client of ``shm://`` URLs calls it
directly, so both speak exactly the same API with the same errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from shoal.schema_registry._registry import SCHEMA_TYPES, Registry
from shoal.schema_registry.error import SchemaRegistryError

log = logging.getLogger("shoal.schema_registry")

__all__ = ["handle"]


def _flag(query: dict[str, str], name: str) -> bool:
    return str(query.get(name, "false")).strip().lower() == "true"


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SchemaRegistryError(404, 404, f"HTTP 404 Not Found: {what} '{text}'") from None


Route = tuple[str, re.Pattern[str], Callable[..., Any]]

_S = r"(?P<subject>[^/]+)"
_V = r"(?P<version>[^/]+)"


def _routes(r: Registry) -> list[Route]:
    def q(query: dict[str, str], name: str) -> str | None:
        return query.get(name)

    def raw_schema(subject: str, version: str, query: dict[str, str], body: Any) -> Any:
        return _Raw(r.version(subject, version, _flag(query, "deleted"))["schema"])

    return [
        ("GET", re.compile(r"/?"), lambda query, body: {}),
        ("GET", re.compile(r"/schemas/types/?"), lambda query, body: list(SCHEMA_TYPES)),
        (
            "GET",
            re.compile(r"/schemas/ids/(?P<id>[^/]+)/?"),
            lambda id, query, body: r.schema_by_id(_int(id, "schema id"), q(query, "subject")),
        ),
        (
            "GET",
            re.compile(r"/schemas/ids/(?P<id>[^/]+)/versions/?"),
            lambda id, query, body: r.id_versions(_int(id, "schema id")),
        ),
        (
            "GET",
            re.compile(r"/schemas/ids/(?P<id>[^/]+)/subjects/?"),
            lambda id, query, body: sorted(
                {v["subject"] for v in r.id_versions(_int(id, "schema id"))}
            ),
        ),
        (
            "GET",
            re.compile(r"/subjects/?"),
            lambda query, body: r.subjects(_flag(query, "deleted"), q(query, "subjectPrefix")),
        ),
        (
            "POST",
            re.compile(rf"/subjects/{_S}/?"),
            lambda subject, query, body: r.lookup(subject, body, _flag(query, "deleted")),
        ),
        (
            "DELETE",
            re.compile(rf"/subjects/{_S}/?"),
            lambda subject, query, body: r.delete_subject(subject, _flag(query, "permanent")),
        ),
        (
            "GET",
            re.compile(rf"/subjects/{_S}/versions/?"),
            lambda subject, query, body: r.versions(subject, _flag(query, "deleted")),
        ),
        (
            "POST",
            re.compile(rf"/subjects/{_S}/versions/?"),
            lambda subject, query, body: r.register(subject, body, _flag(query, "normalize")),
        ),
        (
            "GET",
            re.compile(rf"/subjects/{_S}/versions/{_V}/?"),
            lambda subject, version, query, body: r.version(
                subject, version, _flag(query, "deleted")
            ),
        ),
        ("GET", re.compile(rf"/subjects/{_S}/versions/{_V}/schema/?"), raw_schema),
        (
            "DELETE",
            re.compile(rf"/subjects/{_S}/versions/{_V}/?"),
            lambda subject, version, query, body: r.delete_version(
                subject, version, _flag(query, "permanent")
            ),
        ),
        ("GET", re.compile(r"/config/?"), lambda query, body: r.get_config(None)),
        ("PUT", re.compile(r"/config/?"), lambda query, body: r.set_config(None, body)),
        ("DELETE", re.compile(r"/config/?"), lambda query, body: r.delete_config(None)),
        (
            "GET",
            re.compile(rf"/config/{_S}/?"),
            lambda subject, query, body: r.get_config(subject, _flag(query, "defaultToGlobal")),
        ),
        (
            "PUT",
            re.compile(rf"/config/{_S}/?"),
            lambda subject, query, body: r.set_config(subject, body),
        ),
        (
            "DELETE",
            re.compile(rf"/config/{_S}/?"),
            lambda subject, query, body: r.delete_config(subject),
        ),
        (
            "POST",
            re.compile(rf"/compatibility/subjects/{_S}/versions/?"),
            lambda subject, query, body: r.test_compatibility(
                subject, body, None, _flag(query, "verbose")
            ),
        ),
        (
            "POST",
            re.compile(rf"/compatibility/subjects/{_S}/versions/{_V}/?"),
            lambda subject, version, query, body: r.test_compatibility(
                subject, body, version, _flag(query, "verbose")
            ),
        ),
    ]


class _Raw(str):
    """An answer sent as it is (a schema's own JSON), not as a JSON string."""


def handle(
    registry: Registry, method: str, path: str, query: dict[str, str], body: Any
) -> tuple[int, Any]:
    """Answers one request: (HTTP status, JSON value). Errors are Confluent's
    ``{"error_code": N, "message": "..."}``."""
    routes = getattr(registry, "_rest_routes", None)
    if routes is None:
        routes = _routes(registry)
        registry._rest_routes = routes  # type: ignore[attr-defined]
    path = "/" + path.split("?", 1)[0].lstrip("/")
    allowed = False
    for m, pattern, fn in routes:
        match = pattern.fullmatch(path)
        if not match:
            continue
        allowed = True
        if m != method:
            continue
        args = {k: unquote(v) for k, v in match.groupdict().items()}
        try:
            return 200, fn(**args, query=query, body=body)
        except SchemaRegistryError as e:
            return e.http_status_code, {"error_code": e.error_code, "message": e.error_message}
        except Exception as e:  # the store failed (a KafkaException, a timeout, ...)
            log.exception("%s %s failed", method, path)
            return 500, {"error_code": 50001, "message": f"Error in the backend data store: {e}"}
    if allowed:
        return 405, {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}
    return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}


def is_raw(value: Any) -> bool:
    return isinstance(value, _Raw)
