"""`make demo` (python -m shoal.cli.demo): the README's main command shows a real failover, loses
nothing, and leaves no broker behind, also when it is interrupted."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

# Runs the demo with SIGINT raising KeyboardInterrupt even when pytest itself was started
# with SIGINT ignored (as a background job is), so Ctrl+C can be tested.
RUN_DEMO = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'shoal.cli.demo'; runpy.run_module('shoal.cli.demo', run_name='__main__')"
)


def brokers_of(name: str) -> list[int]:
    """Pids of every process on this host running a broker of cluster `name` (read from
    /proc, so a broker is found even after the cluster's shared memory is gone)."""
    found, want = [], name.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        flags = itertools.pairwise(args)
        if state != "Z" and args[0].endswith(b"shoal-broker") and (b"--cluster", want) in flags:
            found.append(int(entry.name))
    return found


class Demo:
    """One run of the demo as a subprocess, its output read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUN_DEMO, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []

    def read_until(self, pattern: str) -> re.Match[str]:
        """Reads output lines until one matches `pattern` (the test's timeout bounds it)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        raise AssertionError(f"the demo ended before {pattern!r}:\n{''.join(self.lines)}")

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Waits for the exit: (status, whole stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, "".join(self.lines) + out, err


@pytest.fixture
def demos() -> Iterator[list[Demo]]:
    """Demo runs; whatever is still running at the end is killed by pid, and so are the
    brokers of its cluster."""
    started: list[Demo] = []
    yield started
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
        d.proc.communicate()
        m = re.search(r"cluster shm://(\S+) ready", "".join(d.lines))
        for pid in brokers_of(m[1]) if m else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_until_gone(name: str, timeout: float = 30.0) -> list[int]:
    """Waits until no broker of cluster `name` runs; returns those still running."""
    deadline = time.monotonic() + timeout
    while (left := brokers_of(name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_the_demo_kills_a_leader_and_loses_nothing(demos: list[Demo]) -> None:
    demos.append(d := Demo("--seconds", "1.5"))
    name = d.read_until(r"cluster shm://(\S+) ready")[1]
    status, text, err = d.finish(timeout=240)
    assert status == 0, text + err
    leaders = re.search(r"leader of orders/0: +broker (\d+) -> broker (\d+)", text)
    assert leaders and leaders[1] != leaders[2], text
    assert re.search(r"time to elect \(kill -> new leader\): +\d+ ms", text), text
    assert re.search(r"kill -> first acknowledged write: +\d+ ms", text), text
    acked = int(re.search(r"records acknowledged: +([\d,]+)", text)[1].replace(",", ""))
    consumed = int(re.search(r"records consumed: +([\d,]+)", text)[1].replace(",", ""))
    assert acked > 0 and consumed >= acked, text
    assert re.search(r"records lost: +0\n", text), text
    assert re.search(r"duplicates in the log: +0\n", text), text
    assert "Nothing acknowledged was lost." in text
    assert "acknowledged," in text  # the progress lines of the streaming phase
    # Brokers are waited for before the demo exits, so none is left.
    assert brokers_of(name) == [], "the demo left brokers running"


def test_ctrl_c_mid_stream_stops_the_cluster(demos: list[Demo]) -> None:
    demos.append(d := Demo("--seconds", "30"))
    name = d.read_until(r"cluster shm://(\S+) ready")[1]
    d.read_until(r"before the kill: +[\d,]+ acknowledged")
    d.proc.send_signal(signal.SIGINT)
    status, text, err = d.finish(timeout=120)
    assert status == 130, text + err
    assert "interrupted; the cluster was stopped" in err
    assert "terminate called" not in err
    assert wait_until_gone(name, timeout=5) == [], "Ctrl+C left brokers running"


def test_the_demo_refuses_a_cluster_too_small_for_a_failover() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "demo", "--brokers", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == "shoal: --brokers must be at least 2 for a failover"
