"""``shoal consumer-groups``: Kafka's kafka-consumer-groups.sh.

    shoal consumer-groups --bootstrap-server shm://NAME --list [--state STABLE,EMPTY]
    shoal consumer-groups --bootstrap-server shm://NAME --describe --group G [--group H]
        [--all-groups] [--offsets | --members [--verbose] | --state]
    shoal consumer-groups --bootstrap-server shm://NAME --delete --group G

``--describe`` prints Kafka's columns: per partition the committed offset, the log end offset,
the lag and the member that owns it (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG
CONSUMER-ID HOST CLIENT-ID), "-" where there is nothing, as Kafka's tool prints it.

``--reset-offsets`` sets the committed offsets of a group that has no active members (Kafka
refuses a live group, and so does this tool), for the partitions of --topic T (all of them) or
T:P,P, or of every partition the group committed (--all-topics), to one scenario:

    --to-earliest | --to-latest | --to-current (the committed offset, or the end)
    --to-offset N | --shift-by N (both kept within [earliest, latest] of each partition)
    --to-datetime YYYY-MM-DDTHH:mm:SS.sss (UTC unless it carries an offset such as +02:00)
    --by-duration PnDTnHnMnS (that long before now)

and prints Kafka's table GROUP TOPIC PARTITION NEW-OFFSET. Nothing changes without
--execute: --dry-run (the default, with Kafka's warning when neither is given) only prints.
Messages and warnings go to stderr; a refused group makes the exit status 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from typing import Any

from shoal.cli._common import add_bootstrap

EPILOG = """examples:
  shoal consumer-groups --list --state
  shoal consumer-groups --describe --group billing
  shoal consumer-groups --describe --group billing --members --verbose
  shoal consumer-groups --reset-offsets --group billing --topic orders --to-earliest --execute
  shoal consumer-groups --reset-offsets --group billing --topic orders:0,1 --shift-by -10 \\
      --dry-run
  shoal consumer-groups --reset-offsets --group billing --all-topics --by-duration PT1H --execute
  shoal consumer-groups --delete --group billing
