"""``shoal broker start``: one broker of a cluster, in the foreground.

    shoal broker start --cluster NAME --id N --dir DIR [--config FILE] [--override k=v ...]

Runs the shoal-broker executable shipped with the package in place of this process (the same
as the ``shoal-broker`` command), so its pid is the broker's: SIGTERM or Ctrl-C stops it
cleanly (leaderships handed over, logs flushed) and it exits with status 0. It logs to its
stdout (SHOAL_LOG_LEVEL=debug for more) and keeps its partitions in DIR/broker-N. Clients
attach with bootstrap.servers=shm://NAME. Start each broker of a cluster with the same NAME
and DIR and its own id; ``shoal cluster up`` starts a whole cluster in the background instead.

--config reads broker properties with Kafka's names (num.partitions, log.retention.ms,
default.replication.factor, min.insync.replicas, ...) from a file; --override sets one, and
wins over the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from shoal.cli._common import HelpFormatter

EPILOG = """examples:
  shoal broker start --cluster default --id 1 --dir ./shoal-data/default
  shoal broker start --cluster dev --id 2 --dir /var/lib/shoal/dev --config broker.properties
  shoal broker start --cluster dev --id 1 --dir ./data --override num.partitions=3 \\
      --override log.retention.ms=3600000
"""


def add_parser(sub: Any) -> None:
    b = sub.add_parser(
        "broker",
        help="run one broker in the foreground",
        description="One broker of a cluster, in the foreground (shoal cluster up starts a "
        "whole cluster in the background).",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    b_sub = b.add_subparsers(dest="broker_command", metavar="WHAT", required=True)
    p = b_sub.add_parser(
        "start",
        help="run a broker in the foreground until SIGTERM or Ctrl-C",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--cluster",
        required=True,
        metavar="NAME",
        help="the cluster's name; clients use bootstrap.servers=shm://NAME",
    )
    p.add_argument(
        "--id", required=True, type=int, metavar="N", help="this broker's id (broker.id), 0 or more"
    )
    p.add_argument(
        "--dir",
        required=True,
        metavar="DIR",
        help="the cluster's directory; this broker's data goes to DIR/broker-N",
    )
    p.add_argument(
        "--config", metavar="FILE", help="a properties file of broker configs (Kafka's names)"
    )
    p.add_argument(
        "--override",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="a broker property that wins over --config (repeatable), e.g. num.partitions=3",
    )
    p.set_defaults(func=start)


def command(args: argparse.Namespace) -> list[str]:
    """The shoal-broker command line for these arguments."""
    from shoal.cluster import broker_executable

    cmd = [str(broker_executable())]
    cmd += ["--cluster", args.cluster, "--id", str(args.id), "--dir", args.dir]
    if args.config is not None:
        cmd += ["--config", args.config]
    for kv in args.override:
        cmd += ["--override", kv]
    return cmd


def start(args: argparse.Namespace) -> int:
    if args.id < 0:
        raise SystemExit(f"shoal: --id must be 0 or more, not {args.id}")
    cmd = command(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)  # does not return
    return 1  # pragma: no cover
