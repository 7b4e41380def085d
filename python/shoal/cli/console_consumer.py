"""``shoal console-consumer``: Kafka's kafka-console-consumer.sh.

    shoal console-consumer --topic T [--from-beginning] [--group G] [--max-messages N]
        [--timeout-ms MS] [--property print.key=true ...] [--consumer-property k=v ...]
    shoal console-consumer --topic T --partition P [--offset N|earliest|latest]
    shoal console-consumer --include REGEX [--from-beginning]

Writes each record to stdout as Kafka's DefaultMessageFormatter does, the fields separated by
key.separator (a tab): CreateTime:<ms> (print.timestamp), Partition:<p> (print.partition),
Offset:<o> (print.offset), the headers k:v,k2:v2 or NO_HEADERS (print.headers), the key
(print.key), the value (print.value, on by default), then line.separator (a newline); a null
key or value prints as null.literal ("null"). On exit, however it ends (--max-messages,
--timeout-ms, Ctrl+C, SIGTERM), it prints "Processed a total of N messages" on stderr.

Without --group, the consumer joins a group of its own, console-consumer-<random number>, with
enable.auto.commit=false, as Kafka's tool does: the records are spread and rebalanced the same
way, and nothing is committed; unlike Kafka's tool, it deletes that group when it exits, so
finished runs do not pile up in `consumer-groups --list`. With --group it commits as any
member would (enable.auto.commit defaults to true). --from-beginning sets
auto.offset.reset=earliest: it applies only where the group has no committed offset.
--partition reads one partition without a group, from --offset (default: latest, or earliest
with --from-beginning).

--timeout-ms ends the command (status 0) when no record arrived for that long. Ctrl+C and
SIGTERM end it with status 130 and 143, as a JVM's tool ends.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from typing import Any

from shoal.cli._common import add_bootstrap, fail, key_values, load_properties

EPILOG = """examples:
  shoal console-consumer --topic orders --from-beginning
  shoal console-consumer --topic orders --group billing --max-messages 10
  shoal console-consumer --topic orders --from-beginning --property print.key=true \\
      --property print.partition=true --property print.offset=true --property key.separator=:
  shoal console-consumer --topic orders --partition 2 --offset 100 --timeout-ms 5000
  shoal console-consumer --include 'orders-.*' --from-beginning --property print.timestamp=true
