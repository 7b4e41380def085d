"""``shoal schema-registry``: Confluent Schema Registry's REST API for a Shoal cluster.

    shoal schema-registry [--bootstrap-server shm://NAME] [--host 127.0.0.1] [--port 8081]

Serves until SIGINT or SIGTERM. The schemas live in the cluster's `_schemas` topic, so the
server keeps no state of its own: stop it, start it again, or run several, and they all see
the same subjects and ids as in-process clients (``SchemaRegistryClient({"url":
"shm://NAME"})``) do.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from shoal.cli._common import add_bootstrap, error_text

EPILOG = """examples:
  shoal schema-registry                       # cluster shm://default on http://127.0.0.1:8081
  shoal schema-registry --bootstrap-server shm://demo --port 18081
  curl http://127.0.0.1:8081/subjects
  curl -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \\
       --data '{"schema": "{\\"type\\": \\"string\\"}"}' \\
       http://127.0.0.1:8081/subjects/orders-value/versions
"""


def add_parser(sub: Any) -> None:
    from shoal.cli._common import HelpFormatter

    p = sub.add_parser(
        "schema-registry",
        help="serve Confluent Schema Registry's REST API for a cluster",
        description="Serves Confluent Schema Registry's REST API (subjects, versions, "
        "schemas/ids, config, compatibility) for the cluster's schemas, stored in its "
        "_schemas topic. confluent-kafka's SchemaRegistryClient and serdes work against it.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    add_bootstrap(p)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=int, default=8081, help="the port to listen on (0: any free)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shoal.schema_registry.server import RegistryServer

    try:
        server = RegistryServer(args.bootstrap_server, args.host, args.port)
    except OSError as e:
        raise SystemExit(f"shoal: cannot listen on {args.host}:{args.port}: {e.strerror}") from None
    except Exception as e:
        raise SystemExit(f"shoal: {error_text(e)}") from None

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        f"Schema registry for {args.bootstrap_server} listening on {server.url}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._http.server_close()
        server._registry.close()
    print("Schema registry stopped", file=sys.stderr, flush=True)
    return 0
