"""Kafka's command-line tools as `shoal` subcommands (python/shoal/cli/), each run as a
subprocess against one 3-broker cluster, with assertions on the exact output Kafka's tools
print: topics, console-producer, console-consumer and consumer-groups --reset-offsets."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import shoal
from conftest import wait_for
from shoal.admin import ConsumerGroupState, ConsumerGroupTopicPartitions

TIMEOUT = 60  # seconds for any one command; they take well under one
CLI = [sys.executable, "-m", "shoal.cli"]


def shoal_cli(
    *args: str, input: str | None = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3) as c:
        yield c


@pytest.fixture(scope="module")
def bs(cluster: shoal.Cluster) -> str:
    return cluster.bootstrap_servers


def topics(bs: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return shoal_cli("topics", "--bootstrap-server", bs, *args, input=input)


def create(bs: str, topic: str, partitions: int = 3, *extra: str) -> None:
    out = topics(bs, "--create", "--topic", topic, "--partitions", str(partitions), *extra)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"Created topic {topic}.\n"


def produce(bs: str, topic: str, records: list[tuple[int, int]]) -> None:
    """(partition, timestamp) per record; values p<partition>-<n>."""
    p = shoal.Producer({"bootstrap.servers": bs, "acks": "all"})
    counts: dict[int, int] = {}
    for partition, ts in records:
        n = counts.get(partition, 0)
        counts[partition] = n + 1
        p.produce(topic, f"p{partition}-{n}".encode(), partition=partition, timestamp=ts)
    assert p.flush(30) == 0
    p.close()


def committed(bs: str, group: str) -> dict[tuple[str, int], int]:
    admin = shoal.AdminClient({"bootstrap.servers": bs})
    fs = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    tps = fs[group].result(30).topic_partitions or []
    admin.close()
    return {(tp.topic, tp.partition): tp.offset for tp in tps if tp.offset >= 0}


def group_state(bs: str, group: str) -> ConsumerGroupState:
    admin = shoal.AdminClient({"bootstrap.servers": bs})
    d = admin.describe_consumer_groups([group])[group].result(30)
    admin.close()
    return d.state


DESCRIBE_TOPIC = re.compile(
    r"Topic: (\S+)(?:\tTopicId: \S+)?\tPartitionCount: (\d+)\tReplicationFactor: (\d+)"
    r"\tConfigs: (.*)"
)
DESCRIBE_PARTITION = re.compile(
    r"\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\d+|none)\tReplicas: ([\d,]+)\tIsr: ([\d,]*)"
)


# ---- shoal topics ----


def test_topics_create_list_describe_delete(cluster: shoal.Cluster, bs: str) -> None:
    create(bs, "orders", 6, "--replication-factor", "3", "--config", "min.insync.replicas=2")

    again = topics(bs, "--create", "--topic", "orders", "--partitions", "6")
    assert again.returncode == 1
    assert again.stderr == "Error while executing topic command : Topic 'orders' already exists.\n"
    quiet = topics(bs, "--create", "--topic", "orders", "--if-not-exists")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")

    listed = topics(bs, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "orders" in listed.stdout.splitlines()
    only = topics(bs, "--list", "--topic", "ord.*", "--exclude-internal")
    assert only.stdout.splitlines() == ["orders"]

    described = topics(bs, "--describe", "--topic", "orders")
    assert described.returncode == 0, described.stderr
    lines, brokers = described.stdout.split("\n\n")
    lines = lines.splitlines()
    # After the topics, where the brokers listen (their Kafka listeners).
    assert brokers.splitlines() == [
        f"Broker: {b}\tAddress: {h}:{p}" for b, (h, p) in sorted(cluster.kafka_addresses().items())
    ]
    head = DESCRIBE_TOPIC.fullmatch(lines[0])
    assert head is not None, lines[0]
    assert head.groups()[:3] == ("orders", "6", "3")
    state = cluster.state()["topics"]["orders"]
    assert len(lines) == 7
    for p, line in enumerate(lines[1:]):
        m = DESCRIBE_PARTITION.fullmatch(line)
        assert m is not None, line
        assert m.group(1, 2) == ("orders", str(p))
        assert int(m.group(3)) == state[p]["leader"]
        assert m.group(4) == ",".join(map(str, state[p]["replicas"]))
        assert sorted(m.group(5).split(",")) == ["1", "2", "3"]

    missing = topics(bs, "--describe", "--topic", "nosuch")
    assert (missing.returncode, missing.stderr) == (
        1,
        "Topic 'nosuch' does not exist as expected\n",
    )
    assert topics(bs, "--describe", "--topic", "nosuch", "--if-exists").returncode == 0

    deleted = topics(bs, "--delete", "--topic", "orders")
    assert (deleted.returncode, deleted.stdout) == (0, ""), deleted.stderr
    wait_for(lambda: "orders" not in topics(bs, "--list").stdout.splitlines(), 30, "orders deleted")
    gone = topics(bs, "--delete", "--topic", "orders")
    assert (gone.returncode, gone.stderr) == (1, "Topic 'orders' does not exist as expected\n")


def test_topics_refuses_bad_arguments_as_kafka_does(bs: str) -> None:
    zero = topics(bs, "--create", "--topic", "bad", "--partitions", "0")
    assert (zero.returncode, zero.stderr) == (1, "The partitions must be greater than 0\n")
    rf = topics(bs, "--create", "--topic", "bad", "--replication-factor", "0")
    assert rf.stderr == "The replication factor must be between 1 and 32767 inclusive\n"
    too_many = topics(bs, "--create", "--topic", "bad", "--replication-factor", "4")
    assert too_many.returncode == 1
    assert too_many.stderr.startswith("Error while executing topic command : ")
    bad_config = topics(bs, "--create", "--topic", "bad", "--config", "retention.ms")
    assert bad_config.returncode == 1
    assert 'must be in the format "key=val"' in bad_config.stderr
    unknown = topics(bs, "--create", "--topic", "bad", "--config", "no.such.config=1")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error while executing topic command : ")
    mixed = topics(bs, "--list", "--config", "a=b")
    assert mixed.returncode == 1
    assert mixed.stderr == 'shoal: Option "[config]" can\'t be used with option "[list]"\n'
    no_topic = topics(bs, "--delete")
    assert no_topic.stderr == 'shoal: Missing required argument "[topic]"\n'
    assert "bad" not in topics(bs, "--list").stdout.splitlines()


def test_topics_describe_prints_config_overrides(bs: str) -> None:
    """Needs AdminClient.describe_configs: Kafka prints the configs not at their default."""
    configs = ["--config", "retention.ms=86400000", "--config", "max.message.bytes=2000"]
    create(bs, "configured", 2, "--replication-factor", "3", *configs)
    out = topics(bs, "--describe", "--topic", "configured")
    assert out.returncode == 0, out.stderr
    head = DESCRIBE_TOPIC.fullmatch(out.stdout.splitlines()[0])
    assert head is not None
    assert sorted(head.group(4).split(",")) == ["max.message.bytes=2000", "retention.ms=86400000"]
    overrides = topics(bs, "--describe", "--topics-with-overrides", "--exclude-internal")
    assert [line.split("\t")[0] for line in overrides.stdout.splitlines()] == ["Topic: configured"]


def test_topics_alter_adds_partitions(cluster: shoal.Cluster, bs: str) -> None:
    """Needs AdminClient.create_partitions."""
    create(bs, "grow", 2, "--replication-factor", "3")
    out = topics(bs, "--alter", "--topic", "grow", "--partitions", "4")
    assert (out.returncode, out.stdout) == (0, ""), out.stderr
    wait_for(lambda: len(cluster.state()["topics"].get("grow", [])) == 4, 30, "4 partitions")
    described = topics(bs, "--describe", "--topic", "grow").stdout.split("\n\n")[0].splitlines()
    assert DESCRIBE_TOPIC.fullmatch(described[0]).group(2) == "4"  # type: ignore[union-attr]
    assert len(described) == 5
    shrink = topics(bs, "--alter", "--topic", "grow", "--partitions", "3")
    assert shrink.returncode == 1
    assert shrink.stderr.startswith("Error while executing topic command : ")
    assert topics(bs, "--alter", "--topic", "grow").stderr == (
        'shoal: Missing required argument "[partitions]"\n'
    )


# ---- shoal console-producer and console-consumer ----


def console_consumer(bs: str, *args: str) -> subprocess.CompletedProcess[str]:
    return shoal_cli("console-consumer", "--bootstrap-server", bs, *args)


def console_producer(bs: str, *args: str, input: str) -> subprocess.CompletedProcess[str]:
    return shoal_cli("console-producer", "--bootstrap-server", bs, *args, input=input)


def test_console_round_trip_with_keys_partitions_offsets_and_timestamps(bs: str) -> None:
    create(bs, "kv", 3, "--replication-factor", "3")
    before = int(time.time() * 1000)
    sent = console_producer(
        bs,
        "--topic",
        "kv",
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=:",
        input="".join(f"k{i}:v{i}\n" for i in range(9)),
    )
    assert (sent.returncode, sent.stdout, sent.stderr) == (0, "", "")
    after = int(time.time() * 1000)

    props = ["print.timestamp", "print.partition", "print.offset", "print.key"]
    out = console_consumer(
        bs,
        "--topic",
        "kv",
        "--from-beginning",
        "--max-messages",
        "9",
        *[arg for p in props for arg in ("--property", f"{p}=true")],
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[-1] == "Processed a total of 9 messages"
    seen = {}
    for line in out.stdout.splitlines():
        m = re.fullmatch(r"CreateTime:(\d+)\tPartition:(\d)\tOffset:(\d+)\tk(\d)\tv(\d)", line)
        assert m is not None, line
        ts, partition, _, key, value = map(int, m.groups())
        assert key == value and before <= ts <= after
        assert partition == shoal.murmur2(f"k{key}".encode(), 3)
        seen[key] = partition
    assert sorted(seen) == list(range(9))

    # Kafka's separators are whatever --property says; values alone by default.
    custom = console_consumer(
        bs,
        "--topic",
        "kv",
        "--from-beginning",
        "--max-messages",
        "9",
        "--property",
        "print.key=true",
        "--property",
        "key.separator= | ",
    )
    assert sorted(custom.stdout.splitlines()) == [f"k{i} | v{i}" for i in range(9)]
    plain = console_consumer(bs, "--topic", "kv", "--from-beginning", "--max-messages", "9")
    assert sorted(plain.stdout.splitlines()) == [f"v{i}" for i in range(9)]

    # Without --group each run had a private console-consumer-N group, removed at exit.
    groups = shoal_cli("consumer-groups", "--bootstrap-server", bs, "--list")
    assert not [g for g in groups.stdout.split() if g.startswith("console-consumer-")]


def test_console_producer_headers_and_null_marker(bs: str) -> None:
    create(bs, "hdr", 1, "--replication-factor", "3")
    sent = console_producer(
        bs,
        "--topic",
        "hdr",
        "--property",
        "parse.headers=true",
        "--property",
        "parse.key=true",
        "--property",
        "null.marker=NULL",
        input="a:1,b:2\tk\tv\nNULL\tNULL\tonly-value\n",
    )
    assert sent.returncode == 0, sent.stderr
    out = console_consumer(
        bs,
        "--topic",
        "hdr",
        "--from-beginning",
        "--max-messages",
        "2",
        "--property",
        "print.headers=true",
        "--property",
        "print.key=true",
    )
    assert out.stdout.splitlines() == ["a:1,b:2\tk\tv", "NO_HEADERS\tnull\tonly-value"]


def test_console_producer_stops_at_a_refused_record_or_a_bad_line(bs: str) -> None:
    create(bs, "tiny", 1, "--replication-factor", "3", "--config", "max.message.bytes=200")
    refused = console_producer(bs, "--topic", "tiny", input="x" * 1000 + "\n")
    assert refused.returncode == 1
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith(
        "shoal: Error when sending message to topic tiny with key: null, value: 1000 bytes "
        "with error: "
    )
    bad = console_producer(
        bs, "--topic", "tiny", "--property", "parse.key=true", input="ok\tone\nnovalue\n"
    )
    assert bad.returncode == 1
    assert bad.stderr == "shoal: No key separator found on line number 2: 'novalue'\n"
    # The line before the bad one was sent.
    out = console_consumer(bs, "--topic", "tiny", "--from-beginning", "--max-messages", "1")
    assert out.stdout == "one\n"


def test_console_producer_shows_progress_only_on_a_terminal(tmp_path: Path, bs: str) -> None:
    create(bs, "bulk", 2, "--replication-factor", "3")
    data = tmp_path / "lines.txt"
    data.write_text("".join(f"{i}\n" for i in range(20_000)))
    cmd = [*CLI, "console-producer", "--bootstrap-server", bs, "--topic", "bulk"]

    with data.open("rb") as stdin:
        piped = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=TIMEOUT)
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, b"", b"")

    master, slave = pty.openpty()
    with data.open("rb") as stdin:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert proc.wait(TIMEOUT) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()
    last = shown.replace(b"\r\n", b"\n").split(b"\r")[-1].decode()
    assert last.startswith("20,000 records sent, 20,000 acknowledged ("), shown


class _Lines:
    """Collects a child's stdout lines on a thread, so the test can wait with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        stream = proc.stdout
        self._thread = threading.Thread(
            target=lambda: self.lines.extend(line.rstrip("\n") for line in stream), daemon=True
        )
        self._thread.start()

    def join(self) -> None:
        self._thread.join(TIMEOUT)