"""

POLL_TIMEOUT_S = 0.2  # how often the loop looks at the clock and at a signal
BATCH = 500

_TIMESTAMP_TYPES = {1: "CreateTime", 2: "LogAppendTime"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "console-consumer",
        help="print the records of a topic",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--topic", help="the topic to consume")
    what.add_argument(
        "--include", metavar="REGEX", help="a regular expression of the topics to consume"
    )
    p.add_argument(
        "--partition",
        type=int,
        metavar="P",
        help="only this partition, from --offset (default: latest); no group",
    )
    p.add_argument(
        "--offset",
        metavar="OFFSET",
        help="with --partition: a non-negative offset, 'earliest' or 'latest'",
    )
    p.add_argument(
        "--from-beginning",
        action="store_true",
        help="where there is no committed offset, start from the earliest record rather than "
        "the latest",
    )
    p.add_argument("--group", help="the consumer group id")
    p.add_argument(
        "--max-messages",
        type=int,
        metavar="N",
        help="exit after N records (default: consume until stopped)",
    )
    p.add_argument(
        "--timeout-ms", type=int, metavar="MS", help="exit when no record arrived for MS ms"
    )
    p.add_argument(
        "--property",
        "--formatter-property",
        dest="property",
        action="append",
        metavar="KEY=VALUE",
        help="a formatter property (repeatable): print.timestamp, print.key, print.offset, "
        "print.partition, print.headers, print.value (true|false); key.separator, "
        "line.separator, headers.separator, null.literal",
    )
    p.add_argument(
        "--consumer-property",
        "--command-property",
        dest="consumer_property",
        action="append",
        metavar="KEY=VALUE",
        help="a consumer config (repeatable); takes precedence over --consumer.config",
    )
    p.add_argument(
        "--consumer.config",
        "--command-config",
        dest="consumer_config",
        metavar="FILE",
        help="a properties file of consumer configs",
    )
    p.add_argument(
        "--isolation-level",
        choices=("read_committed", "read_uncommitted"),
        help="isolation.level (default read_uncommitted; Shoal has no transactions, so both "
        "read the same records)",
    )
    p.set_defaults(func=run)


def _consumer_conf(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Kafka's ConsoleConsumerOptions: file, --consumer-property, then the tool's options.
    Also whether the group is the tool's private one."""
    conf: dict[str, Any] = {}
    if args.consumer_config:
        conf.update(load_properties(args.consumer_config))
    extra = key_values(args.consumer_property, "--consumer-property")
    groups = {g for g in (args.group, conf.get("group.id"), extra.get("group.id")) if g}
    if len(groups) > 1:
        fail(
            "The group ids provided in different places (directly using '--group', via "
            "'--consumer-property', or via '--consumer.config') do not match. Detected group "
            "ids: " + ", ".join(f"'{g}'" for g in sorted(groups))
        )
    if groups and args.partition is not None:
        fail("Options group and partition cannot be specified together.")
    conf.update(extra)
    reset = conf.get("auto.offset.reset")
    if reset is not None:
        if args.from_beginning and reset not in ("earliest", "smallest", "beginning"):
            fail(
                f"Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', "
                "please remove one option"
            )
    else:
        conf["auto.offset.reset"] = "earliest" if args.from_beginning else "latest"
    conf["bootstrap.servers"] = args.bootstrap_server
    conf.setdefault("client.id", "console-consumer")
    if args.isolation_level is not None or "isolation.level" not in conf:
        conf["isolation.level"] = args.isolation_level or "read_uncommitted"
    if groups:
        conf["group.id"] = groups.pop()
        return conf, False
    # Kafka's private group: not meant to be used again, so it commits nothing.
    conf["group.id"] = f"console-consumer-{random.randrange(100_000)}"
    conf.setdefault("enable.auto.commit", "false")
    return conf, True


def _start_offset(args: argparse.Namespace) -> int:
    from shoal import OFFSET_BEGINNING, OFFSET_END

    if args.offset is None:
        return OFFSET_BEGINNING if args.from_beginning else OFFSET_END
    text = args.offset.strip().lower()
    if text == "earliest":
        return OFFSET_BEGINNING
    if text == "latest":
        return OFFSET_END
    if text.isdigit():
        return int(text)
    fail(
        f"The provided offset value '{args.offset}' is incorrect. Valid values are 'earliest', "
        "'latest', or a non-negative long."
    )


class Formatter:
    """Kafka's DefaultMessageFormatter, writing bytes."""

    def __init__(self, props: dict[str, str]) -> None:
        def flag(name: str, default: bool) -> bool:
            if name not in props:
                return default
            return props[name].strip().lower() == "true"

        self.timestamp = flag("print.timestamp", False)
        self.partition = flag("print.partition", False)
        self.offset = flag("print.offset", False)
        self.headers = flag("print.headers", False)
        self.key = flag("print.key", False)
        self.value = flag("print.value", True)
        self.key_separator = props.get("key.separator", "\t").encode()
        self.line_separator = props.get("line.separator", "\n").encode()
        self.headers_separator = props.get("headers.separator", ",").encode()
        self.null_literal = props.get("null.literal", "null").encode()

    def format(self, m: Any) -> bytes:
        fields: list[bytes] = []
        if self.timestamp:
            kind, ts = m.timestamp()
            name = _TIMESTAMP_TYPES.get(kind)
            fields.append(b"NO_TIMESTAMP" if name is None else f"{name}:{ts}".encode())
        if self.partition:
            fields.append(b"Partition:%d" % m.partition())
        if self.offset:
            fields.append(b"Offset:%d" % m.offset())
        if self.headers:
            hs = m.headers() or []
            fields.append(
                self.headers_separator.join(
                    k.encode() + b":" + (self.null_literal if v is None else bytes(v))
                    for k, v in hs
                )
                if hs
                else b"NO_HEADERS"
            )
        if self.key:
            k = m.key()
            fields.append(self.null_literal if k is None else bytes(k))
        if self.value:
            v = m.value()
            fields.append(self.null_literal if v is None else bytes(v))
        out = self.key_separator.join(fields)
        # Kafka ends a record with line.separator only after its value.
        return out + self.line_separator if self.value else out


