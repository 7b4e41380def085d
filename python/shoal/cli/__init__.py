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

Each command's --help lists its options, with examples.
Errors print one line on stderr and exit non-zero; --verbose shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

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
"""

CLUSTER_EPILOG = """examples:
  shoal cluster up                 # 3 brokers of cluster "default", data in ./shoal-data/default
                                   # Kafka clients: -b localhost:9092 (brokers on 9092..9094)
  shoal cluster up --name two --kafka-port 19092   # a second cluster beside the first
  shoal cluster up --name dev --brokers 1 --override num.partitions=3 log.retention.ms=3600000
  shoal cluster status --name dev
  shoal cluster down --name dev
"""

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


def _bootstrap(args: argparse.Namespace) -> str:
    """--bootstrap-server, else SHOAL_BOOTSTRAP, else shm://default."""
    return args.bootstrap_server or os.environ.get("SHOAL_BOOTSTRAP", "shm://default")


def _perf_producer(args: argparse.Namespace) -> int:
    from shoal import perf

    conf: dict[str, Any] = {"bootstrap.servers": _bootstrap(args)}
    conf.update(_props(args.producer_props))
    if args.batch_size is not None:
        conf["batch.size"] = str(args.batch_size)
    if args.linger_ms is not None:
        conf["linger.ms"] = str(args.linger_ms)
    codecs = perf.parse_codecs(args.compression_type or conf.get("compression.type", "none"))
    if args.batch_api and args.native:
        raise SystemExit("shoal: --batch-api and --native are two different producers; pick one")
    if args.batch_api and args.throughput > 0:
        raise SystemExit("shoal: --throughput is not supported with --batch-api")
    payloads = perf.make_payloads(args.payload, args.record_size)
    if args.native:
        which = "the native C++ producer"
    elif args.batch_api:
        which = f"Producer.produce_batch(), {perf.BATCH_API_CHUNK} values a call ({args.batch_api})"
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
            stats = perf.run_native_producer(
                run_conf, args.topic, args.num_records, args.record_size, args.throughput, payloads
            )
        elif args.batch_api:
            stats = perf.run_batch_producer(
                run_conf, args.topic, args.num_records, args.record_size, payloads, args.batch_api
            )
        else:
            stats = perf.run_python_producer(
                run_conf, args.topic, args.num_records, args.record_size, args.throughput, payloads
            )
        rates[codec] = stats.records_per_s
        if len(codecs) == 1 and codec == "none":
            print(stats.kafka_line())
            continue
        ratio = perf.compression_ratio(codec, payloads, batch_records, batch_bytes)
        print(
            f"compression.type={codec}: {stats.kafka_line()} Batches at {ratio:.1%} of their size."
        )
    if "none" in rates and len(rates) > 1:
        print(
            "against none: "
            + ", ".join(f"{c} {r / rates['none']:.0%}" for c, r in rates.items() if c != "none")
        )
    if args.compare_redis and stats is not None:
        with perf.RedisServer() as redis:
            rate = perf.redis_xadd(redis, args.num_records, args.record_size)
        print(f"redis XADD (pipelined): {rate:.1f} records/sec")
        print(f"shoal/redis = {stats.records_per_s / rate:.2f}")
    return 0


def _perf_consumer(args: argparse.Namespace) -> int:
    from shoal import perf

    if args.group is not None:
        return _perf_consumer_group(args)
    missing = [f for f, v in (("--topic", args.topic), ("--messages", args.messages)) if v is None]
    if missing:
        args.parser.error(f"the following arguments are required: {', '.join(missing)}")
    conf: dict[str, Any] = {"bootstrap.servers": _bootstrap(args)}
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


def _progress(msg: str) -> None:
    print(f"shoal: {msg}", file=sys.stderr, flush=True)


def _perf_consumer_group(args: argparse.Namespace) -> int:
    """`shoal perf consumer --group G`: see shoal.perf_group. Without --bootstrap-server (or
    SHOAL_BOOTSTRAP) it runs on a cluster of its own."""
    from shoal import perf_group

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
        consumer_conf=_props(args.consumer_props),
        timeout_s=args.timeout / 1000.0,
        batch=args.batch or perf_group.DEFAULT_BATCH,
        say=_progress,
    )
    for line in result.lines():
        print(line)
    return 0


def _perf_failover(args: argparse.Namespace) -> int:
    from shoal import perf_failover

    result = perf_failover.run(
        trials=args.trials,
        pause_trials=args.pause_trials,
        session_timeout_ms=args.session_timeout_ms,
        records=args.num_records,
        e2e_rate=args.e2e_rate,
        e2e_seconds=args.e2e_seconds,
        say=_progress,
    )
    for line in result.lines():
        print(line)
    return 0


def _cluster_dir(args: argparse.Namespace) -> str:
    return args.dir or os.path.join("shoal-data", args.name)


def _cluster_up(args: argparse.Namespace) -> int:
    from shoal import cluster

    config = _props(args.override)
    start = time.monotonic()
    started = cluster.start_cluster(
        args.name,
        _cluster_dir(args),
        args.brokers,
        config,
        args.timeout,
        _progress,
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
        _progress(f"cluster '{args.name}' is up: {len(started)} broker(s) started in {took_s}")
    else:
        _progress(f"cluster '{args.name}' is already running")
    _progress(f"  Shoal clients:  bootstrap.servers=shm://{args.name}")
    _progress(f"  Kafka clients:  bootstrap.servers={kafka}")
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

    stopped = cluster.stop_cluster(args.name, _cluster_dir(args), args.timeout, _progress)
    if not stopped:
        print(f"shoal: no broker of cluster '{args.name}' is running", file=sys.stderr)
        return 1
    _progress(f"cluster '{args.name}' is down ({len(stopped)} broker(s) stopped)")
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

    from shoal.tools import (
        broker,
        configs,
        console_consumer,
        console_producer,
        consumer_groups,
        schema_registry,
        topics,
    )
    from shoal.tools._common import HelpFormatter

    topics.add_parser(sub)
    console_producer.add_parser(sub)
    console_consumer.add_parser(sub)
    consumer_groups.add_parser(sub)
    configs.add_parser(sub)
    schema_registry.add_parser(sub)

    demo = sub.add_parser(
        "demo",
        help="a failover from start to finish: kill a leader mid-stream, lose nothing",
        description="Starts a cluster, streams records through an idempotent acks=all "
        "producer and a consumer group, SIGKILLs the leader of a partition mid-stream and "
        "prints a failover summary (the main command of the README: make demo).",
        epilog="examples:\n  shoal demo\n  shoal demo --brokers 5 --seconds 10 --rate 5000\n",
        formatter_class=HelpFormatter,
    )
    from shoal import demo as demo_module

    demo_module.add_arguments(demo)
    demo.set_defaults(func=demo_module.command)

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
    broker.add_parser(sub)

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
            "one is SIGKILLed (see shoal.perf_group); without --bootstrap-server it starts a "
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
