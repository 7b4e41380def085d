"""Apache Kafka's own command-line tools and Java client against a 3-broker Shoal cluster
over TCP: kafka-topics, kafka-console-producer, kafka-console-consumer,
kafka-consumer-groups and kafka-configs (their main classes, from the kafka-tools and
kafka_2.13 jars fetched by scripts/fetch-kafka.sh), and a Java program on kafka-clients
(tests/java/ClientCheck.java) that produces keyed records and reads them in a group that
rebalances."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

import shoal
from kafka_reference import REPO, kafka_libs

pytestmark = pytest.mark.slow

TOOLS = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
}


def java() -> str:
    exe = shutil.which("java")
    assert exe, "java is missing: scripts/install-system-packages.sh installs a JDK (make test)"
    return exe


def jvm_env() -> dict[str, str]:
    # Small heaps and a quick start: these are short-lived client JVMs on a 2-core machine.
    return {
        **os.environ,
        "JAVA_TOOL_OPTIONS": "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
        "-Dlog4j2.level=WARN",
    }


def kafka_tool(tool: str, *args: str, input: str | None = None, timeout: float = 120) -> str:
    cmd = [java(), "-cp", f"{kafka_libs()}/*", TOOLS[tool], *args]
    r = subprocess.run(
        cmd, input=input, capture_output=True, text=True, timeout=timeout, env=jvm_env()
    )
    assert r.returncode == 0, f"{tool} {' '.join(args)} failed ({r.returncode}):\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def kcluster() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3, group_initial_rebalance_delay_ms=0) as c:
        yield c


def test_kafka_cli_tools_do_their_job(kcluster: shoal.Cluster) -> None:
    bs = kcluster.kafka_bootstrap_servers
    topic, group = "tools-topic", "tools-group"
    out = kafka_tool(
        "kafka-topics", "--bootstrap-server", bs, "--create", "--topic", topic,
        "--partitions", "3", "--replication-factor", "3", "--config", "retention.ms=86400000",
    )  # fmt: skip
    assert f"Created topic {topic}." in out
    out = kafka_tool("kafka-topics", "--bootstrap-server", bs, "--describe", "--topic", topic)
    assert "PartitionCount: 3" in out and "ReplicationFactor: 3" in out
    assert "retention.ms=86400000" in out
    rows = [line for line in out.splitlines() if "Partition: " in line and "Leader:" in line]
    assert len(rows) == 3
    for row in rows:
        replicas = re.search(r"Replicas: ([\d,]+)", row).group(1).split(",")
        isr = re.search(r"Isr: ([\d,]+)", row).group(1).split(",")
        assert sorted(replicas) == sorted(isr) == ["1", "2", "3"], row

    lines = "".join(f"k{i % 7}:value-{i}\n" for i in range(100))
    kafka_tool(
        "kafka-console-producer", "--bootstrap-server", bs, "--topic", topic,
        "--property", "parse.key=true", "--property", "key.separator=:",
        "--producer-property", "acks=all", input=lines,
    )  # fmt: skip
    out = kafka_tool(
        "kafka-console-consumer", "--bootstrap-server", bs, "--topic", topic,
        "--group", group, "--from-beginning", "--max-messages", "100",
        "--property", "print.key=true", "--property", "key.separator=:",
    )  # fmt: skip
    got = sorted(line for line in out.splitlines() if line.startswith("k"))
    assert got == sorted(lines.splitlines())

    out = kafka_tool("kafka-consumer-groups", "--bootstrap-server", bs, "--list")
    assert group in out.split()
    out = kafka_tool(
        "kafka-consumer-groups", "--bootstrap-server", bs, "--describe", "--group", group
    )
    rows = [line.split() for line in out.splitlines() if line.startswith(group)]
    assert len(rows) == 3, out
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    assert sum(int(r[3]) for r in rows) == 100
    assert all(r[5] == "0" for r in rows), out

    kafka_tool(
        "kafka-configs", "--bootstrap-server", bs, "--entity-type", "topics",
        "--entity-name", topic, "--alter", "--add-config", "retention.ms=3600000",
    )  # fmt: skip
    out = kafka_tool(
        "kafka-configs", "--bootstrap-server", bs, "--entity-type", "topics",
        "--entity-name", topic, "--describe",
    )  # fmt: skip
    assert "retention.ms=3600000" in out, out

    kafka_tool("kafka-topics", "--bootstrap-server", bs, "--delete", "--topic", topic)
    deadline = time.monotonic() + 30
    while topic in kafka_tool("kafka-topics", "--bootstrap-server", bs, "--list").split():
        assert time.monotonic() < deadline, "the deleted topic is still listed"


def test_java_client_produces_and_consumes_in_a_group(kcluster: shoal.Cluster) -> None:
    from test_kafka_clients import KEYS, shoal_placement

    source = REPO / "tests" / "java" / "ClientCheck.java"
    r = subprocess.run(
        [java(), "-cp", f"{kafka_libs()}/*", str(source), kcluster.kafka_bootstrap_servers],
        capture_output=True,
        text=True,
        timeout=300,
        env=jvm_env(),
    )
    assert r.returncode == 0, f"ClientCheck failed:\n{r.stdout}\n{r.stderr}"
    placed = dict(
        (k, int(p))
        for k, p in (line.split()[1:] for line in r.stdout.splitlines() if line.startswith("KEY "))
    )
    assert set(placed) == set(KEYS)
    assert placed == shoal_placement(kcluster, "murmur2_random")
    assert "REBALANCED" in r.stdout and "DONE" in r.stdout, r.stdout