"""

_SCENARIOS = (
    "to_earliest",
    "to_latest",
    "to_current",
    "to_offset",
    "shift_by",
    "to_datetime",
    "by_duration",
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "consumer-groups",
        help="list, describe (lag per partition and member), reset offsets of and delete "
        "consumer groups",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap(p)
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="list every group")
    action.add_argument("--describe", action="store_true", help="describe groups")
    action.add_argument("--delete", action="store_true", help="delete empty groups")
    action.add_argument(
        "--reset-offsets",
        action="store_true",
        help="set the committed offsets of an inactive group (see the scenarios above)",
    )
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
    scope = p.add_mutually_exclusive_group()
    scope.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="T[:P,P]",
        help="with --reset-offsets: a topic (all its partitions) or some of its partitions "
        "(repeatable)",
    )
    scope.add_argument(
        "--all-topics",
        action="store_true",
        help="with --reset-offsets: every partition the group has committed an offset for",
    )
    scenario = p.add_mutually_exclusive_group()
    scenario.add_argument("--to-earliest", action="store_true", help="reset to the earliest offset")
    scenario.add_argument("--to-latest", action="store_true", help="reset to the latest offset")
    scenario.add_argument(
        "--to-current",
        action="store_true",
        help="reset to the committed offset (the latest where there is none)",
    )
    scenario.add_argument(
        "--to-offset", type=int, metavar="N", help="reset to N (kept within the log)"
    )
    scenario.add_argument(
        "--shift-by",
        type=int,
        metavar="N",
        help="move the committed offset by N, negative for back (kept within the log)",
    )
    scenario.add_argument(
        "--to-datetime",
        metavar="YYYY-MM-DDTHH:mm:SS.sss",
        help="reset to the first record at or after this time (UTC without an offset)",
    )
    scenario.add_argument(
        "--by-duration",
        metavar="PnDTnHnMnS",
        help="reset to the first record at or after this long ago (ISO-8601 duration)",
    )
    run_mode = p.add_mutually_exclusive_group()
    run_mode.add_argument(
        "--dry-run", action="store_true", help="with --reset-offsets: only print (the default)"
    )
    run_mode.add_argument(
        "--execute", action="store_true", help="with --reset-offsets: commit the new offsets"
    )
    p.set_defaults(func=run)


def _table(header: list[str], rows: list[list[Any]]) -> None:
    """Kafka's layout: left-aligned columns as wide as their widest cell, plus a space."""
    cells = [header] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print(" ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def run(args: argparse.Namespace) -> int:
    from shoal.admin import AdminClient, ConsumerGroupState

    _check_reset_args(args)
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
            raise SystemExit(
                "shoal: --describe, --delete and --reset-offsets need --group G or --all-groups"
            )

        if args.reset_offsets:
            return _reset_offsets(admin, groups, args, timeout)

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


# ---- --reset-offsets: Kafka's ConsumerGroupCommand.resetOffsets and GroupOffsetsResetter ----


class _ResetError(Exception):
    """A reset that cannot go on; printed as Kafka prints it, "Error: ..."."""


def _check_reset_args(args: argparse.Namespace) -> None:
    scenarios = [s for s in _SCENARIOS if getattr(args, s) not in (None, False)]
    reset_only = scenarios or args.topic or args.all_topics or args.dry_run or args.execute
    if not args.reset_offsets:
        if reset_only:
            raise SystemExit(
                "shoal: --topic, --all-topics, the reset scenarios, --dry-run and --execute go "
                "with --reset-offsets"
            )
        return
    if not scenarios:
        names = ", ".join("--" + s.replace("_", "-") for s in _SCENARIOS)
        raise SystemExit(
            f"shoal: Option '[reset-offsets]' requires one of the following scenarios: {names}"
        )
    if not args.topic and not args.all_topics:
        raise SystemExit("shoal: One of the reset scopes should be defined: --all-topics, --topic.")
    if not args.dry_run and not args.execute:
        print(
            "WARN: No action will be performed as the --execute option is missing. You should "
            "add the --dry-run option explicitly if you are scripting this command.",
            file=sys.stderr,
        )


def _tp_name(t: str, p: int) -> str:
    return f"{t}-{p}"


def parse_datetime(text: str) -> int:
    """Kafka's Utils.getDateTime: ISO-8601 with a 'T', UTC unless the time carries an offset
    (Z, +hh, +hhmm, +hh:mm); milliseconds since the epoch."""
    if "T" not in text:
        raise _ResetError(
            "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format"
        )
    time_part = text.split("T", 1)[1]
    if not any(c in time_part for c in "+-Z"):
        text += "+00:00"
    m = re.fullmatch(r"(.*[T].*?)([+-]\d{2})(\d{2})?$", text)
    if m and ":" not in text[len(m.group(1)) :]:
        text = f"{m.group(1)}{m.group(2)}:{m.group(3) or '00'}"  # +08 / +0800 -> +08:00
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _ResetError(f'Unparseable date: "{text}"') from None
    return (when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


_DURATION = re.compile(
    r"([-+]?)P(?:([-+]?\d+)D)?"
    r"(T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?",
    re.IGNORECASE,
)


def parse_duration_ms(text: str) -> int:
    """java.time.Duration.parse's PnDTnHnMn.nS, in milliseconds."""
    m = _DURATION.fullmatch(text.strip())
    if not m or m.group(3) == "T" or (m.group(2) is None and not m.group(3)):
        raise _ResetError("Text cannot be parsed to a Duration")
    sign, days, _, hours, minutes, seconds, fraction = m.groups()
    ms = (
        int(days or 0) * 86_400_000
        + int(hours or 0) * 3_600_000
        + int(minutes or 0) * 60_000
        + int(seconds or 0) * 1000
    )
    if fraction:
        frac = int((fraction + "000")[:3])
        ms += -frac if (seconds or "").startswith("-") else frac
    return -ms if sign == "-" else ms


def _committed(admin: Any, group: str, timeout: float) -> dict[tuple[str, int], int]:
    from shoal.admin import ConsumerGroupTopicPartitions

    fs = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group)], request_timeout=timeout
    )
    tps = fs[group].result().topic_partitions or []
    return {
        (tp.topic, tp.partition): tp.offset for tp in tps if tp.error is None and tp.offset >= 0
    }


