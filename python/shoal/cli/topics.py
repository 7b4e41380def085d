"""``shoal topics``: Kafka's kafka-topics.sh.

    shoal topics --create --topic T [--partitions N] [--replication-factor R]
        [--replica-assignment 1:2,2:3] [--config k=v ...] [--if-not-exists]
    shoal topics --list [--topic REGEX] [--exclude-internal]
    shoal topics --describe [--topic REGEX] [--under-replicated-partitions |
        --unavailable-partitions | --under-min-isr-partitions | --at-min-isr-partitions |
        --topics-with-overrides] [--exclude-internal]
    shoal topics --alter --topic T --partitions N [--replica-assignment ...]
    shoal topics --delete --topic T [--if-exists]

--topic takes a regular expression (whole-name match, ',' for '|') except with --create, as
Kafka's tool does. --describe prints Kafka's tab-separated lines: per topic

    Topic: T<TAB>PartitionCount: 6<TAB>ReplicationFactor: 3<TAB>Configs: k=v,...

(Configs: the configs not at their default) and per partition

    <TAB>Topic: T<TAB>Partition: 0<TAB>Leader: 1<TAB>Replicas: 1,2,3<TAB>Isr: 1,2,3

Kafka prints "TopicId: <id>" after the name; this tool prints it when
AdminClient.describe_topics gives the topic an id, and leaves it out otherwise, as Kafka
leaves out a zero id. After the topics, past a blank line, come the brokers, one line each:

    Broker: 1<TAB>Address: 127.0.0.1:9092

(their Kafka listeners; Kafka's tool does not print them). Recent Kafka versions end each
partition line with "Elr:" and "LastKnownElr:" (KIP-966's eligible leader replicas), which
Shoal does not have: it prints the partition lines of the Kafka versions before them.
Errors go to stderr, in Kafka's words.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from shoal.cli._common import add_bootstrap, admin_conf, error_text, fail

EPILOG = """examples:
  shoal topics --create --topic orders --partitions 6 --replication-factor 3 \\
      --config min.insync.replicas=2 --config retention.ms=86400000
  shoal topics --list
  shoal topics --describe --topic orders
  shoal topics --describe --under-replicated-partitions
  shoal topics --alter --topic orders --partitions 12
  shoal topics --delete --topic orders
"""

INTERNAL_TOPICS = ("__consumer_offsets", "__transaction_state")
_REPORTS = (
    "under_replicated_partitions",
    "unavailable_partitions",
    "under_min_isr_partitions",
    "at_min_isr_partitions",
)


class _CommandError(Exception):
    """A failure Kafka's tool prints as its bare message (IllegalArgumentException)."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "topics",
        help="create, list, describe, alter and delete topics",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap(p)
    p.add_argument(
        "--command-config", metavar="FILE", help="a properties file of admin client configs"
    )
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--create", action="store_true", help="create a new topic")
    action.add_argument("--list", action="store_true", help="list all available topics")
    action.add_argument("--describe", action="store_true", help="list details for the topics")
    action.add_argument("--alter", action="store_true", help="increase the number of partitions")
    action.add_argument("--delete", action="store_true", help="delete topics")
    p.add_argument(
        "--topic",
        help="the topic to create, alter, describe or delete; a regular expression except "
        "with --create",
    )
    p.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="the number of partitions for the topic being created or altered (default with "
        "--create: the cluster's num.partitions). Keyed records may move to other partitions "
        "when the count grows.",
    )
    p.add_argument(
        "--replication-factor",
        type=int,
        metavar="R",
        help="replicas of each partition of the topic being created (default: the cluster's "
        "default.replication.factor)",
    )
    p.add_argument(
        "--replica-assignment",
        metavar="B1:B2,B1:B2,...",
        help="the brokers of each partition's replicas, partitions separated by ',', replicas "
        "by ':' (with --alter: the new partitions come after the existing ones)",
    )
    p.add_argument(
        "--config",
        action="extend",
        nargs="+",
        metavar="NAME=VALUE",
        help="a topic config override for the topic being created (repeatable), e.g. "
        "retention.ms=86400000, cleanup.policy=compact, min.insync.replicas=2",
    )
    p.add_argument(
        "--if-not-exists",
        action="store_true",
        help="with --create: no error when the topic already exists",
    )
    p.add_argument(
        "--if-exists",
        action="store_true",
        help="with --alter, --delete or --describe: only act if the topic exists",
    )
    p.add_argument(
        "--under-replicated-partitions",
        action="store_true",
        help="with --describe: only partitions whose ISR is smaller than their replicas",
    )
    p.add_argument(
        "--unavailable-partitions",
        action="store_true",
        help="with --describe: only partitions without a live leader",
    )
    p.add_argument(
        "--under-min-isr-partitions",
        action="store_true",
        help="with --describe: only partitions whose ISR is below min.insync.replicas",
    )
    p.add_argument(
        "--at-min-isr-partitions",
        action="store_true",
        help="with --describe: only partitions whose ISR is exactly min.insync.replicas",
    )
    p.add_argument(
        "--topics-with-overrides",
        action="store_true",
        help="with --describe: only topics that have config overrides",
    )
    p.add_argument(
        "--exclude-internal",
        action="store_true",
        help="with --list or --describe: leave out internal topics (__consumer_offsets)",
    )
    p.add_argument("--timeout", type=int, default=30_000, help="ms to wait for answers")
    p.set_defaults(func=run)


