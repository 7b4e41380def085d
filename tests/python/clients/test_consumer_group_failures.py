"""Consumer groups under failure: members killed, frozen and restarted, the coordinator's
broker killed, the two commit orders, static membership, cooperative rebalancing, pattern
subscriptions, and a partition handed back to its owner while a fetch of it is under way.

Members that must be killed or frozen run as processes of their own (shoal.testing.group_member).
Each reports on stdout, with CLOCK_MONOTONIC timestamps, its assignments, the records it
processed and the outcome of every commit, and the checks below replay those reports:

- single owner: a member owns a partition from the start of its on_assign to the end of its
  on_revoke/on_lost. An eager member gives everything up before it rejoins and a cooperative
  one rejoins after revoking, so the next owner's on_assign starts after the previous owner's
  revoke ended: the intervals of different members must not overlap. A member that is killed
  or frozen owns nothing from that moment; what a frozen member does once thawed, until it
  learns that it lost its partitions, is the zombie window every classic group has, and there
  its commits must be refused.
- processing within ownership: every record a member is handed belongs to a partition it
  owns at that moment (consume() must not return records of a partition whose on_revoke has
  already run).
- at-least-once: every acknowledged value is processed; duplicates are counted and printed.

Run with -s to see the figures. Each member's reports end up in <tmp_path>/<member>.jsonl,
its client log in <tmp_path>/<member>.stderr (SHOAL_LOG_LEVEL=debug for more), and the broker
logs in <tmp_path>/cluster-<n>/broker-<id>.log.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import shoal
from conftest import create_topic, wait_for

pytestmark = pytest.mark.slow

MEMBER = [sys.executable, "-m", "shoal.testing.group_member"]

# Commits a frozen member may get once it is out of the group.
FENCED = {"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS"}

Part = tuple[str, int]


# --- member processes ---


class Member:
    """A shoal.testing.group_member process and what it reported so far."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], stderr: Path) -> None:
        self.name = name
        self.proc = proc
        self.stderr = stderr
        self.lines: list[dict[str, Any]] = []
        self.killed_at: float | None = None
        self._reader = threading.Thread(target=self._read, name=f"read-{name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                self.lines.append({"ev": "garbage", "t": time.monotonic(), "raw": raw.decode()})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def events(self, *kinds: str, after: float = -math.inf) -> list[dict[str, Any]]:
        return [e for e in list(self.lines) if e["ev"] in kinds and e["t"] > after]

    def first(self, kind: str, after: float = -math.inf) -> dict[str, Any] | None:
        got = self.events(kind, after=after)
        return got[0] if got else None

    def owned(self) -> set[Part]:
        """The partitions it owns according to its callbacks so far."""
        owned: set[Part] = set()
        for e in list(self.lines):
            if e["ev"] == "assign":
                owned |= parts(e)
            elif e["ev"] in ("revoke", "lost"):
                owned -= parts(e)
        return owned

    def assigned(self) -> bool:
        return bool(self.events("assign"))

    def processed(self) -> list[list[Any]]:
        return [r for e in self.events("recs") for r in e["recs"]]

    def kill(self) -> float:
        """SIGKILL; returns the moment just before it."""
        self.killed_at = time.monotonic()
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)
        return self.killed_at

    def stop(self) -> None:
        """SIGKILL if it still runs (a frozen one first gets SIGCONT), and reap it."""
        if self.proc.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    break
        self.proc.wait(10)
        self._reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def describe(self) -> str:
        return f"{self.name} (pid {self.pid}, stderr {self.stderr}):\n" + "\n".join(
            json.dumps(e) for e in list(self.lines) if e["ev"] != "recs"
        )


