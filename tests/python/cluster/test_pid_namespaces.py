"""The topology of docker-compose.yml without Docker: each broker in a PID namespace of its own
(where it is pid 1, as in a container), all sharing /dev/shm and one cluster directory, and
the examples run from yet another namespace. Liveness across namespaces is decided by
heartbeats only (cpp/ipc/process.h), so a SIGKILLed broker is fenced after
broker.session.timeout.ms rather than at once.

Needs `unshare --pid --fork --mount-proc`, so root (CAP_SYS_ADMIN); skipped with the reason where
that fails."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import shoal
from conftest import wait_for
from shoal.cluster import broker_executable

pytestmark = pytest.mark.timeout(300)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]


def _can_unshare() -> str | None:
    """Why this host cannot run a process in a PID namespace of its own, or None."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True, timeout=30)
    return None if probe.returncode == 0 else f"unshare --pid fails: {probe.stderr.strip()}"


class NamespacedBrokers:
    """Brokers of one cluster, each started as `unshare ... shoal-broker` (the unshare process
    is the one we hold; the broker is its only child, pid 1 in the new namespace)."""

    def __init__(self, name: str, dir: Path) -> None:
        self.name = name
        self.dir = dir
        self.procs: dict[int, subprocess.Popen] = {}
        self._logs: list = []

    def start(self, broker_id: int) -> subprocess.Popen:
        log = (self.dir / f"broker-{broker_id}.out").open("a")
        self._logs.append(log)
        cmd = [str(broker_executable()), "--cluster", self.name, "--id", str(broker_id)]
        cmd += ["--dir", str(self.dir)]
        # --kill-child: if the unshare process dies, the kernel kills the broker too.
        proc = subprocess.Popen(
            [*UNSHARE, "--kill-child", *cmd],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[broker_id] = proc
        return proc

    def broker_pid(self, broker_id: int) -> int | None:
        """The broker's pid in our namespace (unshare's child), None once it is gone."""
        pid = self.procs[broker_id].pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def signal(self, broker_id: int, sig: int) -> None:
        pid = wait_for(lambda: self.broker_pid(broker_id), what=f"broker {broker_id}'s pid")
        os.kill(pid, sig)

    def stop(self, broker_id: int, timeout: float = 30.0) -> int | None:
        """SIGTERM to the broker, then SIGKILL to unshare (and so to the broker) if needed."""
        proc = self.procs[broker_id]
        if proc.poll() is None:
            pid = self.broker_pid(broker_id)
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
                return None
        return proc.returncode

    def close(self) -> None:
        for broker_id in self.procs:
            self.stop(broker_id)
        for log in self._logs:
            log.close()


@pytest.fixture
def brokers(tmp_path: Path) -> Iterator[NamespacedBrokers]:
    why = _can_unshare()
    if why is not None:
        pytest.skip(why)
    b = NamespacedBrokers(f"nstest-{os.getpid()}", tmp_path)
    try:
        yield b
    finally:
        b.close()


def run_example(script: str, *args: str) -> str:
    """Runs an example in a PID namespace of its own; it must exit 0."""
    out = subprocess.run(
        [*UNSHARE, "--kill-child", sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "SHOAL_BOOTSTRAP"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def status(name: str) -> tuple[int, dict[int, tuple[str, str]]]:
    """`shoal cluster status` from this namespace: its exit code, and per broker (pid, state)."""
    out = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "cluster", "status", "--name", name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = re.findall(
        r"^\s+(\d+)\s+(\S+)\s+(running|dead|not responding|paused or hung|\S+)", out.stdout, re.M
    )
    return out.returncode, {int(b): (pid, state) for b, pid, state in rows}


def isrs(admin: shoal.AdminClient, topic: str) -> list[list[int]]:
    partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
    return [sorted(partitions[p].isrs) for p in sorted(partitions)]


def test_brokers_in_their_own_pid_namespaces_form_one_cluster(brokers: NamespacedBrokers) -> None:
    for i in (1, 2, 3):
        brokers.start(i)
    b = f"shm://{brokers.name}"
    conf = {"bootstrap.servers": b}

    def create() -> bool:
        admin = shoal.AdminClient(conf)
        try:
            topic = shoal.NewTopic("orders", 3, 3, config={"min.insync.replicas": "2"})
            admin.create_topics([topic])["orders"].result(10)
            return True
        except shoal.KafkaException:
            return False  # until the controller counts all three brokers as live
        finally:
            admin.close()

    wait_for(create, timeout=60, what="a topic with replication factor 3")
    admin = shoal.AdminClient(conf)
    try:
        check_failover(brokers, admin, b)
    finally:
        admin.close()


def check_failover(brokers: NamespacedBrokers, admin: shoal.AdminClient, b: str) -> None:
    wait_for(lambda: isrs(admin, "orders") == [[1, 2, 3]] * 3, timeout=30, what="full ISRs")
    # Each broker is pid 1 of its namespace: meaningless in ours, so marked, and its state
    # comes from its heartbeat (pid 1 here is not the broker).
    rc, rows = status(brokers.name)
    assert rc == 0 and rows == {i: ("1*", "running") for i in (1, 2, 3)}, rows

    out = run_example("producer.py", "--count", "6", "--bootstrap-server", b)
    assert "Produced 6 record(s) to orders" in out
    args = ["--group", "g", "--from-beginning", "--timeout", "30", "--bootstrap-server", b]
    out = run_example("consumer.py", "--max-messages", "6", *args)
    assert "Consumed 6 record(s)" in out

    # A container that dies: nobody can see its pid, its heartbeats stop.
    killed = time.monotonic()
    brokers.signal(3, signal.SIGKILL)
    wait_for(
        lambda: all(3 not in isr for isr in isrs(admin, "orders")),
        timeout=60,
        what="broker 3 fenced",
    )
    print(f"broker 3 fenced {time.monotonic() - killed:.1f} s after SIGKILL")
    # The status calls a broker whose heartbeat is 10 s old not responding.
    wait_for(
        lambda: (
            status(brokers.name)
            == (2, {1: ("1*", "running"), 2: ("1*", "running"), 3: ("1*", "not responding")})
        ),
        timeout=30,
        what="shoal cluster status to report broker 3 not responding",
    )

    # Restarted in a new namespace, as a container is; like Docker's restart policy, start it
    # again if it exits because its old heartbeats still looked fresh.
    def back() -> bool:
        if brokers.procs[3].poll() is not None:
            brokers.start(3)
        return isrs(admin, "orders") == [[1, 2, 3]] * 3

    wait_for(back, timeout=90, what="broker 3 back in every ISR")

    # Nothing acknowledged was lost. Group g again: it emptied when the first consumer left,
    # and stays empty if broker 3 was its coordinator (the empty generation is stored), so
    # this consumer is not held up waiting for the departed member; it reads just the two new
    # records, from the offsets the first one committed.
    out = run_example("producer.py", "--count", "2", "--bootstrap-server", b)
    assert "Produced 2 record(s) to orders" in out
    # (--from-beginning for a partition none of the first six records went to: the group has
    # no offset there, and "latest" would start after the record just written.)
    args = ["--group", "g", "--from-beginning", "--timeout", "30", "--bootstrap-server", b]
    out = run_example("consumer.py", "--max-messages", "2", *args)
    assert len(re.findall(r"^Received ", out, re.M)) == 2, out
    args = ["--group", "h", "--from-beginning", "--timeout", "30", "--bootstrap-server", b]
    out = run_example("consumer.py", "--max-messages", "8", *args)
    assert len(re.findall(r"^Received ", out, re.M)) == 8, out

    # docker stop: SIGTERM reaches pid 1 of the namespace, which stops cleanly.
    for i in (3, 2, 1):
        assert brokers.stop(i) == 0, (brokers.dir / f"broker-{i}.out").read_text()[-2000:]
