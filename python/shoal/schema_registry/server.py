"""``shoal schema-registry``: Confluent Schema Registry's REST API over HTTP.

The server is the in-process registry (`_registry.Registry` on the cluster's `_schemas`
topic) behind Python's ThreadingHTTPServer: any number of servers and in-process clients may
run against one cluster at once, since they share the topic and serialize their writes through
it. Answers use Confluent's content type, ``application/vnd.schemaregistry.v1+json``, and its
error bodies ``{"error_code": 40401, "message": "..."}``.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from shoal.schema_registry import _rest
from shoal.schema_registry._registry import Registry
from shoal.schema_registry._topic_log import TopicLog

log = logging.getLogger("shoal.schema_registry")

__all__ = ["CONTENT_TYPE", "RegistryServer"]

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_MAX_BODY = 16 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _answer(self, status: int, value: Any) -> None:
        body = str(value).encode() if _rest.is_raw(value) else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body: Any = None
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            return self._answer(413, {"error_code": 413, "message": "Request entity too large"})
        if length:
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError as e:
                return self._answer(
                    400, {"error_code": 400, "message": f"Unrecognized request body: {e}"}
                )
        status, value = _rest.handle(self.server.registry, method, parts.path, query, body)
        self._answer(status, value)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    registry: Registry


class RegistryServer:
    """A registry server for the cluster at `bootstrap`, listening on host:port (port 0: any
    free port; `port` says which). `serve_forever()` or `start()` / `close()`."""

    def __init__(
        self, bootstrap: str, host: str = "127.0.0.1", port: int = 8081, timeout: float = 30.0
    ) -> None:
        self._registry = Registry(TopicLog(bootstrap, timeout), timeout=timeout)
        try:
            self._http = _Server((host, port), _Handler)
        except OSError:
            self._registry.close()
            raise
        self._http.registry = self._registry
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._http.server_address[1]

    @property
    def url(self) -> str:
        host = self._http.server_address[0]
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._http.serve_forever(poll_interval=0.2)

    def start(self) -> RegistryServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="shoal-schema-registry", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        self._registry.close()

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
