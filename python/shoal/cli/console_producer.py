"""``shoal console-producer``: Kafka's kafka-console-producer.sh.

    shoal console-producer --topic T [--property parse.key=true --property key.separator=:]
        [--producer-property acks=all] [--producer.config FILE] [--sync]

Each line of stdin becomes one record (its value; with parse.key=true, the text before
key.separator is the key). At the end of the input every record is flushed; the first record
the cluster refuses stops the input and ends the command with one line on stderr and exit
status 1, after the records already queued are flushed.

Reader properties (--property), as Kafka's LineMessageReader: parse.key (false),
key.separator (a tab), parse.headers (false; "h1:v1,h2:v2<TAB>" before the key or value),
headers.delimiter (a tab), headers.separator (,), headers.key.separator (:), ignore.error
(false: a line without its separator is an error), null.marker (a key or value equal to it is
sent as null).

Like Kafka's tool, the producer defaults to acks=all and linger.ms=1000 (--timeout), and
prints a ">" prompt when both stdin and stdout are a terminal; there, each line is sent as
soon as it is typed. Reading a file or a pipe with stdout on a terminal, it shows how many
records were sent and acknowledged.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from typing import Any

from shoal.cli._common import add_bootstrap, fail, key_values, load_properties

EPILOG = """examples:
  shoal console-producer --topic orders
  shoal console-producer --topic orders --property parse.key=true --property key.separator=: \\
      < orders.txt
  seq 1000000 | shoal console-producer --topic numbers --producer-property acks=1
  shoal console-producer --topic orders --producer.config producer.properties --sync
"""

PROGRESS_INTERVAL_S = 0.5


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "console-producer",
        help="produce the lines of stdin as records",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bootstrap(p)
    p.add_argument("--topic", required=True, help="the topic to produce to")
    p.add_argument(
        "--property",
        action="append",
        metavar="KEY=VALUE",
        help="a reader property (repeatable): parse.key, key.separator, parse.headers, "
        "headers.delimiter, headers.separator, headers.key.separator, ignore.error, null.marker",
    )
    p.add_argument(
        "--producer-property",
        action="append",
        metavar="KEY=VALUE",
        help="a producer config (repeatable), e.g. acks=1; takes precedence over --producer.config",
    )
    p.add_argument(
        "--producer.config",
        dest="producer_config",
        metavar="FILE",
        help="a properties file of producer configs",
    )
    p.add_argument(
        "--sync", action="store_true", help="wait for each record's acknowledgement in turn"
    )
    p.add_argument(
        "--compression-codec",
        nargs="?",
        const="gzip",
        metavar="CODEC",
        help="none, gzip (the default when the option has no value), snappy, lz4 or zstd",
    )
    p.add_argument("--batch-size", type=int, metavar="BYTES", help="batch.size")
    p.add_argument(
        "--timeout",
        type=int,
        metavar="MS",
        help="linger.ms: how long a record may wait for its batch to fill (default 1000)",
    )
    p.add_argument(
        "--request-required-acks", metavar="ACKS", help="acks: 0, 1 or -1/all (default -1)"
    )
    p.add_argument("--request-timeout-ms", type=int, metavar="MS", help="request.timeout.ms")
    p.add_argument(
        "--message-send-max-retries", type=int, metavar="N", help="message.send.max.retries"
    )
    p.add_argument("--retry-backoff-ms", type=int, metavar="MS", help="retry.backoff.ms")
    p.set_defaults(func=run)


def _producer_conf(args: argparse.Namespace) -> dict[str, Any]:
    """Kafka's ConsoleProducerConfig.producerProps: the file, then --producer-property, then
    the tool's own options (each only if given, or as its default if the key is not set)."""
    conf: dict[str, Any] = {}
    if args.producer_config:
        conf.update(load_properties(args.producer_config))
    conf.update(key_values(args.producer_property, "--producer-property"))
    conf["bootstrap.servers"] = args.bootstrap_server
    conf.setdefault("client.id", "console-producer")
    if args.compression_codec is not None:
        conf["compression.type"] = args.compression_codec
    for key, value, default in (
        ("linger.ms", args.timeout, 1000),
        ("acks", args.request_required_acks, "-1"),
        ("batch.size", args.batch_size, None),
        ("request.timeout.ms", args.request_timeout_ms, None),
        ("message.send.max.retries", args.message_send_max_retries, None),
        ("retry.backoff.ms", args.retry_backoff_ms, None),
    ):
        aliases = {"acks": ("request.required.acks",), "linger.ms": ("queue.buffering.max.ms",)}
        present = key in conf or any(a in conf for a in aliases.get(key, ()))
        if value is not None:
            for a in aliases.get(key, ()):
                conf.pop(a, None)
            conf[key] = str(value)
        elif default is not None and not present:
            conf[key] = str(default)
    return conf


