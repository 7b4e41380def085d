"""`shoal perf consumer --group G` (shoal.bench.group) at a tiny size: the command runs, prints
each figure with its goal, and leaves no member process behind. Figures are not asserted
(README: they are printed by commands, never asserted by tests)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import shoal
from conftest import create_topic
from shoal import cli
from shoal.bench import group as perf_group


def _member_pids(group: str) -> list[int]:
    """Running member processes of groups named group-*."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"shoal.bench.group" in args and any(a.startswith(f"{group}-".encode()) for a in args):
            pids.append(int(entry.name))
    return pids


def test_perf_consumer_group_prints_every_figure(capsys: Any) -> None:
    rc = cli.main(
        [
            "perf",
            "consumer",
            "--group",
            "tiny",
            "--messages",
            "20000",
            "--trials",
            "2",
            "--session-timeout-ms",
            "1000",
        ]
    )
    out, err = capsys.readouterr()
    print(out)
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 4, out
    one, three, join, kill = lines
    assert one.startswith("1 consumer in group tiny-1, 6 partitions: 20,000 records")
    assert "records/s" in one and "(goal >= 2,000,000 records/s)" in one
    assert three.startswith("3 consumers in group tiny-3, 6 partitions: 20,000 records")
    assert three.count("of the records at") == 3
    assert join.startswith("rebalance after a member joins") and "over 2 trials" in join
    assert "(goal <= 100 ms)" in join
    assert kill.startswith("rebalance after a member is SIGKILLed") and "over 2 trials" in kill
    assert "session.timeout.ms=1000" in kill and "(goal <= 1,100 ms)" in kill
    assert _member_pids("tiny") == []


def test_perf_consumer_without_group_is_unchanged(conf: dict[str, str], capsys: Any) -> None:
    create_topic(conf, "plain", 2)
    p = shoal.Producer(conf)
    for i in range(1000):
        p.produce("plain", b"%04d" % i, partition=i % 2)
    assert p.flush(30) == 0
    p.close()
    servers = conf["bootstrap.servers"]
    argv = ["perf", "consumer", "--bootstrap-server", servers, "--topic", "plain"]
    assert cli.main([*argv, "--messages", "1000"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("start.time, end.time, data.consumed.in.MB")
    assert out[1].split(", ")[4] == "1000"


class _FakeMember(perf_group.Member):
    def __init__(self, lines: list[dict[str, Any]], killed_at: float | None = None) -> None:
        self.lines = lines
        self.killed_at = killed_at


def test_settled_at_is_the_callback_that_completed_the_split() -> None:
    def ev(kind: str, t: float, *parts: int) -> dict[str, Any]:
        return {"ev": kind, "t": t, "parts": [["T", p] for p in parts]}

    every = {("T", p) for p in range(6)}
    # An eager join at t=10: the old member gives everything up, then both are assigned.
    old = _FakeMember([ev("assign", 1, 0, 1, 2, 3, 4, 5), ev("revoke", 11), ev("assign", 13)])
    old.lines[1]["parts"] = [["T", p] for p in range(6)]
    old.lines[2]["parts"] = [["T", p] for p in (0, 1, 2)]
    new = _FakeMember([ev("subscribed", 10), ev("assign", 12.5, 3, 4, 5)])
    assert perf_group.settled_at([old, new], 10, every) == 13
    assert perf_group.settled_at([old, new], -math.inf, every) == 13
    # Before the old member got its share back, nothing is settled.
    old.lines.pop()
    assert perf_group.settled_at([old, new], 10, every) is None
    # A survivor that takes over everything after its partner was killed at t=20.
    a = _FakeMember([ev("assign", 1, 0, 1, 2), ev("revoke", 23, 0, 1, 2), ev("assign", 24)])
    a.lines[2]["parts"] = [["T", p] for p in range(6)]
    dead = _FakeMember([ev("assign", 1, 3, 4, 5)], killed_at=20)
    assert perf_group.settled_at([a], 20, every) == 24
    assert dead.owned() == set() and dead.owned(until=5) == {("T", 3), ("T", 4), ("T", 5)}


def test_a_member_that_cannot_start_says_why(tmp_path: Path) -> None:
    members = perf_group.Members("shm://no-such-cluster-here", "t", {}, tmp_path, print)
    try:
        with pytest.raises(RuntimeError, match="no cluster named 'no-such-cluster-here'"):
            members.start("gone")
    finally:
        members.close()
    assert [m.proc.poll() is not None for m in members.all] == [True]
