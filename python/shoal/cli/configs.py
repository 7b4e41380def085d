"""``shoal configs``: Kafka's kafka-configs.sh, for topics and brokers.

    shoal configs --describe [--all] (--topic T | --entity-type topics [--entity-name T])
    shoal configs --describe [--all] (--broker ID | --broker-defaults
        | --entity-type brokers [--entity-name ID | --entity-default])
    shoal configs --alter (--topic T | --broker ID | --broker-defaults | --entity-type ...)
        [--add-config k=v,k2=[v1,v2] | --add-config-file FILE] [--delete-config k,k2]

--describe prints, as Kafka's tool does, a heading per entity ("Dynamic configs for topic T
are:", "All configs for broker 1 are:" with --all, "Default configs for brokers in the cluster
are:" for the cluster-wide defaults) and one line per config, sorted by name:

      retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000,
      DEFAULT_CONFIG:log.retention.ms=604800000}

(on one line). Without --all only the configs set at that level show: a topic's overrides, a
broker's own dynamic configs, or the cluster-wide dynamic defaults. Without a name, every topic
or every broker and then the defaults.

--add-config takes Kafka's syntax: pairs separated by commas, square brackets around a value
that holds commas (cleanup.policy=[delete,compact]). --delete-config names configs set at that
level (others are refused: "Invalid config(s): k"); a deleted config goes back to the broker's
value or the default. Deletions apply before additions. A broker takes the dynamic broker
configs only, those that set topic defaults: log.retention.ms, log.retention.bytes,
log.segment.bytes, log.roll.ms, log.cleanup.policy, min.insync.replicas, message.max.bytes,
compression.type, unclean.leader.election.enable, ...; the cluster refuses the others (set them
in the broker's properties), naming them, and then applies none of the changes. --broker ID
applies to that broker only, --broker-defaults (--entity-default) to every broker.

Errors print one line on stderr and exit with status 1. Where Kafka's tool prints "The topic
'T' doesn't exist and doesn't have dynamic config." and exits 0, this one prints that line on
stderr and exits 1. Kafka's other entity types (users, clients, ips, broker-loggers,
client-metrics, groups) have no configs in Shoal.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from shoal.cli._common import add_bootstrap, admin_conf, error_text, fail, load_properties

EPILOG = """examples:
  shoal configs --describe --topic orders
  shoal configs --describe --all --topic orders
  shoal configs --alter --topic orders --add-config retention.ms=86400000,max.message.bytes=2000000
  shoal configs --alter --topic orders --add-config 'cleanup.policy=[delete,compact]'
  shoal configs --alter --topic orders --delete-config retention.ms,cleanup.policy
  shoal configs --describe --entity-type brokers --entity-name 1 --all
  shoal configs --alter --broker-defaults --add-config log.retention.ms=3600000
  shoal configs --alter --entity-type brokers --entity-name 2 --add-config min.insync.replicas=2
  shoal configs --describe --entity-type brokers
