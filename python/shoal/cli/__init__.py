"""The `shoal` command: run a Shoal cluster, and Kafka's command-line tools for it.

    shoal cluster up [--name default] [--brokers 3] [--dir ./shoal-data/default]
    shoal cluster status
    shoal cluster down
    shoal broker start --cluster NAME --id N --dir DIR [--config FILE] [--override k=v ...]
    shoal perf producer --topic T --num-records N --record-size 100 --throughput -1
        [--compression-type all] [--batch-api] [--payload json]
    shoal perf consumer --topic T --messages N
    shoal perf consumer --group G [--messages 3000000] [--trials 10] [--session-timeout-ms 3000]
    shoal topics --bootstrap-server shm://NAME --create --topic T --partitions N
        | --list | --describe [--topic T] | --alter --topic T --partitions N | --delete --topic T
    shoal console-producer --topic T [--property parse.key=true --property key.separator=:]
    shoal console-consumer --topic T [--from-beginning] [--group G] [--max-messages N]
    shoal consumer-groups --bootstrap-server shm://NAME --list | --describe --group G | --delete
        | --reset-offsets --group G --topic T --to-earliest (--dry-run | --execute)
    shoal configs --bootstrap-server shm://NAME --describe [--all] (--topic T | --broker ID
        | --broker-defaults) | --alter ... --add-config k=v,k2=[v1,v2] --delete-config k3
    shoal notebooks [DIR] [--no-lab]

Each command's --help lists its options, with examples.
Errors print one line on stderr and exit non-zero; --verbose shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

EPILOG = """examples:
  shoal cluster up --brokers 3
  shoal cluster status
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --throughput -1 \\
      --producer-props acks=1
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --native --compare-redis
  shoal perf producer --topic perf --num-records 5000000 --record-size 100 --batch-api numpy \\
      --producer-props acks=1
  shoal perf producer --topic perf --num-records 2000000 --compression-type all --payload json
  shoal perf consumer --topic perf --messages 1000000
  shoal perf consumer --group perf
  shoal perf failover --trials 20
  shoal topics --create --topic orders --partitions 6 --replication-factor 3
  shoal topics --describe --topic orders
  shoal console-producer --topic orders < orders.txt
  shoal console-consumer --topic orders --from-beginning --max-messages 10
  shoal consumer-groups --describe --group billing
  shoal consumer-groups --reset-offsets --group billing --topic orders --to-earliest --execute
  shoal configs --alter --topic orders --add-config retention.ms=86400000
  shoal configs --describe --broker-defaults
  shoal broker start --cluster dev --id 1 --dir ./shoal-data/dev
  shoal schema-registry --port 8081
  shoal demo --brokers 3
  shoal notebooks ~/kafka-course
"""

# The command table: each command's module adds its parser (and its subcommands).
COMMANDS = (
    "topics",
    "console_producer",
    "console_consumer",
    "consumer_groups",
    "configs",
    "schema_registry",
    "demo",
    "notebooks",
    "cluster",
    "broker",
    "perf",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="shoal",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"shoal.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("shoal: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.verbose:
            raise
        from shoal.error import KafkaException

        msg = e.args[0].str() if isinstance(e, KafkaException) and e.args else str(e)
        print(f"shoal: {msg}", file=sys.stderr)
        return 1


def broker_main() -> None:
    """The shoal-broker console script: runs the executable shipped with the package."""
    from shoal.cluster import broker_executable

    exe = str(broker_executable())
    os.execv(exe, [exe, *sys.argv[1:]])