def _action(args: argparse.Namespace) -> str:
    return next(a for a in ("create", "list", "describe", "alter", "delete") if getattr(args, a))


def _check_args(args: argparse.Namespace) -> None:
    """Kafka's TopicCommandOptions.checkArgs, with its messages."""
    action = _action(args)

    def only_with(option: str, value: Any, actions: tuple[str, ...]) -> None:
        if value and action not in actions:
            fail(f'Option "[{option}]" can\'t be used with option "[{action}]"')

    if action not in ("list", "describe") and not args.topic:
        fail('Missing required argument "[topic]"')
    if action == "alter":
        if args.config:
            fail(
                'Option "[alter]" can\'t be used with option "[config]" (topic configs are '
                "set when the topic is created)"
            )
        if args.partitions is None:
            fail('Missing required argument "[partitions]"')
    only_with("config", args.config, ("create",))
    only_with("partitions", args.partitions is not None, ("create", "alter"))
    only_with("replication-factor", args.replication_factor is not None, ("create",))
    only_with("replica-assignment", args.replica_assignment, ("create", "alter"))
    if action == "create" and args.replica_assignment:
        for option, value in (
            ("partitions", args.partitions),
            ("replication-factor", args.replication_factor),
        ):
            if value is not None:
                fail(f'Option "[replica-assignment]" can\'t be used with option "[{option}]"')
    for report in (*_REPORTS, "topics_with_overrides"):
        only_with(report.replace("_", "-"), getattr(args, report), ("describe",))
    if args.topics_with_overrides and any(getattr(args, r) for r in _REPORTS):
        fail('Option "[topics-with-overrides]" can\'t be used with the partition reports')
    only_with("if-exists", args.if_exists, ("alter", "delete", "describe"))
    only_with("if-not-exists", args.if_not_exists, ("create",))
    only_with("exclude-internal", args.exclude_internal, ("list", "describe"))


def run(args: argparse.Namespace) -> int:
    from shoal.admin import AdminClient
    from shoal.error import KafkaException

    _check_args(args)
    admin = AdminClient(admin_conf(args, {"socket.timeout.ms": args.timeout}))
    try:
        action = _action(args)
        if action == "create":
            _create(admin, args)
        elif action == "list":
            for name in _topics(admin, args):
                print(name)
        elif action == "describe":
            _describe(admin, args)
        elif action == "alter":
            _alter(admin, args)
        else:
            _delete(admin, args)
        return 0
    except _CommandError as e:
        print(e, file=sys.stderr)
        return 1
    except KafkaException as e:
        print(f"Error while executing topic command : {error_text(e)}", file=sys.stderr)
        return 1
    finally:
        admin.close()


def _timeout(args: argparse.Namespace) -> float:
    return args.timeout / 1000


