"""`shoal perf producer|consumer|failover`: the benchmarks of shoal.bench behind Kafka's
perf-test flags."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from shoal.cli._common import HelpFormatter, bootstrap, progress, props

PERF_PRODUCER_EPILOG = """examples:
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --throughput -1 \\
      --producer-props acks=1
  shoal perf producer --topic perf --num-records 1000000 --record-size 100 --native --compare-redis
  shoal perf producer --topic perf --num-records 5000000 --record-size 100 --batch-api numpy \\
      --producer-props acks=1
  shoal perf producer --topic perf --num-records 2000000 --compression-type all --payload json
"""

PERF_CONSUMER_EPILOG = """examples:
  shoal perf consumer --topic perf --messages 1000000
  shoal perf consumer --topic perf --messages 1000000 --native --compare-redis
  shoal perf consumer --group perf       # starts its own cluster, fills a 6-partition topic
  shoal perf consumer --group perf --consumer-props heartbeat.interval.ms=50
"""

PERF_FAILOVER_EPILOG = """examples:
  shoal perf failover
  shoal perf failover --trials 5 --pause-trials 1 --num-records 200000 --e2e-seconds 3
"""


def _perf_producer(args: argparse.Namespace) -> int:
    from shoal.bench import producer, redis_reference

    conf: dict[str, Any] = {"bootstrap.servers": bootstrap(args)}
    conf.update(props(args.producer_props))
    if args.batch_size is not None:
        conf["batch.size"] = str(args.batch_size)
    if args.linger_ms is not None:
        conf["linger.ms"] = str(args.linger_ms)
    codecs = producer.parse_codecs(args.compression_type or conf.get("compression.type", "none"))
    if args.batch_api and args.native:
        raise SystemExit("shoal: --batch-api and --native are two different producers; pick one")
    if args.batch_api and args.throughput > 0:
        raise SystemExit("shoal: --throughput is not supported with --batch-api")
    payloads = producer.make_payloads(args.payload, args.record_size)
    if args.native:
        which = "the native C++ producer"
    elif args.batch_api:
        chunk = producer.BATCH_API_CHUNK
        which = f"Producer.produce_batch(), {chunk} values a call ({args.batch_api})"
    else:
        which = "a Python produce() loop"
    print(
        f"shoal perf producer: {args.num_records} records of {args.record_size} bytes "
        f"({args.payload} payload) to {args.topic} through {which}",
        file=sys.stderr,
    )
    batch_records = int(conf.get("batch.num.messages", 10_000))
    batch_bytes = int(conf.get("batch.size", 1_000_000))
    rates: dict[str, float] = {}
    stats = None
    for codec in codecs:
        run_conf = {**conf, "compression.type": codec}
        if args.native:
            stats = producer.run_native_producer(
                run_conf, args.topic, args.num_records, args.record_size, args.throughput, payloads
            )
        elif args.batch_api:
            stats = producer.run_batch_producer(
                run_conf, args.topic, args.num_records, args.record_size, payloads, args.batch_api
            )
        else:
            stats = producer.run_python_producer(
                run_conf, args.topic, args.num_records, args.record_size, args.throughput, payloads
            )
        rates[codec] = stats.records_per_s
        if len(codecs) == 1 and codec == "none":
            print(stats.kafka_line())
            continue
        ratio = producer.compression_ratio(codec, payloads, batch_records, batch_bytes)
        print(
            f"compression.type={codec}: {stats.kafka_line()} Batches at {ratio:.1%} of their size."
        )
    if "none" in rates and len(rates) > 1:
        print(
            "against none: "
            + ", ".join(f"{c} {r / rates['none']:.0%}" for c, r in rates.items() if c != "none")
        )
    if args.compare_redis and stats is not None:
        with redis_reference.RedisServer() as redis:
            rate = redis_reference.redis_xadd(redis, args.num_records, args.record_size)
        print(f"redis XADD (pipelined): {rate:.1f} records/sec")
        print(f"shoal/redis = {stats.records_per_s / rate:.2f}")
    return 0


def _perf_consumer(args: argparse.Namespace) -> int:
    from shoal.bench import consumer, redis_reference

    if args.group is not None:
        return _perf_consumer_group(args)
    missing = [f for f, v in (("--topic", args.topic), ("--messages", args.messages)) if v is None]
    if missing:
        args.parser.error(f"the following arguments are required: {', '.join(missing)}")
    conf: dict[str, Any] = {"bootstrap.servers": bootstrap(args)}
    conf.update(props(args.consumer_props))
    run = consumer.run_native_consumer if args.native else consumer.run_python_consumer
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
        with redis_reference.RedisServer() as redis:
            rate = redis_reference.redis_xread(redis, args.messages)
        print(f"redis XREAD: {rate:.1f} records/sec")
        print(f"shoal/redis = {stats.records_per_s / rate:.2f}")
    return 0


def _perf_consumer_group(args: argparse.Namespace) -> int:
    """`shoal perf consumer --group G`: see shoal.bench.group. Without --bootstrap-server (or
    SHOAL_BOOTSTRAP) it runs on a cluster of its own."""
    from shoal.bench import group as perf_group

    for flag, given in (("--native", args.native), ("--compare-redis", args.compare_redis)):
        if given:
            args.parser.error(f"{flag} is not supported with --group")
    cluster = args.bootstrap_server or os.environ.get("SHOAL_BOOTSTRAP")
    records = perf_group.DEFAULT_RECORDS if args.messages is None else args.messages
    topic = args.topic or perf_group.DEFAULT_TOPIC
    where = cluster or f"a {args.brokers}-broker cluster of its own"
    print(
        f"shoal perf consumer: group {args.group}, {records} records of {args.record_size} "
        f"bytes in {topic} on {where}",
        file=sys.stderr,
    )
    result = perf_group.run(
        args.group,
        topic=topic,
        records=records,
        record_size=args.record_size,
        trials=args.trials,
        bootstrap=cluster or None,
        brokers=args.brokers,
        session_timeout_ms=args.session_timeout_ms,
        consumer_conf=props(args.consumer_props),
        timeout_s=args.timeout / 1000.0,
        batch=args.batch or perf_group.DEFAULT_BATCH,
        say=progress,
    )
    for line in result.lines():
        print(line)
    return 0


def _perf_failover(args: argparse.Namespace) -> int:
    from shoal.bench import failover as perf_failover

    result = perf_failover.run(
        trials=args.trials,
        pause_trials=args.pause_trials,
        session_timeout_ms=args.session_timeout_ms,
        records=args.num_records,
        e2e_rate=args.e2e_rate,
        e2e_seconds=args.e2e_seconds,
        say=progress,
    )
    for line in result.lines():
        print(line)
    return 0


def add_parser(sub: Any) -> None:
    perf = sub.add_parser(
        "perf",
        help="producer and consumer benchmarks",
        description="Benchmarks after Kafka's perf-test tools.",
        epilog=PERF_PRODUCER_EPILOG
        + PERF_CONSUMER_EPILOG.replace("examples:\n", "")
        + PERF_FAILOVER_EPILOG.replace("examples:\n", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    perf_sub = perf.add_subparsers(dest="perf_command", metavar="WHAT", required=True)

    def common(p: argparse.ArgumentParser, topic_required: bool = True) -> None:
        p.add_argument(
            "--bootstrap-server",
            default=None,
            help="the cluster (default: SHOAL_BOOTSTRAP, else shm://default)",
        )
        p.add_argument(
            "--topic",
            required=topic_required,
            help="the topic" + ("" if topic_required else " (required without --group)"),
        )
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
        epilog=PERF_PRODUCER_EPILOG,
        formatter_class=HelpFormatter,
    )
    common(p)
    p.add_argument("--num-records", type=int, required=True, help="records to produce")
    p.add_argument("--record-size", type=int, default=100, help="bytes a record (default 100)")
    p.add_argument(
        "--throughput", type=int, default=-1, help="records/s to aim for; -1 for no limit"
    )
    p.add_argument(
        "--producer-props",
        nargs="*",
        metavar="KEY=VALUE",
        help="producer configs with librdkafka's names, e.g. acks=all linger.ms=5",
    )
    p.add_argument(
        "--compression-type",
        metavar="CODECS",
        help="none, gzip, snappy, lz4 or zstd; a comma list or 'all' runs each in turn and "
        "prints one line per codec with its compressed batch size (default: none)",
    )
    p.add_argument("--batch-size", type=int, metavar="BYTES", help="batch.size")
    p.add_argument("--linger-ms", type=int, metavar="MS", help="linger.ms")
    p.add_argument(
        "--batch-api",
        nargs="?",
        const="list",
        choices=("list", "numpy", "arrow"),
        help="produce with Producer.produce_batch() from a list of bytes (the default), a "
        "numpy array or a pyarrow array, 100,000 values a call, instead of produce()",
    )
    p.add_argument(
        "--payload",
        choices=("kafka", "json", "random"),
        default="kafka",
        help="kafka: random uppercase letters, different in every record, as "
        "kafka-producer-perf-test makes them (the default); json: distinct JSON-like events; "
        "random: random bytes (incompressible)",
    )
    p.set_defaults(func=_perf_producer)

    c = perf_sub.add_parser(
        "consumer",
        help="consume a topic from the beginning",
        description=(
            "Like kafka-consumer-perf-test. With --group: consumer group throughput with 1 and "
            "3 consumers on 6 partitions, and rebalance times after a member joins and after "
            "one is SIGKILLed (see shoal.bench.group); without --bootstrap-server it starts a "
            "cluster of its own and fills the topic."
        ),
        epilog=PERF_CONSUMER_EPILOG,
        formatter_class=HelpFormatter,
    )
    common(c, topic_required=False)
    c.add_argument(
        "--messages",
        type=int,
        help="records to read (required without --group; with it, records in the topic, "
        "default 3000000)",
    )
    c.add_argument("--timeout", type=int, default=120_000, help="ms to wait for the messages")
    c.add_argument(
        "--consumer-props",
        nargs="*",
        metavar="KEY=VALUE",
        help="consumer configs with librdkafka's names, e.g. fetch.min.bytes=1",
    )
    g = c.add_argument_group("consumer groups")
    g.add_argument(
        "--group",
        metavar="G",
        help="run the consumer group benchmark with groups G-1, G-3, G-join and G-kill",
    )
    g.add_argument("--record-size", type=int, default=100, help="bytes a record (default 100)")
    g.add_argument("--trials", type=int, default=10, help="trials of each rebalance (default 10)")
    g.add_argument(
        "--session-timeout-ms",
        type=int,
        help="session.timeout.ms of the members (default 3000 on its own cluster, whose "
        "group.min.session.timeout.ms is lowered to match; 6000 on a given one); "
        "heartbeat.interval.ms is a third of it unless --consumer-props sets it",
    )
    g.add_argument("--brokers", type=int, default=1, help="brokers of its own cluster (default 1)")
    g.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="consume(num_messages=N) in every consumer (default 10000)",
    )
    c.set_defaults(func=_perf_consumer, parser=c)

    f = perf_sub.add_parser(
        "failover",
        help="failover time, pause detection, replication cost, end-to-end latency",
        description=(
            "Starts its own clusters and measures: leader SIGKILL to the first acknowledged "
            "write on the new leader; how fast a paused broker is fenced; Python producer "
            "throughput with acks=all and replication factor 3 against acks=1 on one broker; "
            "produce-to-consume latency with acks=all and replication factor 3."
        ),
        epilog=PERF_FAILOVER_EPILOG,
        formatter_class=HelpFormatter,
    )
    f.add_argument("--trials", type=int, default=20, help="leader kills (default 20)")
    f.add_argument("--pause-trials", type=int, default=3, help="leader pauses (default 3)")
    f.add_argument(
        "--session-timeout-ms",
        type=int,
        default=3000,
        help="broker.session.timeout.ms of the cluster (default 3000)",
    )
    f.add_argument("--num-records", type=int, default=1_000_000, help="records per throughput run")
    f.add_argument("--e2e-rate", type=int, default=1000, help="records/s of the latency run")
    f.add_argument("--e2e-seconds", type=float, default=10.0, help="length of the latency run")
    f.set_defaults(func=_perf_failover)