"""

TOPICS = "topics"
BROKERS = "brokers"
ENTITY_TYPES = (TOPICS, BROKERS)
DESCRIBE_TIMEOUT_S = 30  # as Kafka's tool waits
ALTER_TIMEOUT_S = 60

# A comma or '=' outside square brackets: what follows has no ']' before the next '[' or the end.
_OUTSIDE_BRACKETS = r"(?=[^\]]*(?:\[|$))"
_VALID_KEY = re.compile(r"[$a-zA-Z0-9._-]*")


class _CommandError(Exception):
    """A failure Kafka's tool prints as its bare message (IllegalArgumentException,
    InvalidConfigurationException)."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "configs",
        help="describe and alter topic configs and dynamic broker configs",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap(p)
    p.add_argument(
        "--command-config", metavar="FILE", help="a properties file of admin client configs"
    )
    p.add_argument("--describe", action="store_true", help="list the configs of the entity")
    p.add_argument("--alter", action="store_true", help="change the configs of the entity")
    p.add_argument(
        "--all",
        action="store_true",
        help="with --describe: every config of the entity, with its value wherever it comes "
        "from, not only those set at that level",
    )
    p.add_argument(
        "--entity-type",
        action="append",
        default=[],
        metavar="topics|brokers",
        help="the type of the entity",
    )
    p.add_argument(
        "--entity-name",
        action="append",
        default=[],
        metavar="NAME",
        help="the entity: a topic name or a broker id",
    )
    p.add_argument(
        "--entity-default",
        action="store_true",
        help="with --entity-type brokers: the cluster-wide dynamic defaults of every broker",
    )
    p.add_argument("--topic", metavar="T", help="the topic (--entity-type topics --entity-name T)")
    p.add_argument(
        "--broker", metavar="ID", help="the broker (--entity-type brokers --entity-name ID)"
    )
    p.add_argument(
        "--broker-defaults",
        action="store_true",
        help="the cluster-wide defaults of every broker (--entity-type brokers --entity-default)",
    )
    p.add_argument(
        "--add-config",
        metavar="K=V,K=[V1,V2],...",
        help="with --alter: configs to set, separated by commas; square brackets group a value "
        "that holds commas: 'retention.ms=86400000,cleanup.policy=[delete,compact]'",
    )
    p.add_argument(
        "--add-config-file",
        metavar="FILE",
        help="with --alter: a properties file of configs to set",
    )
    p.add_argument(
        "--delete-config",
        action="append",
        default=[],
        metavar="K,K,...",
        help="with --alter: configs to remove at that level, separated by commas (repeatable)",
    )
    p.set_defaults(func=run)


def _entity_types(args: argparse.Namespace) -> list[str]:
    out = list(args.entity_type)
    if args.topic is not None:
        out.append(TOPICS)
    if args.broker is not None:
        out.append(BROKERS)
    if args.broker_defaults:
        out.append(BROKERS)
    return out


def _entity_names(args: argparse.Namespace) -> list[str]:
    """The names, "" standing for the defaults (--entity-default, --broker-defaults)."""
    out = list(args.entity_name)
    if args.entity_default:
        out.append("")
    for name in (args.topic, args.broker):
        if name is not None:
            out.append(name)
    if args.broker_defaults:
        out.append("")
    return out


def _check_args(args: argparse.Namespace) -> None:
    """Kafka's ConfigCommandOptions.checkArgs, with its messages, for topics and brokers."""
    if args.describe == args.alter:
        fail("Command must include exactly one action: --describe, --alter")
    if args.describe:
        for option, used in (
            ("add-config", args.add_config is not None),
            ("add-config-file", args.add_config_file is not None),
            ("delete-config", bool(args.delete_config)),
        ):
            if used:
                fail(f'Option "[describe]" can\'t be used with option "[{option}]"')
    types = _entity_types(args)
    duplicates = sorted({t for t in types if types.count(t) > 1})
    if duplicates:
        raise _CommandError(f"Duplicate entity type(s) specified: {','.join(duplicates)}")
    for t in types:
        if t not in ENTITY_TYPES:
            raise _CommandError(
                f"Invalid entity type {t}, the entity type must be one of "
                f"{', '.join(ENTITY_TYPES)} with a --bootstrap-server argument"
            )
    if not types:
        raise _CommandError("At least one entity type must be specified")
    if len(types) > 1:
        raise _CommandError("Only 'users' and 'clients' entity types may be specified together")
    generic = args.entity_type or args.entity_name or args.entity_default
    specific = args.topic is not None or args.broker is not None or args.broker_defaults
    if generic and specific:
        raise _CommandError(
            "--entity-{type,name,default} should not be used in conjunction with specific "
            "entity flags"
        )
    names = _entity_names(args)
    has_name = any(names)
    if has_name and types[0] == BROKERS:
        for broker_id in (n for n in names if n):
            try:
                int(broker_id)
            except ValueError:
                raise _CommandError(
                    "The entity name for brokers must be a valid integer broker id, but it is: "
                    f"{broker_id}"
                ) from None
    if args.describe and types[0] == TOPICS and args.entity_default:
        raise _CommandError("--entity-default must not be specified with --describe of topics")
    if args.alter:
        if types[0] == BROKERS:
            if not names:
                raise _CommandError(
                    "An entity-name or default entity must be specified with --alter of users, "
                    "clients, brokers or ips"
                )
        elif not has_name:
            raise _CommandError(f"An entity name must be specified with --alter of {types[0]}")
        if args.add_config is not None and args.add_config_file is not None:
            raise _CommandError("Only one of --add-config or --add-config-file must be specified")
        if args.add_config is None and args.add_config_file is None and not args.delete_config:
            raise _CommandError(
                "At least one of --add-config, --add-config-file, or --delete-config must be "
                "specified with --alter"
            )
        if len(types) != len(names):
            raise _CommandError("An entity name must be specified for every entity type")


