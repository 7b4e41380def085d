"""`shoal cluster up|status|down`: a cluster whose brokers run in the background on this
host, managed by its name."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from shoal.cli._common import HelpFormatter, progress, props

CLUSTER_EPILOG = """examples:
  shoal cluster up                 # 3 brokers of cluster "default", data in ./shoal-data/default
                                   # Kafka clients: -b localhost:9092 (brokers on 9092..9094)
  shoal cluster up --name two --kafka-port 19092   # a second cluster beside the first
  shoal cluster up --name dev --brokers 1 --override num.partitions=3 log.retention.ms=3600000
  shoal cluster status --name dev
  shoal cluster down --name dev
"""


def _cluster_dir(args: argparse.Namespace) -> str:
    return args.dir or os.path.join("shoal-data", args.name)


def _cluster_up(args: argparse.Namespace) -> int:
    from shoal import cluster

    config = props(args.override)
    start = time.monotonic()
    started = cluster.start_cluster(
        args.name,
        _cluster_dir(args),
        args.brokers,
        config,
        args.timeout,
        progress,
        kafka_port=args.kafka_port,
    )
    addrs = sorted(
        (b["id"], f"{b['host']}:{b['port']}")
        for b in _core_brokers(args.name)
        if b["alive"] and b["port"] > 0
    )
    kafka = ",".join(a for _, a in addrs)
    if started:
        took = time.monotonic() - start
        # Brokers on an existing directory are up in tens of milliseconds: "0.0 s" read as
        # a broken clock.
        took_s = f"{took * 1000:.0f} ms" if took < 1 else f"{took:.1f} s"
        progress(f"cluster '{args.name}' is up: {len(started)} broker(s) started in {took_s}")
    else:
        progress(f"cluster '{args.name}' is already running")
    progress(f"  Shoal clients:  bootstrap.servers=shm://{args.name}")
    progress(f"  Kafka clients:  bootstrap.servers={kafka}")
    return 0


def _core_brokers(name: str) -> list[dict]:
    from shoal import _core

    return _core.cluster_brokers(name)


def _cluster_status(args: argparse.Namespace) -> int:
    from shoal import cluster

    st = cluster.cluster_status(args.name)
    if st is None:
        print(f"shoal: no cluster named '{args.name}' is running on this host", file=sys.stderr)
        return 1
    ctl = f"broker {st['controller']}" if st["controller"] >= 0 else "none"
    print(
        f"cluster {st['name']}: controller {ctl} (epoch {st['controller_epoch']}), "
        f"{st['topics']} topic(s), {st['partitions']} partition(s)"
    )
    print(f"{'BROKER':>6}  {'PID':>8}  {'STATE':<16}  {'ADDRESS':<21}  CONTROLLER")
    for b in st["brokers"]:
        mark = "yes" if b["controller"] else ""
        pid = str(b["pid"]) + ("*" if b["pid_namespace"] == "other" else "")
        addr = b["address"] or "-"
        print(f"{b['id']:>6}  {pid:>8}  {b['state']:<16}  {addr:<21}  {mark}")
    if any(b["pid_namespace"] == "other" for b in st["brokers"]):
        print("* a pid in another pid namespace (another container); its heartbeat tells its state")

    def show(title: str, rows: list[tuple[str, int, int, list[int], list[int]]]) -> None:
        print(f"{title}: {len(rows) or 'none'}")
        for topic, p, leader, replicas, isr in rows:
            print(f"  {topic}/{p}  leader {leader}  replicas {replicas}  isr {isr}")

    show("partitions without a leader", st["leaderless"])
    show("under-replicated partitions", st["under_replicated"])
    healthy = all(b["state"] == "running" for b in st["brokers"]) and not st["leaderless"]
    return 0 if healthy else 2


def _cluster_down(args: argparse.Namespace) -> int:
    from shoal import cluster

    stopped = cluster.stop_cluster(args.name, _cluster_dir(args), args.timeout, progress)
    if not stopped:
        print(f"shoal: no broker of cluster '{args.name}' is running", file=sys.stderr)
        return 1
    progress(f"cluster '{args.name}' is down ({len(stopped)} broker(s) stopped)")
    return 0


def add_parser(sub: Any) -> None:
    cl = sub.add_parser(
        "cluster",
        help="start, inspect and stop a cluster running in the background",
        description="A cluster whose brokers run in the background on this host (shoal broker "
        "start runs one broker in the foreground).",
        epilog=CLUSTER_EPILOG,
        formatter_class=HelpFormatter,
    )
    cl_sub = cl.add_subparsers(dest="cluster_command", metavar="WHAT", required=True)

    def cluster_common(p: argparse.ArgumentParser, with_dir: bool = True) -> None:
        p.add_argument(
            "--name",
            default=os.environ.get("SHOAL_CLUSTER", "default"),
            help="the cluster's name; clients use bootstrap.servers=shm://NAME (default: default)",
        )
        if with_dir:
            p.add_argument(
                "--dir", help="where the brokers keep their logs (default: ./shoal-data/NAME)"
            )

    up = cl_sub.add_parser(
        "up",
        help="start the brokers and wait until the cluster is ready",
        description="Starts brokers 1..N of the cluster in the background (they outlive this "
        "command; each logs to DIR/broker-N.log and writes DIR/broker-N.pid) and waits until "
        "the controller counts them all as live. Brokers already running are left alone.",
        epilog=CLUSTER_EPILOG,
        formatter_class=HelpFormatter,
    )
    cluster_common(up)
    up.add_argument("--brokers", type=int, default=3, help="how many brokers (default 3)")
    up.add_argument(
        "--kafka-port",
        type=int,
        default=9092,
        metavar="PORT",
        help="broker 1's Kafka listener port; broker N gets PORT+N-1 (default 9092; 0: free "
        "ports). A listeners override decides instead",
    )
    up.add_argument(
        "--override",
        nargs="*",
        metavar="KEY=VALUE",
        help="broker properties with Kafka's names, e.g. num.partitions=3",
    )
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness")
    up.set_defaults(func=_cluster_up)
    st = cl_sub.add_parser(
        "status",
        help="brokers, the controller, and partitions without a leader or under-replicated",
        description="Exit status: 0 healthy, 1 no such cluster, 2 a broker or partition is down.",
        epilog=CLUSTER_EPILOG,
        formatter_class=HelpFormatter,
    )
    cluster_common(st, with_dir=False)
    st.set_defaults(func=_cluster_status)
    down = cl_sub.add_parser(
        "down",
        help="stop every broker cleanly",
        description="Stops every broker of the cluster with SIGTERM (each hands over its "
        "leaderships and flushes its logs; one still running after --timeout is killed) and "
        "removes the pid files.",
        epilog=CLUSTER_EPILOG,
        formatter_class=HelpFormatter,
    )
    cluster_common(down)
    down.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before a broker is killed"
    )
    down.set_defaults(func=_cluster_down)