def test_console_consumer_group_commits_refuses_reset_and_ends_on_sigterm(bs: str) -> None:
    create(bs, "stream", 2, "--replication-factor", "3")
    produce(bs, "stream", [(0, 1000), (0, 1001), (1, 1002), (1, 1003), (1, 1004)])
    args = ["--bootstrap-server", bs, "--topic", "stream", "--group", "cg", "--from-beginning"]
    proc = subprocess.Popen(
        [*CLI, "console-consumer", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out = _Lines(proc)
        wait_for(lambda: len(out.lines) >= 5, TIMEOUT, "5 records printed")
        wait_for(lambda: group_state(bs, "cg") == ConsumerGroupState.STABLE, TIMEOUT, "Stable")

        refused = shoal_cli(
            "consumer-groups",
            "--bootstrap-server",
            bs,
            "--reset-offsets",
            "--group",
            "cg",
            "--topic",
            "stream",
            "--to-earliest",
            "--execute",
        )
        assert refused.returncode == 1
        assert refused.stderr == (
            "Error: Assignments can only be reset if the group 'cg' is inactive, but the "
            "current state is Stable.\n"
        )
        assert refused.stdout == ""

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 128 + signal.SIGTERM
        out.join()
        assert sorted(out.lines) == ["p0-0", "p0-1", "p1-0", "p1-1", "p1-2"]
        assert proc.stderr is not None
        assert proc.stderr.read().splitlines()[-1] == "Processed a total of 5 messages"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()

    # Closing committed what it read: the next run of the group starts after it.
    assert committed(bs, "cg") == {("stream", 0): 2, ("stream", 1): 3}
    p = shoal.Producer({"bootstrap.servers": bs})
    p.produce("stream", b"next", partition=0)
    assert p.flush(30) == 0
    p.close()
    again = console_consumer(bs, "--topic", "stream", "--group", "cg", "--max-messages", "1")
    assert (again.returncode, again.stdout) == (0, "next\n"), again.stderr
    assert again.stderr.splitlines()[-1] == "Processed a total of 1 messages"


def test_console_consumer_one_partition_from_an_offset(bs: str) -> None:
    create(bs, "part", 2, "--replication-factor", "3")
    produce(bs, "part", [(0, 1000 + i) for i in range(5)] + [(1, 2000)])
    out = console_consumer(
        bs, "--topic", "part", "--partition", "0", "--offset", "2", "--max-messages", "2"
    )
    assert out.stdout == "p0-2\np0-3\n"
    earliest = console_consumer(
        bs, "--topic", "part", "--partition", "1", "--offset", "earliest", "--timeout-ms", "500"
    )
    assert earliest.stdout == "p1-0\n"
    latest = console_consumer(bs, "--topic", "part", "--partition", "0", "--timeout-ms", "500")
    assert (latest.returncode, latest.stdout) == (0, "")
    assert latest.stderr.splitlines()[-1] == "Processed a total of 0 messages"

    bad = console_consumer(bs, "--topic", "part", "--partition", "0", "--offset", "-1")
    assert bad.returncode == 1
    assert "The provided offset value '-1' is incorrect." in bad.stderr
    both = console_consumer(bs, "--topic", "part", "--partition", "0", "--group", "g")
    assert both.stderr == "shoal: Options group and partition cannot be specified together.\n"
    conflict = console_consumer(
        bs, "--topic", "part", "--from-beginning", "--consumer-property", "auto.offset.reset=latest"
    )
    assert conflict.returncode == 1
    assert "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest'" in (
        conflict.stderr
    )


# ---- shoal consumer-groups --reset-offsets ----


def reset(bs: str, *args: str) -> subprocess.CompletedProcess[str]:
    return shoal_cli(
        "consumer-groups", "--bootstrap-server", bs, "--reset-offsets", "--group", "rg", *args
    )


def plan(out: subprocess.CompletedProcess[str]) -> dict[tuple[str, int], int]:
    """Kafka's table: a blank line, the header, then GROUP TOPIC PARTITION NEW-OFFSET rows."""
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0] == "" and lines[-1] == ""
    assert lines[1] == f"{'GROUP':<15} {'TOPIC':<15} {'PARTITION':<10} NEW-OFFSET"
    rows = {}
    for line in lines[2:-1]:
        assert line == f"{'rg':<15} {'replay':<15} {line.split()[2]:<10} {line.split()[3]}"
        rows[("replay", int(line.split()[2]))] = int(line.split()[3])
    return rows


def test_reset_offsets_scenarios(bs: str) -> None:
    create(bs, "replay", 2, "--replication-factor", "3")
    hours_ago = int(time.time() * 1000) - 2 * 3600 * 1000
    produce(
        bs, "replay", [(0, 1000 + i) for i in range(10)] + [(1, hours_ago + i) for i in range(4)]
    )

    # Neither --dry-run nor --execute: Kafka's warning, and nothing changes.
    dry = reset(bs, "--topic", "replay", "--to-earliest")
    assert plan(dry) == {("replay", 0): 0, ("replay", 1): 0}
    assert dry.stderr.startswith("WARN: No action will be performed as the --execute option")
    assert committed(bs, "rg") == {}

    no_commit = reset(bs, "--topic", "replay", "--shift-by", "1", "--dry-run")
    assert no_commit.returncode == 1
    assert no_commit.stderr == (
        "Error: Cannot shift offset for partition replay-0 since there is no current "
        "committed offset\n"
    )

    latest = reset(bs, "--topic", "replay", "--to-latest", "--execute")
    assert plan(latest) == {("replay", 0): 10, ("replay", 1): 4}
    assert committed(bs, "rg") == {("replay", 0): 10, ("replay", 1): 4}

    back = reset(bs, "--all-topics", "--shift-by", "-3", "--execute")
    assert plan(back) == {("replay", 0): 7, ("replay", 1): 1}
    assert committed(bs, "rg") == {("replay", 0): 7, ("replay", 1): 1}

    # Offsets outside the log are clamped to it, with Kafka's warning.
    low = reset(bs, "--topic", "replay:1", "--shift-by", "-5", "--dry-run")
    assert plan(low) == {("replay", 1): 0}
    assert "New offset (-4) is lower than earliest offset for topic partition replay-1" in (
        low.stderr
    )
    high = reset(bs, "--topic", "replay:0,1", "--to-offset", "8", "--dry-run")
    assert plan(high) == {("replay", 0): 8, ("replay", 1): 4}
    assert "New offset (8) is higher than latest offset for topic partition replay-1" in (
        high.stderr
    )

    current = reset(bs, "--all-topics", "--to-current", "--dry-run")
    assert plan(current) == {("replay", 0): 7, ("replay", 1): 1}

    # By time: the first record at or after it, else the end with Kafka's warning.
    at = reset(bs, "--topic", "replay:0", "--to-datetime", "1970-01-01T00:00:01.005", "--dry-run")
    assert plan(at) == {("replay", 0): 5}
    zoned = reset(
        bs, "--topic", "replay:0", "--to-datetime", "1970-01-01T01:00:01.005+01:00", "--dry-run"
    )
    assert plan(zoned) == {("replay", 0): 5}
    past = reset(bs, "--topic", "replay:0", "--to-datetime", "1970-01-01T00:00:09.000", "--dry-run")
    assert plan(past) == {("replay", 0): 10}
    assert "Warn: Partition 0 from topic replay is empty. Falling back to latest known offset." in (
        past.stderr
    )
    assert plan(reset(bs, "--topic", "replay:1", "--by-duration", "PT3H", "--dry-run")) == {
        ("replay", 1): 0
    }
    assert plan(reset(bs, "--topic", "replay:1", "--by-duration", "PT1H", "--dry-run")) == {
        ("replay", 1): 4
    }
    assert committed(bs, "rg") == {("replay", 0): 7, ("replay", 1): 1}

    bad_duration = reset(bs, "--topic", "replay", "--by-duration", "1H", "--dry-run")
    assert bad_duration.stderr == "Error: Text cannot be parsed to a Duration\n"
    bad_partition = reset(bs, "--topic", "replay:9", "--to-earliest", "--dry-run")
    assert bad_partition.returncode == 1
    assert 'The partitions "replay-9" do not exist' in bad_partition.stderr
    no_scenario = reset(bs, "--topic", "replay", "--dry-run")
    assert no_scenario.returncode == 1
    assert "requires one of the following scenarios" in no_scenario.stderr
    no_scope = reset(bs, "--to-earliest", "--dry-run")
    assert no_scope.stderr == (
        "shoal: One of the reset scopes should be defined: --all-topics, --topic.\n"
    )


# ---- last: it stops a broker ----


def test_topics_describe_reports_under_replicated_and_unavailable(
    cluster: shoal.Cluster, bs: str
) -> None:
    create(bs, "trio", 3, "--replication-factor", "3")
    solo = topics(bs, "--create", "--topic", "solo", "--replica-assignment", "3")
    assert solo.returncode == 0, solo.stderr
    healthy = topics(bs, "--describe", "--under-replicated-partitions")
    assert (healthy.returncode, healthy.stdout) == (0, "")
    try:
        assert cluster.stop(3) == 0
        wait_for(
            lambda: all(3 not in p["isr"] for p in cluster.state()["topics"]["trio"]),
            TIMEOUT,
            "broker 3 out of trio's ISR",
        )
        wait_for(lambda: cluster.leader("solo", 0) == -1, TIMEOUT, "solo without a leader")

        urp = topics(bs, "--describe", "--topic", "trio", "--under-replicated-partitions")
        lines = urp.stdout.splitlines()
        assert len(lines) == 3, urp.stdout  # partitions only, no topic line
        for p, line in enumerate(lines):
            m = DESCRIBE_PARTITION.fullmatch(line)
            assert m is not None and m.group(1, 2) == ("trio", str(p))
            assert sorted(m.group(5).split(",")) == ["1", "2"]

        unavailable = topics(bs, "--describe", "--unavailable-partitions")
        rows = [DESCRIBE_PARTITION.fullmatch(line) for line in unavailable.stdout.splitlines()]
        assert [m.group(1, 2, 3, 4) for m in rows if m] == [("solo", "0", "none", "3")]
        assert len(rows) == 1
    finally:
        cluster.restart(3)


def test_every_tool_reads_shoal_bootstrap_without_the_flag(bs: str) -> None:
    """docs/docker.md: the image sets SHOAL_BOOTSTRAP once, and every tool reaches the cluster
    without --bootstrap-server. The flag still wins over it."""
    create(bs, "from-env", 1)
    env = {**os.environ, "SHOAL_BOOTSTRAP": bs}

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], input=input, capture_output=True, text=True, timeout=TIMEOUT, env=env
        )

    assert "from-env" in run("topics", "--list").stdout.split()
    out = run("console-producer", "--topic", "from-env", input="v1\n")
    assert out.returncode == 0, out.stderr
    out = run("console-consumer", "--topic", "from-env", "--from-beginning", "--max-messages", "1")
    assert out.stdout == "v1\n", out.stderr
    assert run("consumer-groups", "--list").returncode == 0
    out = run("configs", "--describe", "--topic", "from-env")
    assert out.returncode == 0 and "from-env" in out.stdout, out.stderr
    # The flag wins: a cluster that does not exist fails, naming it.
    out = run("topics", "--list", "--bootstrap-server", "shm://no-such-cluster-here")
    assert out.returncode != 0 and "no-such-cluster-here" in out.stderr