def _replica_assignment(text: str) -> list[list[int]]:
    """'1:2,2:3' -> [[1, 2], [2, 3]], checked as Kafka's parseReplicaAssignment checks it."""
    out: list[list[int]] = []
    for i, part in enumerate(text.split(",")):
        try:
            brokers = [int(b.strip()) for b in part.split(":")]
        except ValueError:
            fail(f"invalid --replica-assignment '{text}': broker ids are integers")
        dups = sorted({b for b in brokers if brokers.count(b) > 1})
        if dups:
            raise _CommandError(
                "Partition replica lists may not contain duplicate entries: "
                + ",".join(map(str, dups))
            )
        if out and len(brokers) != len(out[0]):
            raise _CommandError(f"Partition {i} has different replication factor: {brokers}")
        out.append(brokers)
    return out


def _configs(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        pair = re.split(r"\s*=\s*", item)
        if len(pair) != 2:
            raise _CommandError(
                "requirement failed: Invalid topic config: all configs to be added must be in "
                'the format "key=val".'
            )
        out[pair[0].strip()] = pair[1].strip()
    return out


def _create(admin: Any, args: argparse.Namespace) -> None:
    from shoal import NewTopic
    from shoal.error import KafkaError, KafkaException

    rf, partitions = args.replication_factor, args.partitions
    if rf is not None and not 1 <= rf <= 32767:
        raise _CommandError("The replication factor must be between 1 and 32767 inclusive")
    if partitions is not None and partitions < 1:
        raise _CommandError("The partitions must be greater than 0")
    topic = NewTopic(
        args.topic,
        -1 if partitions is None else partitions,
        -1 if rf is None else rf,
        replica_assignment=_replica_assignment(args.replica_assignment)
        if args.replica_assignment
        else None,
        config=_configs(args.config) or None,
    )
    try:
        admin.create_topics([topic], request_timeout=_timeout(args))[args.topic].result()
    except KafkaException as e:
        if args.if_not_exists and e.args and e.args[0] == KafkaError.TOPIC_ALREADY_EXISTS:
            return
        raise
    print(f"Created topic {args.topic}.")


def _include_list(pattern: str) -> re.Pattern[str]:
    """Kafka's TopicFilter.IncludeList: quotes dropped, ',' read as '|', whole-name match."""
    return re.compile(pattern.strip().strip("'\"").replace(",", "|"))


def _topics(admin: Any, args: argparse.Namespace, md: Any = None) -> list[str]:
    """The topics --topic selects (all when none), sorted; Kafka's getTopics."""
    md = md if md is not None else admin.list_topics(timeout=_timeout(args))
    names = sorted(md.topics)
    if args.exclude_internal:
        names = [n for n in names if n not in INTERNAL_TOPICS]
    if args.topic and not args.create:
        try:
            pattern = _include_list(args.topic)
        except re.error as e:
            fail(f"--topic '{args.topic}' is not a regular expression: {e}")
        names = [n for n in names if pattern.fullmatch(n)]
    return names


def _ensure_exists(names: list[str], args: argparse.Namespace) -> None:
    if args.topic and not names and not args.if_exists:
        raise _CommandError(f"Topic '{args.topic}' does not exist as expected")


def _alter(admin: Any, args: argparse.Namespace) -> None:
    from shoal import NewPartitions

    md = admin.list_topics(timeout=_timeout(args))
    names = _topics(admin, args, md)
    _ensure_exists(names, args)
    if not names:
        return
    assignment = _replica_assignment(args.replica_assignment) if args.replica_assignment else None
    wanted = []
    for name in names:
        new = None
        if assignment is not None:
            # Kafka reads the list as the whole topic's and skips the existing partitions.
            new = assignment[len(md.topics[name].partitions) :]
        wanted.append(NewPartitions(name, args.partitions, replica_assignment=new))
    if not hasattr(admin, "create_partitions"):
        raise _CommandError(
            "--alter needs AdminClient.create_partitions, which this build of Shoal does not have"
        )
    futures = admin.create_partitions(wanted, request_timeout=_timeout(args))
    for name in names:
        futures[name].result()


def _delete(admin: Any, args: argparse.Namespace) -> None:
    names = _topics(admin, args)
    _ensure_exists(names, args)
    if not names:
        return
    futures = admin.delete_topics(names, request_timeout=_timeout(args))
    for name in names:
        futures[name].result()


def _admin_type(name: str) -> Any:
    """A type of confluent-kafka's admin API, from shoal or shoal.admin; None if absent."""
    import shoal
    from shoal import admin as admin_module

    return getattr(shoal, name, None) or getattr(admin_module, name, None)


def _topic_ids(admin: Any, names: list[str], timeout: float) -> dict[str, str]:
    """{topic: id} from AdminClient.describe_topics, for the topics that have one."""
    collection = _admin_type("TopicCollection")
    if collection is None or not hasattr(admin, "describe_topics") or not names:
        return {}
    futures = admin.describe_topics(collection(names), request_timeout=timeout)
    ids = {name: getattr(f.result(), "topic_id", None) for name, f in futures.items()}
    return {name: str(i) for name, i in ids.items() if i is not None and str(i)}


def _topic_configs(admin: Any, names: list[str], timeout: float) -> dict[str, Any] | None:
    """{topic: {config name: ConfigEntry}} from AdminClient.describe_configs; None when this
    build of Shoal has no describe_configs yet."""
    resource = _admin_type("ConfigResource")
    if resource is None or not hasattr(admin, "describe_configs"):
        return None
    if not names:
        return {}
    kind = resource.Type.TOPIC if hasattr(resource, "Type") else "topic"
    futures = admin.describe_configs(
        [resource(kind, name) for name in names], request_timeout=timeout
    )
    return {res.name: f.result() for res, f in futures.items()}


def _describe(admin: Any, args: argparse.Namespace) -> None:
    md = admin.list_topics(timeout=_timeout(args))
    names = _topics(admin, args, md)
    _ensure_exists(names, args)
    reports = [r for r in _REPORTS if getattr(args, r)]
    needs_min_isr = args.under_min_isr_partitions or args.at_min_isr_partitions
    # The partition reports print no topic line: no configs or ids to look up for them.
    configs = _topic_configs(admin, names, _timeout(args)) if needs_min_isr or not reports else {}
    topic_ids = {} if reports else _topic_ids(admin, names, _timeout(args))
    if configs is None:
        if needs_min_isr:
            raise _CommandError(
                "--under-min-isr-partitions and --at-min-isr-partitions need "
                "AdminClient.describe_configs, which this build of Shoal does not have"
            )
        if names and not reports:
            print(
                "shoal: this build has no AdminClient.describe_configs: Configs: left empty",
                file=sys.stderr,
            )
        configs = {}
    live = set(md.brokers)
    for name in names:
        tm = md.topics[name]
        if tm.error is not None and not tm.partitions:
            raise _CommandError(f"Topic '{name}': {error_text(Exception(tm.error))}")
        parts = [tm.partitions[i] for i in sorted(tm.partitions)]
        entries = list((configs.get(name) or {}).values())
        overrides = [e for e in entries if not e.is_default]
        if not reports and (not args.topics_with_overrides or overrides):
            fields = [f"Topic: {name}"]
            if name in topic_ids:
                fields.append(f"TopicId: {topic_ids[name]}")
            fields += [
                f"PartitionCount: {len(parts)}",
                f"ReplicationFactor: {len(parts[0].replicas) if parts else 0}",
                "Configs: " + ",".join(f"{e.name}={e.value}" for e in overrides),
            ]
            print("\t".join(fields))
        if args.topics_with_overrides:
            continue
        min_isr = 1
        if needs_min_isr:
            entry = next((e for e in entries if e.name == "min.insync.replicas"), None)
            min_isr = int(entry.value) if entry is not None else 1
        for pm in parts:
            has_leader = pm.leader >= 0
            matches = {
                "under_replicated_partitions": len(pm.replicas) > len(pm.isrs),
                "unavailable_partitions": not has_leader or pm.leader not in live,
                "under_min_isr_partitions": not has_leader or len(pm.isrs) < min_isr,
                "at_min_isr_partitions": len(pm.isrs) == min_isr,
            }
            if not reports or any(matches[r] for r in reports):
                print(
                    f"\tTopic: {name}\tPartition: {pm.id}"
                    f"\tLeader: {pm.leader if has_leader else 'none'}"
                    f"\tReplicas: {','.join(map(str, pm.replicas))}"
                    f"\tIsr: {','.join(map(str, pm.isrs))}"
                )
    if names and not reports and not args.topics_with_overrides:
        # Beyond Kafka's tool: where the brokers named above listen, after a blank line so
        # that scripts reading Kafka's lines up to it see nothing new.
        print()
        for b in sorted(md.brokers.values(), key=lambda b: b.id):
            print(f"Broker: {b.id}\tAddress: {b.host}:{b.port}")
