"""Shoal's benchmark commands.

    python -m shoal.bench log-append [--records N] [--record-size B] [--batch-records R]
    python -m shoal.bench schema-registry [--schemas N] [--records N]
    python -m shoal.bench kafka-wire [--records N] [--record-size B] [--kcat-records N]

Each prints its figures; none asserts a goal (goals live in the issues and the README).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from shoal import _core


def log_append(args: argparse.Namespace) -> int:
    if "SHOAL_LOG_LEVEL" not in os.environ:
        _core.set_log_level("warn")  # keep the figures readable
    with tempfile.TemporaryDirectory(prefix="shoal-bench-", dir=args.dir) as tmp:
        print(
            f"log-append: {args.records:,} records of {args.record_size} bytes "
            f"in batches of {args.batch_records}, {args.rounds} rounds, in {tmp}",
            flush=True,
        )
        r = _core.storage.run_log_append_bench(
            tmp, args.records, args.record_size, args.batch_records, args.rounds
        )
    mb = r["bytes"] / 1e6
    log_mb_s = mb / r["log_seconds"]
    plain_mb_s = mb / r["plain_seconds"]
    print(f"  bytes written:    {mb:,.1f} MB to each (record batch framing included)")
    print(
        f"  log append:       {r['records'] / r['log_seconds']:,.0f} records/s, "
        f"{log_mb_s:,.1f} MB/s"
    )
    print(f"  plain write():    {plain_mb_s:,.1f} MB/s (the same batches, interleaved)")
    print(f"log-append/plain-write = {log_mb_s / plain_mb_s:.2f}")
    return 0


def schema_registry(args: argparse.Namespace) -> int:
    from shoal.bench.schema_registry import run

    if "SHOAL_LOG_LEVEL" not in os.environ:
        _core.set_log_level("warn")
    return run(args.schemas, args.records)


def kafka_wire(args: argparse.Namespace) -> int:
    from shoal.bench.kafka_wire import run

    return run(args.records, args.record_size, args.kcat_records, args.rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shoal.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("log-append", help="append batches to a partition log vs plain write()")
    p.add_argument("--records", type=int, default=2_000_000)
    p.add_argument("--record-size", type=int, default=100)
    p.add_argument("--batch-records", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", default=None, help="where to put the scratch directory")
    p.set_defaults(func=log_append)
    r = sub.add_parser("schema-registry", help="registrations, lookups and Avro serdes throughput")
    r.add_argument("--schemas", type=int, default=200)
    r.add_argument("--records", type=int, default=200_000)
    r.set_defaults(func=schema_registry)
    w = sub.add_parser(
        "kafka-wire", help="Kafka's clients on Shoal's TCP listener beside librdkafka's mock"
    )
    w.add_argument("--records", type=int, default=1_000_000)
    w.add_argument("--record-size", type=int, default=100)
    w.add_argument("--kcat-records", type=int, default=1_000_000)
    w.add_argument(
        "--rounds", type=int, default=8, help="rounds of the producer comparison (even: fair)"
    )
    w.set_defaults(func=kafka_wire)
    args = parser.parse_args(argv)
    for name in ("records", "record_size", "batch_records", "rounds", "schemas", "kcat_records"):
        if getattr(args, name, 1) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    try:
        return args.func(args)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