class Members:
    """Starts member processes; the fixture stops every one of them by pid."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.all: list[Member] = []

    def start(
        self,
        name: str,
        cluster: shoal.Cluster,
        group: str,
        topics: list[str],
        conf: dict[str, Any],
        *extra: str,
    ) -> Member:
        cmd = [*MEMBER, cluster.bootstrap_servers, group, *topics]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        cmd += list(extra)
        stderr = self.tmp_path / f"{name}.stderr"
        env = {**os.environ, "SHOAL_LOG_LEVEL": os.environ.get("SHOAL_LOG_LEVEL", "info")}
        with open(stderr, "ab") as err:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, env=env
            )
        m = Member(name, proc, stderr)
        self.all.append(m)
        wait_for(lambda: m.first("ready") or m.proc.poll() is not None, 60, f"{name} to start")
        assert m.proc.poll() is None, f"{name} exited: {stderr.read_text()[-3000:]}"
        return m

    def stop_all(self) -> None:
        for m in self.all:
            m.stop()
            # Everything it reported, records included, for a look after a failure.
            with open(self.tmp_path / f"{m.name}.jsonl", "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in m.lines)


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[Callable[..., shoal.Cluster]]:
    """Makes clusters with the given broker properties; closes them all afterwards. Their
    directories, broker logs included, stay in tmp_path for a look after a failure."""
    made: list[shoal.Cluster] = []

    def make(**kw: Any) -> shoal.Cluster:
        made.append(shoal.Cluster(dir=tmp_path / f"cluster-{len(made)}", **kw))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def members(clusters: Callable[..., shoal.Cluster], tmp_path: Path) -> Iterator[Members]:
    # Depends on `clusters` so that the members are stopped before their brokers.
    ms = Members(tmp_path)
    try:
        yield ms
    finally:
        ms.stop_all()
        for m in ms.all:  # captured: pytest shows it when the test failed
            print(m.describe())


# --- producing ---


class Feeder:
    """Produces unique values 0, 1, 2, ... round-robin over the partitions from a thread until
    stop(), which returns the acknowledged ones. Each chunk is flushed before the next, so the
    stream keeps flowing while the test kills and freezes things."""

    def __init__(self, conf: dict[str, Any], topic: str, partitions: int, chunk: int = 20) -> None:
        self.conf, self.topic, self.partitions, self.chunk = conf, topic, partitions, chunk
        self.acked: list[int] = []
        self.failed: list[str] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    def _run(self) -> None:
        def delivered(err: Any, msg: shoal.Message) -> None:
            if err is None:
                self.acked.append(int(msg.value()))
            else:
                self.failed.append(str(err))

        # Idempotent: a retry after a broker dies must not write a value twice.
        p = shoal.Producer({**self.conf, "linger.ms": 0, "enable.idempotence": True})
        i = 0
        try:
            while not self._halt.is_set():
                for _ in range(self.chunk):
                    p.produce(
                        self.topic,
                        str(i).encode(),
                        partition=i % self.partitions,
                        on_delivery=delivered,
                    )
                    i += 1
                p.flush(30)
                self._halt.wait(0.01)  # pacing only: a stream, not a burst
        finally:
            p.flush(30)
            p.close()

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_acked(self, n: int, timeout: float = 30) -> None:
        wait_for(lambda: len(self.acked) >= n, timeout, f"{n} acknowledged records")

    def stop(self) -> list[int]:
        self._halt.set()
        self._thread.join(60)
        assert not self._thread.is_alive(), "the feeder did not stop"
        return list(self.acked)


def produce(conf: dict[str, Any], topic: str, values: range, partitions: int) -> None:
    p = shoal.Producer(conf)
    for i in values:
        p.produce(topic, str(i).encode(), partition=i % partitions)
    assert p.flush(30) == 0
    p.close()


# --- reading the reports ---


def parts(e: dict[str, Any]) -> set[Part]:
    return {(t, p) for t, p in e["parts"]}


def wait_spread(
    ms: list[Member],
    sizes: list[int],
    timeout: float = 60,
    also: Callable[[], bool] = lambda: True,
) -> dict[str, set[Part]]:
    """Waits until every member of `ms` has been assigned, they own `sizes` partitions (in
    any order) and no partition twice."""

    def settled() -> dict[str, set[Part]] | None:
        owned = {m.name: m.owned() for m in ms}
        union = set().union(*owned.values())
        ok = (
            all(m.assigned() for m in ms)
            and sorted(len(o) for o in owned.values()) == sorted(sizes)
            and len(union) == sum(sizes)
            and also()
        )
        return owned if ok else None

    what = f"the partitions spread as {sorted(sizes)} over {[m.name for m in ms]}"
    return cast(dict[str, set[Part]], wait_for(settled, timeout, what))


def ownership_intervals(m: Member, frozen_at: float | None = None) -> list[Any]:
    """(partition, start, end, member) for each time `m` owned a partition. A member killed at
    k owns nothing after k; a member frozen at s owns nothing after s of what it owned before
    s (what it does once thawed, until it learns so, is the zombie window)."""
    open_: dict[Part, float] = {}
    out: list[Any] = []
    for e in list(m.lines):
        if e["ev"] == "assign":
            for p in parts(e):
                open_.setdefault(p, e["t"])
        elif e["ev"] in ("revoke", "lost"):
            for p in parts(e):
                if p in open_:
                    out.append((p, open_.pop(p), e["t"]))
    out += [(p, start, math.inf) for p, start in open_.items()]
    cut = m.killed_at if m.killed_at is not None else frozen_at
    if cut is not None:
        out = [(p, s, min(e, cut) if s < cut else e) for p, s, e in out]
    return [(p, s, e, m.name) for p, s, e in out]


def check_single_owner(ms: list[Member], frozen: dict[str, float] | None = None) -> None:
    """No partition owned by two members at once (see the module docstring). `frozen`: when
    members were frozen, by name."""
    frozen = frozen or {}
    by_part: dict[Part, list[Any]] = {}
    for m in ms:
        for iv in ownership_intervals(m, frozen.get(m.name)):
            by_part.setdefault(iv[0], []).append(iv)
    overlaps = []
    for p, ivs in by_part.items():
        ivs.sort(key=lambda iv: iv[1])
        latest = ivs[0]
        for iv in ivs[1:]:
            if iv[1] < latest[2] and iv[3] != latest[3]:
                overlaps.append((p, latest, iv))
            if iv[2] > latest[2]:
                latest = iv
    assert overlaps == [], f"partitions owned twice: {overlaps}"


def check_processing_within_ownership(ms: list[Member]) -> None:
    strays = []
    for m in ms:
        owned: set[Part] = set()
        for e in list(m.lines):
            if e["ev"] == "assign":
                owned |= parts(e)
            elif e["ev"] in ("revoke", "lost"):
                owned -= parts(e)
            elif e["ev"] == "recs":
                bad = [r for r in e["recs"] if (r[0], r[1]) not in owned]
                if bad:
                    strays.append((m.name, e["t"], len(bad), bad[:3]))
    assert strays == [], f"records handed out for partitions not owned at the time: {strays}"


def processed_values(ms: list[Member]) -> Counter[int]:
    return Counter(int(r[3]) for m in ms for r in m.processed())


def wait_all_processed(ms: list[Member], values: list[int], timeout: float = 30) -> Counter[int]:
    want = set(values)
    deadline = time.monotonic() + timeout
    while True:
        got = processed_values(ms)
        missing = want - got.keys()
        if not missing:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{len(missing)} values never processed, e.g. {sorted(missing)[:20]}")
        time.sleep(0.05)


def ok_commits(m: Member, after: float = -math.inf) -> list[dict[str, Any]]:
    """Its commits that every partition accepted."""
    return [
        e
        for e in m.events("commit", after=after)
        if "errors" in e and e["errors"] and all(x is None for x in e["errors"])
    ]


def duplicates(counts: Counter[int]) -> dict[int, int]:
    return {v: n for v, n in counts.items() if n > 1}


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def java_hash_partition(group: str, partitions: int) -> int:
    """docs/consumer-groups.md §1: abs(String.hashCode) % partitions, INT_MIN -> 0."""
    h = 0
    data = group.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    if h >= 1 << 31:
        h -= 1 << 32
    h = 0 if h == -(1 << 31) else abs(h)
    return h % partitions


def fast_group_cluster(clusters: Callable[..., shoal.Cluster], **kw: Any) -> shoal.Cluster:
    # Session timeouts of 1-2 s keep the tests quick; Kafka's floor is 6 s.
    return clusters(group_min_session_timeout_ms=1000, **{"brokers": 1, **kw})


# --- 1. kill a member ---


def test_a_killed_members_partitions_move_within_the_session_timeout_and_nothing_is_lost(
    clusters: Callable[..., shoal.Cluster], members: Members
) -> None:
    session_ms = 2000
    c = fast_group_cluster(clusters)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "events", partitions=6)
    gconf = {
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": 200,
        # Also the rebalance timeout: a dead member must be dropped by its session, not this.
        "max.poll.interval.ms": 60_000,
    }
    first = [members.start(f"m{i}", c, "workers", ["events"], gconf) for i in range(3)]
    wait_spread(first, [2, 2, 2])
    more = [members.start(f"m{i}", c, "workers", ["events"], gconf) for i in range(3, 7)]
    everyone = first + more
    owned = wait_spread(everyone, [0, 1, 1, 1, 1, 1, 1])
    idle = next(m for m in everyone if not owned[m.name])
    print(f"\nidle member: {idle.name}")

    with Feeder(conf, "events", 6) as feed:
        victim = next(m for m in everyone if owned[m.name])
        wait_for(lambda: victim.processed(), 30, f"{victim.name} to process records")
        lost_parts = victim.owned()
        assert lost_parts == owned[victim.name]
        t_kill = victim.kill()
        survivors = [m for m in everyone if m is not victim]

        def taken_over() -> float | None:
            ts = [
                e["t"]
                for m in survivors
                for e in m.events("assign", after=t_kill)
                if parts(e) & lost_parts
            ]
            return min(ts) if ts else None

        t_taken = wait_for(taken_over, 60, f"{sorted(lost_parts)} to get a new owner")
        wait_spread(survivors, [1] * 6)
        feed.wait_acked(len(feed.acked) + 200)
        acked = feed.stop()

    took = t_taken - t_kill
    counts = wait_all_processed([*survivors, victim], acked)
    dups = duplicates(counts)
    print(
        f"killed {victim.name} owning {sorted(lost_parts)}; taken over after {took:.2f} s "
        f"(session.timeout.ms={session_ms}); {len(acked)} values, {len(dups)} processed twice "
        f"or more: {sorted(dups)[:20]}"
    )
    # Expiry by the session timeout, then one rebalance: seconds, not max.poll.interval.ms.
    assert took < session_ms / 1000 + 5, took
    assert feed.failed == []
    check_single_owner(everyone)
    check_processing_within_ownership(everyone)


# --- 2. freeze a member ---


@pytest.mark.parametrize("pause_past", ["session.timeout.ms", "max.poll.interval.ms"])
def test_a_frozen_member_is_fenced_and_its_commit_refused(
    clusters: Callable[..., shoal.Cluster], members: Members, tmp_path: Path, pause_past: str
) -> None:
    session_ms = 1500
    max_poll_ms = 60_000 if pause_past == "session.timeout.ms" else 3000
    c = fast_group_cluster(clusters)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "frozen", partitions=6)
    gconf = {
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": 250,
        "max.poll.interval.ms": max_poll_ms,
    }
    stop_file = tmp_path / "stop-now"
    ice = members.start("ice", c, "thaw", ["frozen"], gconf, "--stop-file", str(stop_file))
    others = [members.start(f"m{i}", c, "thaw", ["frozen"], gconf) for i in range(2)]
    everyone = [ice, *others]
    wait_spread(everyone, [2, 2, 2])

    with Feeder(conf, "frozen", 6) as feed:
        wait_for(lambda: ice.processed(), 30, "the member to be frozen to process records")
        # It stops itself right after processing a batch and before committing it, so the
        # first thing it does once thawed is commit with the membership it had.
        stop_file.touch()
        t_stop = wait_for(lambda: ice.first("stopping"), 30, "the member to stop")["t"]
        wait_for(lambda: process_state(ice.pid) == "T", 10, "the member to be stopped")
        wait_spread(
            others, [3, 3], also=lambda: all(m.events("assign", after=t_stop) for m in others)
        )
        if pause_past == "max.poll.interval.ms":
            wait_for(
                lambda: time.monotonic() > t_stop + max_poll_ms / 1000 + 0.5,
                max_poll_ms / 1000 + 5,
                "the pause to outlast max.poll.interval.ms",
            )
        t_cont = time.monotonic()
        os.kill(ice.pid, signal.SIGCONT)
        first_commit = wait_for(
            lambda: ice.first("commit", after=t_stop), 30, "the thawed member's commit"
        )
        # It learns that it lost its partitions, rejoins, and gets a share again.
        wait_spread(everyone, [2, 2, 2], also=lambda: bool(ice.events("assign", after=t_cont)))
        feed.wait_acked(len(feed.acked) + 200)
        acked = feed.stop()

    outcome = first_commit.get("error") or first_commit["errors"]
    print(f"\nthawed member's commit of {first_commit['offsets']}: {outcome}")
    refused = [first_commit["error"]] if "error" in first_commit else first_commit["errors"]
    assert refused and set(refused) <= FENCED, first_commit
    # Every commit of the zombie window, until it learnt that its partitions were gone.
    learnt = next((e["t"] for e in ice.events("revoke", "lost", after=t_stop)), math.inf)
    zombie = [e for e in ice.events("commit", after=t_stop) if e["t"] < learnt]
    assert all(({e["error"]} if "error" in e else set(e["errors"])) <= FENCED for e in zombie), (
        zombie
    )
    how = [e["ev"] for e in ice.events("revoke", "lost", after=t_stop)][:1]
    print(f"zombie commits: {len(zombie)}, all refused; it learnt by {how}")
    if pause_past == "max.poll.interval.ms":
        # Having overstayed max.poll.interval.ms, it left the group: its partitions are lost
        # (on_lost, not on_revoke) and its next poll says why, as librdkafka's does.
        assert how == ["lost"], ice.events("revoke", "lost", after=t_stop)
        assert [e["name"] for e in ice.events("error", after=t_cont)][:1] == [
            "_MAX_POLL_EXCEEDED"
        ], ice.events("error", after=t_cont)
    counts = wait_all_processed(everyone, acked)
    print(f"{len(acked)} values, {len(duplicates(counts))} processed twice or more")
    check_single_owner(everyone, frozen={ice.name: t_stop})
    check_processing_within_ownership(everyone)


# --- 3. kill the coordinator ---


def test_the_group_carries_on_when_its_coordinators_broker_is_killed(
    clusters: Callable[..., shoal.Cluster], members: Members
) -> None:
    group = "ledger-readers"
    c = clusters(brokers=3, broker_session_timeout_ms=2000)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "ledger", partitions=3, rf=3)
    p = java_hash_partition(group, 10)
    gconf = {
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 300,
        "max.poll.interval.ms": 60_000,
    }
    ms = [members.start(f"m{i}", c, group, ["ledger"], gconf) for i in range(2)]
    wait_spread(ms, [1, 2])
    coordinator = wait_for(
        lambda: max(c.leader("__consumer_offsets", p), 0), 30, "a leader of the group's partition"
    )
    loaded = f"loaded __consumer_offsets-{p}:"
    assert loaded in c.log(coordinator), c.log(coordinator)[-3000:]

    with Feeder(conf, "ledger", 3) as feed:
        wait_for(lambda: all(len(ok_commits(m)) >= 3 for m in ms), 30, "commits before the kill")
        others = {b: c.log(b).count(loaded) for b in c.broker_ids if b != coordinator}
        t_kill = time.monotonic()
        c.kill(coordinator)

        def successor() -> int:
            lead = c.leader("__consumer_offsets", p)
            return lead if lead not in (-1, coordinator) else 0

        new = wait_for(successor, 60, "a new leader of the group's partition")
        wait_for(
            lambda: c.log(new).count(loaded) > others[new], 30, f"broker {new} to load the group"
        )
        # The members carry on committing, to the new coordinator.
        wait_for(
            lambda: all(ok_commits(m, after=t_kill) for m in ms),
            60,
            "both members to commit after the kill",
        )
        feed.wait_acked(len(feed.acked) + 300, timeout=60)
        acked = feed.stop()

    counts = wait_all_processed(ms, acked)
    # What was committed before the kill: the offset each partition had reached in commits
    # acknowledged before it (acks=all: in every in-sync replica of the offsets partition).
    committed_at_kill: dict[int, int] = {}
    for m in ms:
        for e in m.events("commit"):
            if e["t"] >= t_kill or "errors" not in e:
                continue
            for (_, part, off), err in zip(e["offsets"], e["errors"], strict=True):
                if err is None:
                    committed_at_kill[part] = max(committed_at_kill.get(part, 0), off)
    again = Counter()
    for m in ms:
        for _topic, part, off, value in m.processed():
            again[(part, off, value)] += 1
    redone = {k: n for k, n in again.items() if n > 1}
    below = {k: n for k, n in redone.items() if k[1] < committed_at_kill.get(k[0], 0)}
    print(
        f"\ncoordinator {coordinator} killed, {new} took over __consumer_offsets-{p}; "
        f"committed at the kill {committed_at_kill}; {len(acked)} values, {len(redone)} "
        f"processed again, {len(below)} of them below the committed offsets"
    )
    assert below == {}, f"records reprocessed although committed before the kill: {below}"
    assert len(duplicates(counts)) == len(redone)  # no value was written twice
    # docs/consumer-groups.md §2: the new coordinator knows the generation; no rebalance.
    moved = [(m.name, e) for m in ms for e in m.events("assign", "revoke", "lost", after=t_kill)]
    assert moved == [], moved
    with shoal.Consumer({**conf, "group.id": group}) as probe:
        ends = {
            q: probe.get_watermark_offsets(shoal.TopicPartition("ledger", q))[1] for q in range(3)
        }

        def all_committed() -> bool:
            got = probe.committed([shoal.TopicPartition("ledger", q) for q in range(3)], 10)
            return {tp.partition: tp.offset for tp in got} == ends

        wait_for(all_committed, 30, f"the new coordinator to hold commits up to {ends}")
    check_single_owner(ms)
    check_processing_within_ownership(ms)


def test_a_group_whose_members_left_is_empty_under_its_next_coordinator(
    clusters: Callable[..., shoal.Cluster],
) -> None:
    """Kafka stores the empty generation when the last member leaves. Without it the next
    coordinator loads the last stored generation, its departed members come back, and a
    newcomer waits for them until their sessions (here 30 s) run out."""
    group = "nightly-report"
    c = clusters(brokers=3, broker_session_timeout_ms=2000)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "report", partitions=2, rf=3)
    p = java_hash_partition(group, 10)
    gconf = {
        **conf,
        "group.id": group,
        "session.timeout.ms": 30_000,
        "auto.offset.reset": "earliest",
    }
    with shoal.Consumer(gconf) as first:
        first.subscribe(["report"])
        wait_for(lambda: first.poll(0.1) is None and first.assignment(), 30, "an assignment")
    # close() left the group: it is Empty now, and stored so.
    coordinator = wait_for(
        lambda: max(c.leader("__consumer_offsets", p), 0), 30, "a leader of the group's partition"
    )
    loaded = f"loaded __consumer_offsets-{p}:"
    others = {b: c.log(b).count(loaded) for b in c.broker_ids if b != coordinator}
    c.kill(coordinator)

    def successor() -> int:
        lead = c.leader("__consumer_offsets", p)
        return lead if lead not in (-1, coordinator) else 0

    new = wait_for(successor, 60, "a new leader of the group's partition")
    wait_for(lambda: c.log(new).count(loaded) > others[new], 30, f"broker {new} to load the group")
    d = shoal.AdminClient(conf).describe_consumer_groups([group])[group].result(10)
    assert d.state == shoal.ConsumerGroupState.EMPTY, d
    assert d.members == []
    with shoal.Consumer(gconf) as second:
        second.subscribe(["report"])
        t0 = time.monotonic()
        # Far less than the departed member's 30 s session.
        wait_for(lambda: second.poll(0.1) is None and second.assignment(), 15, "an assignment")
        print(f"\nthe newcomer got its assignment {time.monotonic() - t0:.2f} s after joining")
        assert len(second.assignment()) == 2


# --- 4. the two commit orders ---


@pytest.mark.parametrize("order", ["at-most-once", "at-least-once"])
def test_a_crash_between_commit_and_processing(
    clusters: Callable[..., shoal.Cluster], members: Members, order: str
) -> None:
    # at-most-once commits a batch before processing it, at-least-once after; each member
    # crashes between the two steps of one batch, and a successor takes over.
    commit = "before" if order == "at-most-once" else "after"
    c = fast_group_cluster(clusters)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "jobs", partitions=2)
    values = list(range(1000))
    produce(conf, "jobs", range(1000), 2)
    gconf = {
        "session.timeout.ms": 1500,
        "heartbeat.interval.ms": 200,
        "max.poll.interval.ms": 60_000,
    }
    crasher = members.start(
        "crasher",
        c,
        "jobs-" + commit,
        ["jobs"],
        gconf,
        "--commit",
        commit,
        "--batch",
        "50",
        "--crash-after",
        "300",
    )
    assert crasher.proc.wait(60) == -signal.SIGKILL
    crashed = crasher.first("crashing")
    assert crashed is not None and crashed["recs"], crasher.describe()
    in_between = {int(r[3]) for r in crashed["recs"]}
    successor = members.start(
        "successor", c, "jobs-" + commit, ["jobs"], gconf, "--commit", commit, "--batch", "50"
    )
    ms = [crasher, successor]
    if order == "at-most-once":
        wait_all_processed(ms, sorted(set(values) - in_between))
    else:
        wait_all_processed(ms, values)
    # The successor commits the end of each partition once it is through.
    wait_for(
        lambda: (
            {(q, off) for e in ok_commits(successor) for _, q, off in e["offsets"]}
            >= {(0, 500), (1, 500)}
        ),
        30,
        "the successor to commit everything",
    )
    counts = processed_values(ms)
    lost = set(values) - counts.keys()
    dups = duplicates(counts)
    print(
        f"\n{order}: crashed between the steps of {len(in_between)} records; "
        f"{len(lost)} lost, {len(dups)} processed twice"
    )
    if order == "at-most-once":
        assert lost == in_between
        assert dups == {}
    else:
        assert lost == set()
        assert dups == dict.fromkeys(in_between, 2)
    check_processing_within_ownership(ms)


# --- 5. static membership ---


def test_a_static_member_restarted_within_its_session_keeps_its_partitions(
    clusters: Callable[..., shoal.Cluster], members: Members
) -> None:
    session_ms = 6000
    c = fast_group_cluster(clusters)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "stat", partitions=6)

    def start(i: int, gen: int) -> Member:
        gconf = {
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": 200,
            "max.poll.interval.ms": 60_000,
            "group.instance.id": f"inst-{i}",
        }
        return members.start(f"s{i}.{gen}", c, "statics", ["stat"], gconf)

    # s1 joins, and rejoins once s2 comes: a member that has lived through a rebalance, as
    # one usually has by the time it is restarted. (s0 stays the leader.)
    ms = [start(i, 0) for i in range(2)]
    wait_spread(ms, [3, 3])
    ms.append(start(2, 0))
    before = wait_spread(ms, [2, 2, 2])
    assert len(ms[1].events("assign")) >= 2
    produce(conf, "stat", range(300), 6)
    wait_all_processed(ms, list(range(300)))

    # A clean restart: close() (a static member does not leave), then a new process.
    t_restart = time.monotonic()
    old = ms[1]
    old.proc.send_signal(signal.SIGTERM)
    assert old.proc.wait(30) == 0
    new = start(1, 1)
    got = wait_for(lambda: new.first("assign"), 30, "the restarted member's assignment")
    print(
        f"\nrestarted within {got['t'] - t_restart:.2f} s; {old.name} had "
        f"{sorted(before[old.name])}, {new.name} got {sorted(parts(got))}"
    )
    assert got["t"] - t_restart < session_ms / 1000, "restarted too late for the test to hold"
    assert parts(got) == before[old.name]
    # Working, and still no rebalance once the old session would have run out.
    produce(conf, "stat", range(300, 600), 6)
    wait_all_processed([ms[0], new, ms[2]], list(range(300, 600)))
    wait_for(
        lambda: time.monotonic() > t_restart + session_ms / 1000 + 1,
        session_ms / 1000 + 5,
        "the old session's deadline to pass",
    )
    moved = [
        (m.name, e)
        for m in (ms[0], ms[2])
        for e in m.events("assign", "revoke", "lost", after=t_restart)
    ]
    assert moved == [], moved
    assert [e["ev"] for e in new.events("assign", "revoke", "lost")] == ["assign"]
    check_single_owner([*ms, new])
    check_processing_within_ownership([*ms, new])


# --- 6. cooperative-sticky ---


def test_cooperative_sticky_moves_only_what_the_newcomer_gets(
    clusters: Callable[..., shoal.Cluster], members: Members
) -> None:
    c = fast_group_cluster(clusters)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "coop", partitions=6)
    gconf = {
        "session.timeout.ms": 2000,
        "heartbeat.interval.ms": 200,
        "max.poll.interval.ms": 60_000,
        "partition.assignment.strategy": "cooperative-sticky",
    }
    a, b = (members.start(n, c, "sticky", ["coop"], gconf) for n in ("a", "b"))
    before = wait_spread([a, b], [3, 3])
    with Feeder(conf, "coop", 6) as feed:
        feed.wait_acked(200)
        t_join = time.monotonic()
        newcomer = members.start("c", c, "sticky", ["coop"], gconf)
        after = wait_spread([a, b, newcomer], [2, 2, 2])
        feed.wait_acked(len(feed.acked) + 200)
        acked = feed.stop()
    for m in (a, b):
        revoked = [parts(e) for e in m.events("revoke", "lost", after=t_join)]
        print(
            f"\n{m.name}: had {sorted(before[m.name])}, revoked {revoked}, "
            f"kept {sorted(after[m.name])}"
        )
        assert [e["ev"] for e in m.events("revoke", "lost", after=t_join)] == ["revoke"]
        assert revoked == [before[m.name] - after[m.name]]
        assert after[m.name] < before[m.name]
        # Incremental assignments after the join add nothing to the members that stay.
        assert all(not parts(e) for e in m.events("assign", after=t_join))
    assert after["c"] == (before["a"] - after["a"]) | (before["b"] - after["b"])
    counts = wait_all_processed([a, b, newcomer], acked)
    print(f"{len(acked)} values, {len(duplicates(counts))} processed twice or more")
    check_single_owner([a, b, newcomer])
    check_processing_within_ownership([a, b, newcomer])


# --- 7. pattern subscription ---


def test_a_pattern_subscription_picks_up_a_topic_created_later(
    clusters: Callable[..., shoal.Cluster],
) -> None:
    c = clusters(brokers=1)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "rx-early", partitions=2)
    create_topic(conf, "other", partitions=1)
    produce(conf, "rx-early", range(10), 2)
    produce(conf, "other", range(100, 110), 1)
    consumer = shoal.Consumer(
        {
            **conf,
            "group.id": "patterns",
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 500,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 200,
        }
    )
    got: list[tuple[str, int]] = []

    def drain_until(cond: Callable[[], bool], what: str, timeout: float = 20) -> None:
        def step() -> bool:
            got.extend(
                (m.topic(), int(m.value())) for m in consumer.consume(100, 0.1) if m.error() is None
            )
            return cond()

        wait_for(step, timeout, what)

    try:
        consumer.subscribe(["^rx-.*"])
        drain_until(lambda: len(got) >= 10, "the records of rx-early")
        create_topic(conf, "rx-late", partitions=3)
        produce(conf, "rx-late", range(1000, 1030), 3)
        t_created = time.monotonic()
        # Kafka's default refresh is 5 minutes: only topic.metadata.refresh.interval.ms
        # brings the new topic in this soon.
        drain_until(lambda: sum(t == "rx-late" for t, _ in got) >= 30, "the records of rx-late")
        print(f"\nrx-late consumed {time.monotonic() - t_created:.2f} s after its creation")
        assignment = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        assert assignment == {
            ("rx-early", 0),
            ("rx-early", 1),
            ("rx-late", 0),
            ("rx-late", 1),
            ("rx-late", 2),
        }
        assert sorted(v for t, v in got if t == "rx-late") == list(range(1000, 1030))
        # The rebalance that brings rx-late in may hand rx-early out again from its last
        # commit: at least once.
        assert {v for t, v in got if t == "rx-early"} == set(range(10))
        assert not any(t == "other" for t, _ in got)
    finally:
        consumer.close()


# --- 8. a partition handed back to the member that had it ---


def test_a_partition_handed_back_to_its_owner_resumes_from_the_committed_offset(
    clusters: Callable[..., shoal.Cluster],
) -> None:
    # An eager rebalance often gives a member the very partitions it just revoked. Here the
    # member has read 0..9 but committed 5 (5..9 not yet processed), and its next fetch, from
    # offset 10, waits at the broker for data when the rebalance comes. After the rebalance
    # it must start again from the committed offset: 5..9 once more, then 10.
    c = clusters(brokers=1)
    conf = {"bootstrap.servers": c.bootstrap_servers}
    create_topic(conf, "back", partitions=1)
    create_topic(conf, "elsewhere", partitions=1)
    produce(conf, "back", range(10), 1)
    gconf = {
        **conf,
        "group.id": "handback",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 200,
    }
    events: list[str] = []
    got: list[int] = []
    owner = shoal.Consumer({**gconf, "fetch.wait.max.ms": 20_000})  # its fetch waits long
    other = None
    try:
        owner.subscribe(
            ["back"],
            on_assign=lambda _c, _ps: events.append("assign"),
            on_revoke=lambda _c, _ps: events.append("revoke"),
        )

        def step() -> None:
            got.extend(int(m.value()) for m in owner.consume(100, 0.05) if m.error() is None)
            if other is not None:
                other.poll(0.05)

        wait_for(lambda: step() or len(got) >= 10, 30, "the first ten records")
        assert got == list(range(10))
        done = owner.commit(offsets=[shoal.TopicPartition("back", 0, 5)], asynchronous=False)
        assert [tp.error for tp in done] == [None]
        del got[:]
        # A member of another topic joins: a rebalance that hands back/0 back to its owner.
        other = shoal.Consumer(gconf)
        other.subscribe(["elsewhere"])
        wait_for(lambda: step() or events == ["assign", "revoke", "assign"], 30, "the rebalance")
        produce(conf, "back", range(10, 11), 1)
        wait_for(lambda: step() or 10 in got, 30, "the record produced after the rebalance")
        assert got == list(range(5, 11)), f"after the rebalance it read {got}"
    finally:
        owner.close()
        if other is not None:
            other.close()
