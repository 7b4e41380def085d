"""`shoal cluster up|status|down`: a cluster whose brokers outlive the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import shoal
from conftest import consume_all, create_topic, wait_for
from shoal import _core
from shoal.cluster import broker_pids, stop_cluster


def shoal_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def bg(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A cluster name and directory; whatever brokers run under them are stopped by pid."""
    name = f"cli-{os.getpid()}"
    yield name, tmp_path / "data"
    stop_cluster(name, tmp_path / "data", timeout=10)
    for pid in broker_pids(name, tmp_path / "data").values():
        os.kill(pid, signal.SIGKILL)


def test_up_status_down(bg: tuple[str, Path]) -> None:
    name, data = bg
    up = shoal_cli("cluster", "up", "--name", name, "--dir", str(data))
    assert up.returncode == 0, up.stderr
    assert f"bootstrap.servers=shm://{name}" in up.stderr
    pids = broker_pids(name, data)
    assert sorted(pids) == [1, 2, 3]
    for b in (1, 2, 3):
        assert (data / f"broker-{b}.pid").read_text().strip() == str(pids[b])

    status = shoal_cli("cluster", "status", "--name", name)
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count("running") == 3
    assert "controller broker" in status.stdout

    # A second `up` starts nothing new.
    again = shoal_cli("cluster", "up", "--name", name, "--dir", str(data))
    assert again.returncode == 0
    assert "already running" in again.stderr
    assert broker_pids(name, data) == pids

    conf = {"bootstrap.servers": f"shm://{name}"}
    create_topic(conf, "cli", partitions=1, rf=3)
    p = shoal.Producer({**conf, "acks": "all"})
    for i in range(100):
        p.produce("cli", str(i).encode())
    assert p.flush(30) == 0

    # A dead broker shows, and makes the status non-zero.
    os.kill(pids[3], signal.SIGKILL)
    wait_for(lambda: 3 not in broker_pids(name, data), 10, "broker 3 to die")
    status = shoal_cli("cluster", "status", "--name", name)
    assert status.returncode == 2
    assert "dead" in status.stdout
    assert "under-replicated partitions: 1" in status.stdout

    down = shoal_cli("cluster", "down", "--name", name, "--dir", str(data))
    assert down.returncode == 0, down.stderr
    assert broker_pids(name, data) == {}
    assert not list(data.glob("*.pid"))
    assert _core.cluster_brokers(name) == []  # the shared memory is gone too
    gone = shoal_cli("cluster", "status", "--name", name)
    assert gone.returncode == 1
    assert "no cluster named" in gone.stderr

    # Up again on the same directory: the data is still there.
    up = shoal_cli("cluster", "up", "--name", name, "--dir", str(data))
    assert up.returncode == 0, up.stderr
    assert len(consume_all(conf, "cli", 100)) == 100


def test_down_without_a_cluster_says_so(bg: tuple[str, Path]) -> None:
    name, data = bg
    down = shoal_cli("cluster", "down", "--name", name, "--dir", str(data))
    assert down.returncode == 1
    assert down.stderr.strip() == f"shoal: no broker of cluster '{name}' is running"


def test_up_reports_a_broker_that_cannot_start(bg: tuple[str, Path]) -> None:
    name, data = bg
    bad = shoal_cli(
        "cluster", "up", "--name", name, "--dir", str(data), "--override", "num.partitions=0"
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("shoal: broker")
    assert "num.partitions" in bad.stderr
    assert broker_pids(name, data) == {}


def _create_topic_now(name: str, topic: str) -> bool:
    """Whether a client can create `topic` on cluster `name` now (or it exists already)."""
    try:
        admin = shoal.AdminClient({"bootstrap.servers": f"shm://{name}"})
    except shoal.KafkaException:
        return False  # no broker has made the cluster's shared memory yet
    try:
        admin.create_topics([shoal.NewTopic(topic, -1, 1)])[topic].result(10)
        return True
    except shoal.KafkaException as e:
        return bool(e.args) and e.args[0] == shoal.KafkaError.TOPIC_ALREADY_EXISTS
    finally:
        admin.close()


def test_broker_start_runs_one_broker_in_the_foreground(
    tmp_path: Path, bg: tuple[str, Path]
) -> None:
    name, data = bg
    with open(tmp_path / "broker.out", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shoal.cli", "broker", "start", "--cluster", name, "--id", "1",
             "--dir", str(data), "--override", "num.partitions=2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_for(lambda: _create_topic_now(name, "started"), 60, "a topic created on the broker")
        # The command became the broker (exec): the cluster knows it by this very pid.
        assert broker_pids(name) == {1: proc.pid}
        admin = shoal.AdminClient({"bootstrap.servers": f"shm://{name}"})
        md = admin.list_topics(timeout=10)
        admin.close()
        assert len(md.topics["started"].partitions) == 2  # the --override
        status = shoal_cli("cluster", "status", "--name", name)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"{proc.pid:>8}  running" in status.stdout

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, (tmp_path / "broker.out").read_text(errors="replace")[-2000:]
        assert broker_pids(name) == {}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_broker_start_help_and_missing_arguments() -> None:
    help = shoal_cli("broker", "start", "--help")
    assert help.returncode == 0, help.stderr
    assert help.stdout.startswith("usage: shoal broker start [-h] --cluster NAME --id N --dir DIR")
    for option in ("--config FILE", "--override KEY=VALUE", "examples:"):
        assert option in help.stdout
    missing = shoal_cli("broker", "start", "--cluster", "x")
    assert missing.returncode == 2
    assert "the following arguments are required: --id, --dir" in missing.stderr