def _log_offsets(
    admin: Any, parts: list[tuple[str, int]], spec: Any, timeout: float
) -> dict[tuple[str, int], int]:
    from shoal import TopicPartition

    if not parts:
        return {}
    fs = admin.list_offsets({TopicPartition(t, p): spec for t, p in parts}, request_timeout=timeout)
    return {(tp.topic, tp.partition): f.result().offset for tp, f in fs.items()}


def _partitions_to_reset(
    args: argparse.Namespace, committed: dict[tuple[str, int], int], md: Any
) -> list[tuple[str, int]]:
    if args.all_topics:
        return sorted(committed)
    out: list[tuple[str, int]] = []
    for arg in args.topic:
        if ":" in arg:
            topic, _, listed = arg.partition(":")
            if not topic or ":" in listed:
                raise _ResetError(f"Invalid topic arg '{arg}', expected topic name and partitions")
            for text in listed.split(","):
                try:
                    out.append((topic, int(text)))
                except ValueError:
                    raise _ResetError(
                        f"Invalid partition '{text}' specified in topic arg '{arg}'"
                    ) from None
        else:
            tm = md.topics.get(arg)
            if tm is None or not tm.partitions:
                raise _ResetError(
                    f"Executing consumer group command failed due to Topic '{arg}' does not exist"
                )
            out.extend((arg, p) for p in sorted(tm.partitions))
    return sorted(set(out))


def _check_partitions(parts: list[tuple[str, int]], md: Any) -> None:
    """Kafka's checkAllTopicPartitionsValid: every partition exists and has a leader."""
    missing, leaderless = [], []
    for t, p in parts:
        tm = md.topics.get(t)
        pm = None if tm is None else tm.partitions.get(p)
        if pm is None:
            missing.append(_tp_name(t, p))
        elif pm.leader < 0:
            leaderless.append(_tp_name(t, p))
    if missing:
        raise _ResetError(
            "Executing consumer group command failed due to The partitions "
            f'"{",".join(missing)}" do not exist'
        )
    if leaderless:
        raise _ResetError(
            "Executing consumer group command failed due to The partitions "
            f'"{",".join(leaderless)}" have no leader'
        )


def _clamp(
    admin: Any, wanted: dict[tuple[str, int], int], timeout: float
) -> dict[tuple[str, int], int]:
    """Kafka's checkOffsetsRange: an offset past the end goes to the end, one before the start
    to the start, each with a warning."""
    from shoal.admin import OffsetSpec

    parts = sorted(wanted)
    starts = _log_offsets(admin, parts, OffsetSpec.earliest(), timeout)
    ends = _log_offsets(admin, parts, OffsetSpec.latest(), timeout)
    out = {}
    for (t, p), off in wanted.items():
        end, start = ends[(t, p)], starts[(t, p)]
        if off > end:
            print(
                f"WARN: New offset ({off}) is higher than latest offset for topic partition "
                f"{_tp_name(t, p)}. Value will be set to {end}.",
                file=sys.stderr,
            )
            off = end
        elif off < start:
            print(
                f"WARN: New offset ({off}) is lower than earliest offset for topic partition "
                f"{_tp_name(t, p)}. Value will be set to {start}.",
                file=sys.stderr,
            )
            off = start
        out[(t, p)] = off
    return out


def _by_time(
    admin: Any, parts: list[tuple[str, int]], ts: int, timeout: float
) -> dict[tuple[str, int], int]:
    from shoal.admin import OffsetSpec

    found = _log_offsets(admin, parts, OffsetSpec.for_timestamp(max(0, ts)), timeout)
    empty = sorted(k for k, off in found.items() if off < 0)
    for t, p in empty:
        print(
            f"Warn: Partition {p} from topic {t} is empty. Falling back to latest known offset.",
            file=sys.stderr,
        )
    found.update(_log_offsets(admin, empty, OffsetSpec.latest(), timeout))
    return found