class _Stop:
    """SIGINT and SIGTERM end the loop at its next turn instead of killing the process."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _delete_group(conf: dict[str, Any]) -> None:
    """Removes the private group once its only member left, so it does not linger in
    ``consumer-groups --list`` (Kafka's broker drops such a group only at its next offsets
    cleanup). Best effort: a failure here changes nothing that was printed."""
    from shoal import AdminClient

    admin = AdminClient({"bootstrap.servers": conf["bootstrap.servers"]})
    try:
        group = conf["group.id"]
        admin.delete_consumer_groups([group], request_timeout=5)[group].result()
    except Exception:
        pass
    finally:
        admin.close()


def run(args: argparse.Namespace) -> int:
    from shoal import Consumer, TopicPartition

    if args.partition is not None and args.topic is None:
        fail("The topic is required when partition is specified.")
    if args.partition is None and args.offset is not None:
        fail("The partition is required when offset is specified.")
    if args.partition is not None and args.from_beginning and args.offset is not None:
        fail("Options from-beginning and offset cannot be specified together.")
    start = _start_offset(args) if args.partition is not None else None
    formatter = Formatter(key_values(args.property, "--property"))
    conf, private_group = _consumer_conf(args)
    limit = args.max_messages if args.max_messages is not None and args.max_messages >= 0 else None
    timeout_s = (
        args.timeout_ms / 1000 if args.timeout_ms is not None and args.timeout_ms >= 0 else None
    )
    out = sys.stdout.buffer
    count = 0
    status = 0
    reported: set[str] = set()
    with _Stop() as stop:
        consumer = Consumer(conf)
        try:
            if args.partition is not None:
                consumer.assign([TopicPartition(args.topic, args.partition, start)])
            elif args.topic is not None:
                consumer.subscribe([args.topic])
            else:
                consumer.subscribe([f"^(?:{args.include})$"])
            last = time.monotonic()
            while stop.signal is None and (limit is None or count < limit):
                want = BATCH if limit is None else min(BATCH, limit - count)
                msgs = consumer.consume(num_messages=want, timeout=POLL_TIMEOUT_S)
                chunk = []
                for m in msgs:
                    err = m.error()
                    if err is None:
                        chunk.append(formatter.format(m))
                    elif err.fatal():
                        raise RuntimeError(
                            f"Error processing message, terminating consumer process: {err.str()}"
                        )
                    elif err.str() not in reported:
                        # Say it once: a missing topic, say, answers every poll the same.
                        reported.add(err.str())
                        print(f"shoal: {err.str()}", file=sys.stderr, flush=True)
                if chunk:
                    count += len(chunk)
                    last = time.monotonic()
                    try:
                        out.write(b"".join(chunk))
                        out.flush()
                    except BrokenPipeError:
                        # Nobody reads stdout any more (e.g. `| head`): stop, as Kafka does.
                        devnull = os.open(os.devnull, os.O_WRONLY)
                        os.dup2(devnull, sys.stdout.fileno())
                        print("Unable to write to standard out, closing consumer.", file=sys.stderr)
                        status = 1
                        break
                elif timeout_s is not None and time.monotonic() - last >= timeout_s:
                    break
        finally:
            consumer.close()
            if private_group and args.partition is None:
                _delete_group(conf)
            print(f"Processed a total of {count} messages", file=sys.stderr, flush=True)
    if stop.signal is not None:
        return 128 + stop.signal
    return status
