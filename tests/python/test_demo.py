"""`make demo` (python -m shoal.demo): the README's main command shows a real failover and
loses nothing, and leaves no broker behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from shoal.cluster import broker_pids

pytestmark = pytest.mark.timeout(300)


def test_the_demo_kills_a_leader_and_loses_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shoal.demo", "--seconds", "1.5"],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    leaders = re.search(r"leader of orders/0: +broker (\d+) -> broker (\d+)", text)
    assert leaders and leaders[1] != leaders[2], text
    assert re.search(r"time to elect \(kill -> new leader\): +\d+ ms", text), text
    acked = int(re.search(r"records acknowledged: +([\d,]+)", text)[1].replace(",", ""))
    consumed = int(re.search(r"records consumed: +([\d,]+)", text)[1].replace(",", ""))
    assert acked > 0 and consumed >= acked, text
    assert re.search(r"records lost: +0\n", text), text
    assert re.search(r"duplicates in the log: +0\n", text), text
    assert "Nothing acknowledged was lost." in text
    name = re.search(r"cluster shm://(\S+) ready", text)[1]
    assert broker_pids(name) == {}, "the demo left brokers running"


def test_the_demo_refuses_a_cluster_too_small_for_a_failover() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shoal.cli", "demo", "--brokers", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert out.returncode == 1
    assert out.stderr.strip() == "shoal: --brokers must be at least 2 for a failover"