def _new_offsets(
    admin: Any,
    args: argparse.Namespace,
    parts: list[tuple[str, int]],
    committed: dict[tuple[str, int], int],
    timeout: float,
) -> dict[tuple[str, int], int]:
    from shoal.admin import OffsetSpec

    if args.to_earliest:
        return _log_offsets(admin, parts, OffsetSpec.earliest(), timeout)
    if args.to_latest:
        return _log_offsets(admin, parts, OffsetSpec.latest(), timeout)
    if args.to_offset is not None:
        return _clamp(admin, {k: args.to_offset for k in parts}, timeout)
    if args.shift_by is not None:
        for t, p in parts:
            if (t, p) not in committed:
                raise _ResetError(
                    f"Cannot shift offset for partition {_tp_name(t, p)} since there is no "
                    "current committed offset"
                )
        return _clamp(admin, {k: committed[k] + args.shift_by for k in parts}, timeout)
    if args.to_datetime is not None:
        return _by_time(admin, parts, parse_datetime(args.to_datetime), timeout)
    if args.by_duration is not None:
        now_ms = int(time.time() * 1000)
        return _by_time(admin, parts, now_ms - parse_duration_ms(args.by_duration), timeout)
    # --to-current: the committed offset, the end where there is none.
    out = {k: committed[k] for k in parts if k in committed}
    out.update(
        _log_offsets(admin, [k for k in parts if k not in committed], OffsetSpec.latest(), timeout)
    )
    return out


def _reset_offsets(admin: Any, groups: list[str], args: argparse.Namespace, timeout: float) -> int:
    from shoal import TopicPartition
    from shoal.admin import ConsumerGroupState, ConsumerGroupTopicPartitions
    from shoal.error import KafkaException

    descs = admin.describe_consumer_groups(groups, request_timeout=timeout)
    md = admin.list_topics(timeout=timeout)
    plan: dict[str, dict[tuple[str, int], int]] = {}
    status = 0
    for g in groups:
        try:
            d = descs[g].result()
            if d.state not in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
                raise _ResetError(
                    f"Assignments can only be reset if the group '{g}' is inactive, but the "
                    f"current state is {d.state._kafka_name()}."
                )
            committed = _committed(admin, g, timeout)
            parts = _partitions_to_reset(args, committed, md)
            _check_partitions(parts, md)
            offsets = _new_offsets(admin, args, parts, committed, timeout)
            if args.execute and offsets:
                request = ConsumerGroupTopicPartitions(
                    g, [TopicPartition(t, p, off) for (t, p), off in sorted(offsets.items())]
                )
                result = admin.alter_consumer_group_offsets([request], request_timeout=timeout)
                failed = [tp for tp in result[g].result().topic_partitions if tp.error]
                if failed:
                    raise _ResetError(
                        "Executing consumer group command failed due to "
                        + ", ".join(
                            f"{_tp_name(tp.topic, tp.partition)}: {tp.error.str()}" for tp in failed
                        )
                    )
            plan[g] = offsets
        except _ResetError as e:
            print(f"Error: {e}", file=sys.stderr)
            status = 1
        except KafkaException as e:
            msg = e.args[0].str() if e.args and hasattr(e.args[0], "str") else str(e)
            print(f"Error: Executing consumer group command failed due to {msg}", file=sys.stderr)
            status = 1
    if plan:
        _print_reset_plan(plan)
    return status


def _print_reset_plan(plan: dict[str, dict[tuple[str, int], int]]) -> None:
    """Kafka's printOffsetsToReset: a blank line, then columns at least 15 wide for the group
    and the topic and 10 for the partition."""
    group_w = max([15, *(len(g) for g in plan)])
    topic_w = max([15, *(len(t) for offsets in plan.values() for t, _ in offsets)])

    def row(g: str, t: str, p: object, off: object) -> str:
        return f"{g:<{group_w}} {t:<{topic_w}} {p!s:<10} {off}"

    print()
    print(row("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"))
    for g, offsets in plan.items():
        for (t, p), off in sorted(offsets.items()):
            print(row(g, t, p, off))