class LineReader:
    """Kafka's LineMessageReader on bytes: one record (headers, key, value) per line."""

    def __init__(self, props: dict[str, str]) -> None:
        def flag(name: str) -> bool:
            return props.get(name, "false").strip().lower() == "true"

        def sep(name: str, default: str) -> bytes:
            return props.get(name, default).encode()

        self.parse_key = flag("parse.key")
        self.parse_headers = flag("parse.headers")
        self.ignore_error = flag("ignore.error")
        self.key_separator = sep("key.separator", "\t")
        self.headers_delimiter = sep("headers.delimiter", "\t")
        self.headers_separator = sep("headers.separator", ",")
        self.headers_key_separator = sep("headers.key.separator", ":")
        marker = props.get("null.marker")
        self.null_marker = None if marker is None else marker.encode()
        if not self.key_separator:
            fail("key.separator must not be empty")
        for a, b in (
            ("headers.delimiter", "headers.separator"),
            ("headers.delimiter", "headers.key.separator"),
            ("headers.separator", "headers.key.separator"),
        ):
            if getattr(self, a.replace(".", "_")) == getattr(self, b.replace(".", "_")):
                fail(f"{a} and {b} may not be equal")
        if self.null_marker is not None and self.null_marker == self.key_separator:
            fail("null.marker and key.separator may not be equal")
        self.parses = self.parse_key or self.parse_headers or self.null_marker is not None
        """False: every line is a value as it is, and parse() need not be called."""

    def _cut(self, line: bytes, start: int, sep: bytes, what: str, number: int) -> bytes | None:
        i = line.find(sep, start)
        if i < 0:
            if self.ignore_error:
                return None
            text = line.decode(errors="replace")
            raise ValueError(f"No {what} found on line number {number}: '{text}'")
        return line[start:i]

    def _null(self, field: bytes | None) -> bytes | None:
        return None if field is None or field == self.null_marker else field

    def parse(
        self, line: bytes, number: int
    ) -> tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]] | None]:
        """(key, value, headers) of one line, without its line ending."""
        start = 0
        headers = None
        if self.parse_headers:
            text = self._cut(line, 0, self.headers_delimiter, "headers delimiter", number)
            if text is not None:
                start = len(text) + len(self.headers_delimiter)
                if text != self.null_marker:
                    headers = self._headers(text, number)
        key = None
        if self.parse_key:
            key = self._cut(line, start, self.key_separator, "key separator", number)
            if key is not None:
                start += len(key) + len(self.key_separator)
        return self._null(key), self._null(line[start:]), headers

    def _headers(self, text: bytes, number: int) -> list[tuple[str, bytes | None]]:
        out: list[tuple[str, bytes | None]] = []
        for pair in text.split(self.headers_separator):
            i = pair.find(self.headers_key_separator)
            if i < 0:
                if self.ignore_error:
                    out.append((pair.decode(errors="replace"), None))
                    continue
                raise ValueError(
                    f"No header key separator found in pair '{pair.decode(errors='replace')}' "
                    f"on line number {number}"
                )
            name = pair[:i]
            if name == self.null_marker:
                raise ValueError(
                    "Header keys should not be equal to the null marker "
                    f"'{self.null_marker.decode()}' as they can't be null"
                )
            out.append(
                (
                    name.decode(errors="replace"),
                    self._null(pair[i + len(self.headers_key_separator) :]),
                )
            )
        return out


class _Progress:
    """Records sent and acknowledged, rewritten in place on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.next = self.start + PROGRESS_INTERVAL_S
        self.shown = False

    def update(self, sent: int, acked: int, final: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not final and now < self.next):
            return
        self.next = now + PROGRESS_INTERVAL_S
        rate = acked / max(now - self.start, 1e-9)
        sys.stdout.write(
            f"\r{sent:,} records sent, {acked:,} acknowledged ({rate:,.0f} records/s)"
            + ("\n" if final else "")
        )
        sys.stdout.flush()
        self.shown = True


def _lines(interactive: bool) -> Iterator[bytes]:
    """The lines of stdin; on a terminal, each after Kafka's ">" prompt."""
    stdin = sys.stdin.buffer
    if not interactive:
        yield from stdin
        return
    while True:
        sys.stdout.write(">")
        sys.stdout.flush()
        line = stdin.readline()
        if not line:
            sys.stdout.write("\n")
            return
        yield line


def run(args: argparse.Namespace) -> int:
    from shoal import Producer

    reader = LineReader(key_values(args.property, "--property"))
    producer = Producer(_producer_conf(args))
    topic = args.topic
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    progress = _Progress(sys.stdout.isatty() and not sys.stdin.isatty())
    acked = failed = 0
    first_failure = ""

    def on_delivery(err: Any, msg: Any) -> None:
        nonlocal acked, failed, first_failure
        if err is None:
            acked += 1
            return
        failed += 1
        if failed == 1:
            key, value = msg.key(), msg.value()
            # Kafka's ErrorLoggingCallback, in one line.
            first_failure = (
                f"Error when sending message to topic {topic} with key: "
                f"{'null' if key is None else f'{len(key)} bytes'}, value: "
                f"{'null' if value is None else f'{len(value)} bytes'} with error: "
                f"{err.str()}"
            )

    sent = 0
    try:
        for number, line in enumerate(_lines(interactive), 1):
            if line.endswith(b"\n"):
                line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            key, value, headers = (
                reader.parse(line, number) if reader.parses else (None, line, None)
            )
            while True:
                try:
                    producer.produce(topic, value, key, headers=headers, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)  # the local queue is full: wait for deliveries
            sent += 1
            if args.sync or interactive:
                producer.flush()
            elif sent % 1024 == 0:
                producer.poll(0)
                progress.update(sent, acked)
            if failed:
                break
    finally:
        while len(producer) > 0 and producer.flush(1.0) > 0:
            progress.update(sent, acked)
        if progress.enabled:
            progress.update(sent, acked, final=True)
    if failed:
        raise RuntimeError(first_failure + (f" ({failed} records failed)" if failed > 1 else ""))
    return 0
