"""examples/producer.py and examples/consumer.py, run as a reader of a Kafka tutorial would:
as subprocesses against a running cluster, checked by what they print."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import shoal
from shoal.schema_registry import SchemaRegistryClient

pytestmark = pytest.mark.timeout(300)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SENT = re.compile(r"^Sending key=(\S+) value=(.*)$", re.M)
DELIVERED = re.compile(r"^Delivered to (\S+) \[(\d+)\] at offset (\d+)$", re.M)
RECEIVED = re.compile(r"^Received key=(\S+) value=(.*) partition=(\d+) offset=(\d+)$", re.M)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SHOAL_BOOTSTRAP"}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run(
    script: str, *args: str, bootstrap: str | None, where: Path = EXAMPLES, **env: str
) -> subprocess.CompletedProcess:
    """Runs an example (from `where`) to its end; it must exit 0."""
    cmd = [sys.executable, str(where / script), *args]
    if bootstrap is not None:
        cmd += ["--bootstrap-server", bootstrap]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=_env(**env),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def produce(
    bootstrap: str, topic: str, count: int, *args: str, where: Path = EXAMPLES
) -> list[tuple[str, str]]:
    """Runs producer.py; checks every record got a delivery report. Returns (key, value)s."""
    out = run(
        "producer.py", "--topic", topic, "--count", str(count), *args, bootstrap=bootstrap,
        where=where,
    )  # fmt: skip
    sent = SENT.findall(out.stdout)
    delivered = DELIVERED.findall(out.stdout)
    assert len(sent) == count, out.stdout
    assert len(delivered) == count and all(t == topic for t, _, _ in delivered), out.stdout
    assert f"Produced {count} record(s) to {topic}" in out.stdout
    return sent


def consume(
    bootstrap: str, topic: str, group: str, *args: str, where: Path = EXAMPLES
) -> list[tuple[str, str, int, int]]:
    """Runs consumer.py; returns its (key, value, partition, offset)s."""
    out = run(
        "consumer.py", "--topic", topic, "--group", group, *args, bootstrap=bootstrap,
        where=where,
    )  # fmt: skip
    got = [(k, v, int(p), int(o)) for k, v, p, o in RECEIVED.findall(out.stdout)]
    assert f"Consumed {len(got)} record(s)" in out.stdout, out.stdout
    return got


class Background:
    """An example running in the background, its stdout read line by line."""

    def __init__(self, cmd: list[str], stderr_path: Path) -> None:
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_env(),
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> str:
        """The next line matching `pattern`; fails the test at the deadline or at EOF."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no line matching {pattern!r} within {timeout} s: {self.lines}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"the example exited before printing {pattern!r}: {self.lines}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def rest(self, timeout: float = 30.0) -> list[str]:
        """Every line up to EOF."""
        self._reader.join(timeout)
        assert not self._reader.is_alive(), "stdout was not closed"
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        return self.lines

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._reader.join(30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def background(tmp_path: Path) -> Iterator[object]:
    """Starts examples in the background; kills (by pid) any still running at teardown."""
    started: list[Background] = []

    def start(script: str, *args: str) -> Background:
        cmd = [sys.executable, str(EXAMPLES / script), *args]
        b = Background(cmd, tmp_path / f"{script}-{len(started)}.stderr")
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


def test_produce_then_consume_in_a_group(cluster1: shoal.Cluster) -> None:
    b = cluster1.bootstrap_servers
    sent = produce(b, "orders", 8)

    got = consume(b, "orders", "g1", "--from-beginning", "--max-messages", "8", "--timeout", "30")
    # One partition (the broker's num.partitions): the order they were sent, offsets 0..7.
    assert [(k, v) for k, v, _, _ in got] == sent
    assert [(p, o) for _, _, p, o in got] == [(0, o) for o in range(8)]

    # The group committed its offsets on close(): a second run in it gets nothing new...
    assert consume(b, "orders", "g1", "--timeout", "2") == []
    # ... until more is produced, and then only that.
    more = produce(b, "orders", 2)
    got = consume(b, "orders", "g1", "--max-messages", "2", "--timeout", "30")
    assert [(k, v, o) for k, v, _, o in got] == [(k, v, 8 + i) for i, (k, v) in enumerate(more)]

    # Another group from the beginning gets everything.
    args = ["--from-beginning", "--max-messages", "10", "--timeout", "30"]
    assert [o for _, _, _, o in consume(b, "orders", "g2", *args)] == list(range(10))


def test_the_examples_run_unchanged_on_confluent_kafka_over_tcp(
    cluster1: shoal.Cluster, tmp_path: Path
) -> None:
    """What the examples promise: with confluent_kafka imported instead of shoal and a
    host:port bootstrap, the same code runs (here against Shoal's Kafka listener)."""
    for script in ("producer.py", "consumer.py"):
        text = (EXAMPLES / script).read_text()
        converted = text.replace("from shoal", "from confluent_kafka")
        assert converted != text
        (tmp_path / script).write_text(converted)
    b = cluster1.kafka_bootstrap_servers
    sent = produce(b, "orders", 6, where=tmp_path)
    args = ["--from-beginning", "--max-messages", "6", "--timeout", "30"]
    got = consume(b, "orders", "ck", *args, where=tmp_path)
    assert [(k, v) for k, v, _, _ in got] == sent
    # The group's commit is Kafka's: Shoal's own consumer, over shared memory, resumes there.
    more = produce(cluster1.bootstrap_servers, "orders", 2)
    got = consume(
        cluster1.bootstrap_servers, "orders", "ck", "--max-messages", "2", "--timeout", "30"
    )
    assert [(k, v, o) for k, v, _, o in got] == [(k, v, 6 + i) for i, (k, v) in enumerate(more)]


def test_a_new_group_without_from_beginning_starts_at_the_end(cluster1: shoal.Cluster) -> None:
    b = cluster1.bootstrap_servers
    produce(b, "orders", 3)
    assert consume(b, "orders", "latecomers", "--timeout", "2") == []


def test_ctrl_c_closes_the_consumer_and_commits(cluster1: shoal.Cluster, background) -> None:
    b = cluster1.bootstrap_servers
    sent = produce(b, "orders", 5)
    consumer = background(
        "consumer.py", "--topic", "orders", "--group", "g", "--from-beginning",
        "--bootstrap-server", b,
    )  # fmt: skip
    consumer.wait_for_line(r"^Assigned: orders \[0\]$")
    for i in range(5):
        consumer.wait_for_line(rf"^Received key=\S+ value=.* partition=0 offset={i}$")

    os.kill(consumer.proc.pid, signal.SIGINT)
    assert consumer.proc.wait(30) == 0
    assert consumer.rest()[-1] == "Consumed 5 record(s)"
    received = RECEIVED.findall("\n".join(consumer.lines))
    assert [(k, v) for k, v, _, _ in received] == sent
    # close() committed: the group goes on after offset 4.
    assert consume(b, "orders", "g", "--from-beginning", "--timeout", "2") == []


def test_the_bootstrap_server_defaults_to_SHOAL_BOOTSTRAP(cluster1: shoal.Cluster) -> None:
    out = run(
        "producer.py", "--count", "1", bootstrap=None, SHOAL_BOOTSTRAP=cluster1.bootstrap_servers
    )
    assert "Delivered to orders [0] at offset 0" in out.stdout


def test_avro_through_the_schema_registry(cluster1: shoal.Cluster) -> None:
    b = cluster1.bootstrap_servers
    sent = produce(b, "avro-orders", 4, "--avro")
    # Not Avro: the Avro consumer reports it and goes on.
    produce(b, "avro-orders", 1)
    more = produce(b, "avro-orders", 1, "--avro")

    out = run(
        "consumer.py", "--topic", "avro-orders", "--group", "a", "--from-beginning", "--avro",
        "--max-messages", "5", "--timeout", "30",
        bootstrap=b,
    )  # fmt: skip
    got = RECEIVED.findall(out.stdout)
    # The values come back as the dicts that were sent (printed the same way).
    assert [(k, v) for k, v, _, _ in got] == sent + more, out.stdout
    assert [int(o) for _, _, _, o in got] == [0, 1, 2, 3, 5]
    assert all(v.startswith("{'id': ") for _, v, _, _ in got)
    assert "Consumed 5 record(s)" in out.stdout
    assert re.search(r"^Error at avro-orders \[0\] offset 4: ", out.stderr, re.M), out.stderr

    # The schema is registered under the topic's value subject, in the cluster's registry.
    registry = SchemaRegistryClient({"url": b})
    try:
        latest = registry.get_latest_version("avro-orders-value")
        assert '"Order"' in latest.schema.schema_str
    finally:
        registry.close()