def parse_add_config(text: str) -> dict[str, str]:
    """Kafka's --add-config: 'k1=v1,k2=[v1,v2],k3=v3' -> {k1: v1, k2: 'v1,v2', k3: v3}. Commas
    and '=' inside square brackets belong to the value; the brackets are dropped."""
    pairs = re.split("," + _OUTSIDE_BRACKETS, text)
    while len(pairs) > 1 and pairs[-1] == "":  # Java's split drops trailing empty strings
        pairs.pop()
    split = [re.split(r"\s*=\s*" + _OUTSIDE_BRACKETS, pair) for pair in pairs]
    if any(len(kv) != 2 for kv in split):
        raise _CommandError(
            'Invalid entity config: all configs to be added must be in the format "key=val" or '
            ' "key=[val1,val2]" to group values which contain commas.'
        )
    return {k.strip(): re.sub(r"[\[\]]", "", v).strip() for k, v in split}


def parse_delete_config(items: list[str]) -> list[str]:
    """--delete-config k1,k2 (repeatable) -> [k1, k2]."""
    return [name.strip() for item in items for name in item.split(",")]


def _configs_to_add(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    if args.add_config_file is not None:
        try:
            out.update(load_properties(args.add_config_file))
        except OSError as e:
            raise _CommandError(f"{args.add_config_file}: {e.strerror or e}") from None
    if args.add_config is not None:
        out.update(parse_add_config(args.add_config))
    for key in out:
        if not _VALID_KEY.fullmatch(key):
            raise _CommandError(f"Invalid character found for config key: {key}")
    return out


def _resource(entity_type: str, name: str) -> Any:
    from shoal.admin import ConfigResource

    kind = ConfigResource.Type.TOPIC if entity_type == TOPICS else ConfigResource.Type.BROKER
    return ConfigResource(kind, name)


def _level(entity_type: str, name: str) -> Any:
    """The source of the configs set at this entity's own level (what --describe shows without
    --all, and what --delete-config may remove)."""
    from shoal.admin import ConfigSource

    if entity_type == TOPICS:
        return ConfigSource.DYNAMIC_TOPIC_CONFIG
    if name == "":
        return ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
    return ConfigSource.DYNAMIC_BROKER_CONFIG


def _entries(admin: Any, entity_type: str, name: str, describe_all: bool) -> list[Any]:
    """Kafka's getResourceConfig: the entity's ConfigEntry list, sorted by name; without
    describe_all only those set at the entity's level."""
    resource = _resource(entity_type, name)
    future = admin.describe_configs([resource], request_timeout=DESCRIBE_TIMEOUT_S)[resource]
    entries = list(future.result(DESCRIBE_TIMEOUT_S + 5).values())
    level = _level(entity_type, name)
    return sorted((e for e in entries if describe_all or e.source == level), key=lambda e: e.name)


def _text(value: str | None) -> str:
    return "null" if value is None else value


def entry_line(entry: Any) -> str:
    """'  name=value sensitive=false synonyms={SOURCE:name=value, ...}', as Kafka prints it."""
    synonyms = entry.synonyms
    if isinstance(synonyms, dict):
        synonyms = list(synonyms.values())
    shown = ", ".join(f"{s.source.name}:{s.name}={_text(s.value)}" for s in synonyms)
    sensitive = "true" if entry.is_sensitive else "false"
    return f"  {entry.name}={_text(entry.value)} sensitive={sensitive} synonyms={{{shown}}}"


def _broker_ids(admin: Any) -> list[str]:
    nodes = admin.describe_cluster(request_timeout=DESCRIBE_TIMEOUT_S).result(
        DESCRIBE_TIMEOUT_S + 5
    )
    return [str(n.id) for n in sorted(nodes.nodes, key=lambda n: n.id)]


def _describe(admin: Any, args: argparse.Namespace) -> None:
    entity_type = _entity_types(args)[0]
    names = _entity_names(args)
    singular = entity_type[:-1]
    if names:
        name = names[0]
        entities = [name]
        if not args.all:
            # Kafka's tool says so, without asking the cluster for the configs.
            if entity_type == TOPICS:
                known = set(admin.list_topics(timeout=DESCRIBE_TIMEOUT_S).topics)
            else:
                known = {*_broker_ids(admin), ""}
            if name not in known:
                raise _CommandError(
                    f"The {singular} '{name}' doesn't exist and doesn't have dynamic config."
                )
    elif entity_type == TOPICS:
        entities = sorted(admin.list_topics(timeout=DESCRIBE_TIMEOUT_S).topics)
    else:
        entities = [*_broker_ids(admin), ""]
    for name in entities:
        entries = _entries(admin, entity_type, name, args.all)  # an error prints no heading
        if name == "":
            print(f"Default configs for {entity_type} in the cluster are:")
        else:
            print(f"{'All' if args.all else 'Dynamic'} configs for {singular} {name} are:")
        for entry in entries:
            print(entry_line(entry))
        sys.stdout.flush()


def _alter(admin: Any, args: argparse.Namespace) -> None:
    from shoal.admin import AlterConfigOpType, ConfigEntry

    entity_type = _entity_types(args)[0]
    name = _entity_names(args)[0]
    to_add = _configs_to_add(args)
    to_delete = parse_delete_config(args.delete_config)
    # As Kafka's tool: only a config set at this level can be deleted.
    current = {e.name for e in _entries(admin, entity_type, name, False)}
    invalid = [k for k in to_delete if k not in current]
    if invalid:
        raise _CommandError(f"Invalid config(s): {','.join(invalid)}")
    resource = _resource(entity_type, name)
    for key in to_delete:
        resource.add_incremental_config(
            ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
        )
    for key, value in to_add.items():
        resource.add_incremental_config(
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
        )
    futures = admin.incremental_alter_configs([resource], request_timeout=ALTER_TIMEOUT_S)
    futures[resource].result(ALTER_TIMEOUT_S + 5)
    if name:
        print(f"Completed updating config for {entity_type[:-1]} {name}.")
    else:
        print(f"Completed updating default config for {entity_type} in the cluster.")


def _command_line() -> str:
    """The arguments after `configs`, which Kafka's tool quotes in its error message."""
    argv = sys.argv[1:]
    return " ".join(argv[argv.index("configs") + 1 :] if "configs" in argv else argv)


def run(args: argparse.Namespace) -> int:
    from shoal.admin import AdminClient
    from shoal.error import KafkaError, KafkaException

    try:
        _check_args(args)
    except _CommandError as e:
        print(e, file=sys.stderr)
        return 1
    admin = AdminClient(admin_conf(args))
    try:
        if args.alter:
            _alter(admin, args)
        else:
            _describe(admin, args)
        return 0
    except _CommandError as e:
        print(e, file=sys.stderr)
        return 1
    except KafkaException as e:
        if e.args and e.args[0] == KafkaError.INVALID_CONFIG:
            # Kafka's tool prints an InvalidConfigurationException as its bare message.
            print(error_text(e), file=sys.stderr)
        else:
            print(
                f"Error while executing config command with args '{_command_line()}': "
                f"{error_text(e)}",
                file=sys.stderr,
            )
        return 1
    finally:
        admin.close()
