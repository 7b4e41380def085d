"""``shoal consumer-groups``: Kafka's kafka-consumer-groups.sh.

    shoal consumer-groups --bootstrap-server shm://NAME --list [--state STABLE,EMPTY]
    shoal consumer-groups --bootstrap-server shm://NAME --describe --group G [--group H]
        [--all-groups] [--offsets | --members [--verbose] | --state]
    shoal consumer-groups --bootstrap-server shm://NAME --delete --group G

``--describe`` prints Kafka's columns: per partition the committed offset, the log end offset,
the lag and the member that owns it (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG
CONSUMER-ID HOST CLIENT-ID), "-" where there is nothing, as Kafka's tool prints it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_BOOTSTRAP = "shm://default"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "consumer-groups",
        help="list, describe (lag per partition and member) and delete consumer groups",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--bootstrap-server",
        default=DEFAULT_BOOTSTRAP,
        help=f"the cluster, shm://NAME (default {DEFAULT_BOOTSTRAP})",
    )
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="list every group")
    action.add_argument("--describe", action="store_true", help="describe groups")
    action.add_argument("--delete", action="store_true", help="delete empty groups")
    p.add_argument("--group", action="append", default=[], help="a group id (repeatable)")
    p.add_argument("--all-groups", action="store_true", help="every group")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--offsets", action="store_true", help="with --describe: offsets and lag (the default)"
    )
    what.add_argument("--members", action="store_true", help="with --describe: the members")
    p.add_argument(
        "--state",
        nargs="?",
        const="",
        default=None,
        metavar="STATES",
        help="with --describe: the group's state; with --list: only groups in these states "
        "(comma-separated, e.g. Stable,Empty)",
    )
    p.add_argument(
        "--verbose",
        dest="members_verbose",
        action="store_true",
        help="with --describe --members: each member's partitions",
    )
    p.add_argument("--timeout", type=int, default=30_000, help="ms to wait for answers")
    p.set_defaults(func=run)


def _table(header: list[str], rows: list[list[Any]]) -> None:
    """Kafka's layout: left-aligned columns as wide as their widest cell, plus a space."""
    cells = [header] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print(" ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def run(args: argparse.Namespace) -> int:
    from shoal.admin import AdminClient, ConsumerGroupState

    admin = AdminClient(
        {"bootstrap.servers": args.bootstrap_server, "socket.timeout.ms": args.timeout}
    )
    timeout = args.timeout / 1000
    try:
        if args.list:
            states = set()
            for name in (args.state or "").split(","):
                if name.strip():
                    key = (
                        name.strip().upper().replace("PREPARINGREBALANCE", "PREPARING_REBALANCING")
                    )
                    key = key.replace("COMPLETINGREBALANCE", "COMPLETING_REBALANCING")
                    if key not in ConsumerGroupState.__members__:
                        raise SystemExit(f"shoal: unknown group state '{name}'")
                    states.add(ConsumerGroupState[key])
            result = admin.list_consumer_groups(states=states, request_timeout=timeout).result()
            for e in result.errors or []:
                print(f"shoal: {e.args[0].str()}", file=sys.stderr)
            if args.state is not None:
                _table(
                    ["GROUP", "STATE"],
                    [[g.group_id, g.state._kafka_name()] for g in result.valid or []],
                )
            else:
                for g in result.valid or []:
                    print(g.group_id)
            return 1 if result.errors else 0

        groups = list(args.group)
        if args.all_groups:
            listed = admin.list_consumer_groups(request_timeout=timeout).result()
            groups = [g.group_id for g in listed.valid or []]
        if not groups:
            raise SystemExit("shoal: --describe and --delete need --group G or --all-groups")

        if args.delete:
            failed = 0
            for g, f in admin.delete_consumer_groups(groups, request_timeout=timeout).items():
                try:
                    f.result()
                    print(f"Deletion of requested consumer groups ('{g}') was successful.")
                except Exception as e:
                    failed += 1
                    msg = e.args[0].str() if e.args and hasattr(e.args[0], "str") else str(e)
                    print(f"Error: Deletion of group '{g}' failed: {msg}", file=sys.stderr)
            return 1 if failed else 0

        return _describe(admin, groups, args, timeout)
    finally:
        admin.close()


def _describe(admin: Any, groups: list[str], args: argparse.Namespace, timeout: float) -> int:
    from shoal.admin import ConsumerGroupState

    descs = admin.describe_consumer_groups(groups, request_timeout=timeout)
    status = 0
    for g in groups:
        d = descs[g].result()
        print()
        if d.state == ConsumerGroupState.DEAD:
            print(f"Error: Consumer group '{g}' does not exist.", file=sys.stderr)
            status = 1
            continue
        if args.state is not None:
            c = d.coordinator
            _table(
                ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"],
                [
                    [
                        g,
                        f"{c.host}:{c.port} ({c.id})",
                        d.partition_assignor or None,
                        d.state._kafka_name(),
                        len(d.members),
                    ]
                ],
            )
            continue
        if not d.members:
            print(f"Consumer group '{g}' has no active members.")
        if args.members:
            header = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
            if args.members_verbose:
                header.append("ASSIGNMENT")
            rows = []
            for m in sorted(d.members, key=lambda m: m.member_id):
                parts = m.assignment.topic_partitions
                row: list[Any] = [g, m.member_id, m.host, m.client_id, len(parts)]
                if args.members_verbose:
                    by_topic: dict[str, list[int]] = {}
                    for tp in parts:
                        by_topic.setdefault(tp.topic, []).append(tp.partition)
                    row.append(
                        ",".join(
                            f"{t}({','.join(map(str, sorted(ps)))})"
                            for t, ps in sorted(by_topic.items())
                        )
                        or None
                    )
                rows.append(row)
            _table(header, rows)
            continue
        lag = admin.list_consumer_group_lag(g, request_timeout=timeout)
        _table(
            [
                "GROUP",
                "TOPIC",
                "PARTITION",
                "CURRENT-OFFSET",
                "LOG-END-OFFSET",
                "LAG",
                "CONSUMER-ID",
                "HOST",
                "CLIENT-ID",
            ],
            [
                [
                    g,
                    r.topic,
                    r.partition,
                    r.current_offset,
                    r.log_end_offset,
                    r.lag,
                    r.member_id,
                    r.host,
                    r.client_id,
                ]
                for r in lag
            ],
        )
    return status
