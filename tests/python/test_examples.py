"""examples/producer.py and examples/consumer.py, run as a reader of a Kafka tutorial would:
as subprocesses against a running cluster."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import shoal

pytestmark = pytest.mark.timeout(300)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script: str, *args: str, bootstrap: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args, "--bootstrap-server", bootstrap],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def received(text: str) -> list[tuple[str, str, int, int]]:
    return [
        (m[1], m[2], int(m[3]), int(m[4]))
        for m in re.finditer(
            r"^Received key=(\S+) value=(.*) partition=(\d+) offset=(\d+)$", text, re.M
        )
    ]


def test_produce_then_consume_in_a_group(cluster1: shoal.Cluster) -> None:
    b = cluster1.bootstrap_servers
    out = run("producer.py", "--topic", "orders", "--count", "8", bootstrap=b)
    sent = re.findall(r"^Sending key=(\S+) value=(.*)$", out, re.M)
    delivered = re.findall(r"^Delivered to orders \[(\d+)\] at offset (\d+)$", out, re.M)
    assert len(sent) == 8 and len(delivered) == 8
    assert sorted(int(o) for _, o in delivered) == list(range(8))
    assert "Produced 8 record(s) to orders" in out

    args = ["--topic", "orders", "--group", "g1", "--from-beginning", "--max-messages", "8"]
    got = received(run("consumer.py", *args, "--timeout", "30", bootstrap=b))
    assert [(k, v) for k, v, _, _ in got] == sent
    assert [o for _, _, _, o in got] == list(range(8))

    # The group committed its offsets: a second run in it gets nothing new...
    again = run("consumer.py", "--topic", "orders", "--group", "g1", "--timeout", "2", bootstrap=b)
    assert received(again) == [] and "Consumed 0 record(s)" in again
    # ... until more is produced; another group from the beginning gets everything.
    run("producer.py", "--topic", "orders", "--count", "2", bootstrap=b)
    more = run(
        "consumer.py",
        "--topic",
        "orders",
        "--group",
        "g1",
        "--max-messages",
        "2",
        "--timeout",
        "30",
        bootstrap=b,
    )
    assert [o for _, _, _, o in received(more)] == [8, 9]
    everything = run(
        "consumer.py",
        "--topic",
        "orders",
        "--group",
        "g2",
        "--from-beginning",
        "--max-messages",
        "10",
        "--timeout",
        "30",
        bootstrap=b,
    )
    assert len(received(everything)) == 10


def test_avro_through_the_schema_registry(cluster1: shoal.Cluster) -> None:
    b = cluster1.bootstrap_servers
    out = run("producer.py", "--topic", "avro-orders", "--count", "4", "--avro", bootstrap=b)
    assert "Produced 4 record(s) to avro-orders" in out
    got = received(
        run(
            "consumer.py",
            "--topic",
            "avro-orders",
            "--group",
            "a",
            "--from-beginning",
            "--avro",
            "--max-messages",
            "4",
            "--timeout",
            "30",
            bootstrap=b,
        )
    )
    assert len(got) == 4
    assert all(v.startswith("{'id': ") for _, v, _, _ in got), got
    # The schema is registered under the topic's value subject, in Confluent's wire format.
    from shoal.schema_registry import SchemaRegistryClient

    sr = SchemaRegistryClient({"url": b})
    assert sr.get_latest_version("avro-orders-value").schema_id == 1
    sr.close()
