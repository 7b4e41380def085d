"""The `shoal` command: Kafka's command-line tools for a Shoal cluster.

    shoal perf producer --topic T --num-records N --record-size 100 --throughput -1
    shoal perf consumer --topic T --messages N

Errors print one line on stderr and exit non-zero; --verbose shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

EPILOG = """examples:
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --throughput -1 \\
      --producer-props acks=1
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --native --compare-redis
  shoal perf consumer --topic perf --messages 1000000
"""


def _props(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in pairs or []:
        for pair in item.split(","):
            if not pair:
                continue
            if "=" not in pair:
                raise SystemExit(f"shoal: '{pair}' is not key=value")
            k, v = pair.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _perf_producer(args: argparse.Namespace) -> int:
    from shoal import perf

    conf: dict[str, Any] = {"bootstrap.servers": args.bootstrap_server}
    conf.update(_props(args.producer_props))
    run = perf.run_native_producer if args.native else perf.run_python_producer
    which = "native C++ producer" if args.native else "Python Producer"
    print(
        f"shoal perf producer: {args.num_records} records of {args.record_size} bytes to "
        f"{args.topic} through the {which}",
        file=sys.stderr,
    )
    stats = run(conf, args.topic, args.num_records, args.record_size, args.throughput)
    print(stats.kafka_line())
    if args.compare_redis:
        with perf.RedisServer() as redis:
            rate = perf.redis_xadd(redis, args.num_records, args.record_size)
        print(f"redis XADD (pipelined): {rate:.1f} records/sec")
        print(f"shoal/redis = {stats.records_per_s / rate:.2f}")
    return 0


def _perf_consumer(args: argparse.Namespace) -> int:
    from shoal import perf

    conf: dict[str, Any] = {"bootstrap.servers": args.bootstrap_server}
    conf.update(_props(args.consumer_props))
    run = perf.run_native_consumer if args.native else perf.run_python_consumer
    start = time.time()
    stats = run(conf, args.topic, args.messages, args.timeout / 1000.0)
    end = time.time()
    for line in stats.kafka_lines(start, end):
        print(line)
    if stats.records < args.messages:
        print(
            f"shoal: only {stats.records} of {args.messages} messages arrived within "
            f"{args.timeout} ms",
            file=sys.stderr,
        )
        return 1
    if args.compare_redis:
        with perf.RedisServer() as redis:
            rate = perf.redis_xread(redis, args.messages)
        print(f"redis XREAD: {rate:.1f} records/sec")
        print(f"shoal/redis = {stats.records_per_s / rate:.2f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoal",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    perf = sub.add_parser(
        "perf",
        help="producer and consumer benchmarks",
        description="Benchmarks after Kafka's perf-test tools.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    perf_sub = perf.add_subparsers(dest="perf_command", metavar="WHAT", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--bootstrap-server",
            default=os.environ.get("SHOAL_BOOTSTRAP", "shm://default"),
            help="the cluster (default shm://default)",
        )
        p.add_argument("--topic", required=True)
        p.add_argument(
            "--native",
            action="store_true",
            help="drive the C++ client directly instead of the Python one",
        )
        p.add_argument(
            "--compare-redis",
            action="store_true",
            help="also run the same records through Redis Streams on loopback",
        )

    p = perf_sub.add_parser(
        "producer",
        help="produce records as fast as allowed",
        description="Like kafka-producer-perf-test.",
    )
    common(p)
    p.add_argument("--num-records", type=int, required=True)
    p.add_argument("--record-size", type=int, default=100)
    p.add_argument(
        "--throughput", type=int, default=-1, help="records/s to aim for; -1 for no limit"
    )
    p.add_argument("--producer-props", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(func=_perf_producer)

    c = perf_sub.add_parser(
        "consumer",
        help="consume a topic from the beginning",
        description="Like kafka-consumer-perf-test.",
    )
    common(c)
    c.add_argument("--messages", type=int, required=True)
    c.add_argument("--timeout", type=int, default=120_000, help="ms to wait for the messages")
    c.add_argument("--consumer-props", nargs="*", metavar="KEY=VALUE")
    c.set_defaults(func=_perf_consumer)
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


if __name__ == "__main__":
    sys.exit(main())
