"""The measurements behind `shoal perf consumer --group G`: consumer group throughput from
Python and how long the group takes to rebalance.

How it measures, and why that way: docs/benchmarks.md ("group").
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PARTITIONS = 6
DEFAULT_TOPIC = "perf-group"
DEFAULT_RECORDS = 3_000_000
# Records/s written while the rebalance trials run, so the members are consuming.
TRICKLE_RATE = 10_000
# consume(num_messages=) of every member (--batch).
DEFAULT_BATCH = 10_000
# Session timeouts when none is given (see the module docstring).
OWN_SESSION_TIMEOUT_MS = 3000
GIVEN_SESSION_TIMEOUT_MS = 6000
FILL_CHUNK = 100_000

Say = Callable[[str], None]
Part = tuple[str, int]


def _quiet(_: str) -> None:
    pass


# --- the member process -------------------------------------------------------------------


def _emit(ev: str, t: float | None = None, **fields: object) -> None:
    line = json.dumps({"ev": ev, "t": time.monotonic() if t is None else t, **fields})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _member_main(argv: list[str]) -> int:
    """One group member. Reads commands on stdin: `subscribe`, and with --hold `go ENDS`
    (ENDS: JSON {partition: [low, high]}); EOF or SIGTERM closes it. Reports on stdout:

      ready {pid}                        connected, waiting for `subscribe`
      subscribed {t: just before subscribe()}
      assign {parts}                     at the end of on_assign
      revoke {parts} / lost {parts}      at the end of on_revoke / on_lost
      consuming                          the first records after each assignment
      error {name, str}                  an error event from consume()
      done {count, bytes, first, last, target, parts}   --hold: read all of its partitions
      closed
    """
    import argparse

    import shoal

    ap = argparse.ArgumentParser(prog="shoal.bench.group member")
    ap.add_argument("bootstrap")
    ap.add_argument("group")
    ap.add_argument("topic")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    ap.add_argument(
        "--hold", action="store_true", help="pause assigned partitions until `go` (throughput)"
    )
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to read all (--hold)")
    args = ap.parse_args(argv)

    conf: dict[str, Any] = {"bootstrap.servers": args.bootstrap, "group.id": args.group}
    for kv in args.conf:
        k, _, v = kv.partition("=")
        conf[k] = v
    cooperative = "cooperative" in str(conf.get("partition.assignment.strategy", ""))

    stop = threading.Event()
    subscribe = threading.Event()
    go = threading.Event()
    ends: dict[int, tuple[int, int]] = {}

    def on_term(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)

    def read_stdin() -> None:
        for raw in sys.stdin:
            cmd, _, rest = raw.strip().partition(" ")
            if cmd == "subscribe":
                subscribe.set()
            elif cmd == "go":
                ends.update({int(p): (lo, hi) for p, (lo, hi) in json.loads(rest).items()})
                go.set()
        stop.set()

    threading.Thread(target=read_stdin, daemon=True).start()

    consumer = shoal.Consumer(conf)
    consumer.list_topics(args.topic, timeout=30)
    _emit("ready", pid=os.getpid())
    while not subscribe.wait(0.1):
        if stop.is_set():
            consumer.close()
            _emit("closed")
            return 0

    report_consuming = False

    def parts_of(partitions: list[Any]) -> list[list[object]]:
        return [[tp.topic, tp.partition] for tp in partitions]

    def on_assign(c: Any, partitions: list[Any]) -> None:
        nonlocal report_consuming
        if args.hold and not go.is_set():
            # Nothing is read before `go`: take the assignment paused.
            if cooperative:
                c.incremental_assign(partitions)
            else:
                c.assign(partitions)
            c.pause(partitions)
        report_consuming = True
        _emit("assign", parts=parts_of(partitions))

    def on_revoke(_c: Any, partitions: list[Any]) -> None:
        _emit("revoke", parts=parts_of(partitions))

    def on_lost(_c: Any, partitions: list[Any]) -> None:
        _emit("lost", parts=parts_of(partitions))

    t = time.monotonic()
    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    _emit("subscribed", t=t)

    def report_errors(batch: list[Any]) -> None:
        for m in batch:
            err = m.error()
            if err is not None and not err.name().endswith("PARTITION_EOF"):
                _emit("error", name=err.name(), str=err.str())

    consume = consumer.consume
    if args.hold:
        while not go.wait(0.0):
            if stop.is_set():
                break
            report_errors(consume(args.batch, 0.05))
        if not stop.is_set():
            owned = consumer.assignment()
            target = sum(ends[tp.partition][1] - ends[tp.partition][0] for tp in owned)
            first = time.monotonic()  # the clock starts before the first fetch
            consumer.resume(owned)
            # The loop of `shoal perf consumer` (shoal.bench.consumer.run_python_consumer).
            count = nbytes = 0
            deadline = time.monotonic() + args.timeout
            while count < target and time.monotonic() < deadline and not stop.is_set():
                # No more than are left: consume() would wait out its timeout to fill a batch.
                batch = consume(num_messages=min(args.batch, target - count), timeout=0.1)
                for m in batch:
                    if m.error() is None:
                        count += 1
                        nbytes += len(m)
            last = time.monotonic()
            _emit(
                "done",
                count=count,
                bytes=nbytes,
                first=first,
                last=last,
                target=target,
                parts=parts_of(owned),
            )
    while not stop.is_set():
        batch = consume(args.batch, 0.1)
        if batch:
            if report_consuming:
                report_consuming = False
                _emit("consuming", n=len(batch))
            report_errors(batch)
    consumer.close()
    _emit("closed")
    return 0


# --- members, seen from here ----------------------------------------------------------------


class Member:
    """A member process and what it reported so far."""

    def __init__(self, name: str, cmd: list[str], stderr_path: Path) -> None:
        self.name = name
        self.stderr_path = stderr_path
        self.lines: list[dict[str, Any]] = []
        self.killed_at: float | None = None
        env = {**os.environ, "SHOAL_LOG_LEVEL": os.environ.get("SHOAL_LOG_LEVEL", "warn")}
        with open(stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env
            )
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

    def owned(self, until: float = math.inf) -> set[Part]:
        """Its partitions according to its callbacks up to `until` (nothing once killed)."""
        if self.killed_at is not None and until >= self.killed_at:
            return set()
        owned: set[Part] = set()
        for e in list(self.lines):
            if e["t"] > until:
                break
            if e["ev"] == "assign":
                owned |= {(t, p) for t, p in e["parts"]}
            elif e["ev"] in ("revoke", "lost"):
                owned -= {(t, p) for t, p in e["parts"]}
        return owned

    def steady(self) -> bool:
        """It had records since its last assignment."""
        last_assign = max((e["t"] for e in self.events("assign")), default=None)
        return last_assign is not None and bool(self.events("consuming", after=last_assign))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> float:
        """SIGKILL; returns the moment just before it."""
        self.killed_at = time.monotonic()
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)
        return self.killed_at

    def terminate(self, timeout: float = 30.0) -> None:
        """SIGTERM (the member closes: LeaveGroup) and wait; SIGKILL after `timeout`."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stop()

    def stop(self) -> None:
        """SIGKILL if it still runs, and reap it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(10)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                with contextlib.suppress(OSError):
                    f.close()

    def describe(self) -> str:
        tail = ""
        with contextlib.suppress(OSError):
            tail = self.stderr_path.read_text(errors="replace")[-1500:]
        errors = [f"{e['name']}: {e['str']}" for e in self.events("error")][:5]
        return (
            f"member {self.name} (pid {self.pid}, exit {self.proc.poll()}): "
            f"errors {errors}; stderr: {tail.strip() or '-'}"
        )


class Members:
    """Starts member processes and stops every one of them, by pid, on close()."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        conf: dict[str, Any],
        workdir: Path,
        say: Say,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self.bootstrap, self.topic, self.conf, self.batch = bootstrap, topic, conf, batch
        self.workdir = workdir
        self.say = say
        self.all: list[Member] = []

    def start(self, group: str, *extra: str, conf: dict[str, Any] | None = None) -> Member:
        name = f"{group}.{len(self.all)}"
        cmd = [sys.executable, "-m", "shoal.bench.group", "member", self.bootstrap, group]
        cmd.append(self.topic)
        for k, v in {**self.conf, **(conf or {})}.items():
            cmd += ["--conf", f"{k}={v}"]
        cmd += ["--batch", str(self.batch), *extra]
        m = Member(name, cmd, self.workdir / f"{name}.stderr")
        self.all.append(m)
        _wait(lambda: m.first("ready") or not m.alive(), 60, f"member {name} to start", [m])
        if not m.alive():
            raise RuntimeError(f"member {name} exited at start: {m.describe()}")
        return m

    def close(self) -> None:
        for m in self.all:
            if m.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(m.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for m in self.all:
            with contextlib.suppress(subprocess.TimeoutExpired):
                m.proc.wait(max(0.0, deadline - time.monotonic()))
            m.stop()


def _wait(
    cond: Callable[[], Any],
    timeout: float,
    what: str,
    members: list[Member] | None = None,
    every: float = 0.01,
) -> Any:
    """Polls `cond` every `every` s until it is truthy. What is measured comes from the
    members' own timestamps, so how often this looks does not change the figures."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            detail = "".join(f"\n  {m.describe()}" for m in members or [])
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(every)


def settled_at(members: list[Member], since: float, partitions: set[Part]) -> float | None:
    """When the members' shares last became a settled split of `partitions` after `since`
    (each partition owned by exactly one member, every member owning at least one) and stayed
    so through everything reported so far; None if they are not settled now. Each callback
    event changes one member's share at its time; the state at `since` is not settled (a
    member joined or died then), so the answer is the time of an event after `since`."""
    kinds = ("assign", "revoke", "lost")
    events = sorted(
        ((e["t"], i, e) for i, m in enumerate(members) for e in m.events(*kinds, after=since)),
        key=lambda x: (x[0], x[1]),
    )
    owned = [m.owned(since) for m in members]

    def ok() -> bool:
        union: set[Part] = set()
        for o in owned:
            if not o or union & o:
                return False
            union |= o
        return union == partitions

    settled = ok()
    at: float | None = since if settled else None
    for t, i, e in events:
        if members[i].killed_at is not None:
            continue
        parts = {(tp, p) for tp, p in e["parts"]}
        if e["ev"] == "assign":
            owned[i] |= parts
        else:
            owned[i] -= parts
        now_ok = ok()
        if now_ok and not settled:
            at = t
        settled = now_ok
    return at if settled else None


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class ThroughputRun:
    consumers: int
    records: int
    bytes: int
    seconds: float
    shares: list[tuple[int, float, list[int]]]  # (records, records/s, partitions) a member

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass
class GroupResult:
    group: str
    topic: str
    partitions: int
    record_size: int
    throughput: list[ThroughputRun] = field(default_factory=list)
    join_ms: list[float] = field(default_factory=list)
    join_sizes: list[str] = field(default_factory=list)
    kill_ms: list[float] = field(default_factory=list)
    session_timeout_ms: int = 0
    heartbeat_interval_ms: int = 0
    strategy: str = ""
    batch: int = DEFAULT_BATCH

    def lines(self) -> list[str]:
        out = []
        for run in self.throughput:
            mb = run.bytes / 1024 / 1024 / run.seconds if run.seconds > 0 else 0.0
            line = (
                f"{run.consumers} consumer{'s' if run.consumers > 1 else ''} in group "
                f"{self.group}-{run.consumers}, {self.partitions} partitions: {run.records:,} "
                f"records in {run.seconds:.3f} s, consume() of up to {self.batch:,}: "
                f"{run.records_per_s:,.0f} records/s ({mb:.1f} MB/s)"
            )
            if run.consumers == 1:
                line += " (goal >= 2,000,000 records/s)"
            else:
                shares = ", ".join(
                    f"{n / run.records:.0%} of the records at {rps:,.0f} records/s "
                    f"(partitions {','.join(map(str, parts))})"
                    for n, rps, parts in run.shares
                )
                line += f"; each: {shares}"
            out.append(line)
        if self.join_ms:
            j = self.join_ms
            sizes = ", ".join(sorted(set(self.join_sizes)))
            out.append(
                f"rebalance after a member joins ({sizes} members, {self.strategy}), from its "
                f"subscribe() to "
                f"every member assigned: median {statistics.median(j):.1f} ms, min "
                f"{min(j):.1f} ms, max {max(j):.1f} ms over {len(j)} trials, "
                f"heartbeat.interval.ms={self.heartbeat_interval_ms} (goal <= 100 ms)"
            )
        if self.kill_ms:
            k = self.kill_ms
            out.append(
                f"rebalance after a member is SIGKILLed (3 -> 2 members), from the kill to the "
                f"survivors owning all partitions: median {statistics.median(k):,.0f} ms, min "
                f"{min(k):,.0f} ms, max {max(k):,.0f} ms over {len(k)} trials with "
                f"session.timeout.ms={self.session_timeout_ms}, heartbeat.interval.ms="
                f"{self.heartbeat_interval_ms} (goal <= {self.session_timeout_ms + 100:,} ms)"
            )
        return out


def _ensure_topic(
    conf: dict[str, Any], topic: str, records: int, record_size: int, say: Say
) -> dict[int, tuple[int, int]]:
    """Creates the topic (PARTITIONS partitions) if missing and fills it up to `records`
    records, the same number to every partition; returns {partition: (low, high)}."""
    import shoal

    admin = shoal.AdminClient(conf)
    try:
        md = admin.list_topics(topic=topic, timeout=30)
        tmeta = md.topics.get(topic)
        if tmeta is None or tmeta.error is not None:
            new = shoal.NewTopic(topic, PARTITIONS, 1)
            admin.create_topics([new])[topic].result(30)
            say(f"created topic {topic} with {PARTITIONS} partitions")
    finally:
        admin.close()
    probe = shoal.Consumer(conf)
    try:
        md = probe.list_topics(topic, timeout=30)
        parts = sorted(md.topics[topic].partitions)
        ends = {
            p: tuple(probe.get_watermark_offsets(shoal.TopicPartition(topic, p), timeout=30))
            for p in parts
        }
        have = sum(hi - lo for lo, hi in ends.values())
        if have < records:
            _fill(conf, topic, parts, records - have, record_size, say)
            ends = {
                p: tuple(probe.get_watermark_offsets(shoal.TopicPartition(topic, p), timeout=30))
                for p in parts
            }
    finally:
        probe.close()
    return {p: (int(lo), int(hi)) for p, (lo, hi) in ends.items()}


def _fill(
    conf: dict[str, Any], topic: str, parts: list[int], records: int, size: int, say: Say
) -> None:
    import shoal

    rng = random.Random(6)
    pool = [rng.randbytes(size) for _ in range(1000)]
    values = [pool[i % len(pool)] for i in range(min(FILL_CHUNK, records))]
    producer = shoal.Producer({**conf, "acks": "1"})
    start = time.perf_counter()
    try:
        for i, p in enumerate(parts):
            n = records // len(parts) + (1 if i < records % len(parts) else 0)
            sent = 0
            while sent < n:
                k = min(len(values), n - sent)
                chunk = values if k == len(values) else values[:k]
                done = producer.produce_batch(topic, chunk, partition=p)
                while done < k:
                    producer.poll(0.001)
                    done += producer.produce_batch(topic, chunk[done:], partition=p)
                sent += k
        left = producer.flush(120)
    finally:
        producer.close()
    if left:
        raise RuntimeError(f"{left} records were not delivered while filling {topic}")
    say(f"wrote {records:,} records of {size} bytes in {time.perf_counter() - start:.2f} s")


class _Trickle:
    """Writes about `rate` records/s round-robin over the partitions from a thread."""

    def __init__(self, conf: dict[str, Any], topic: str, parts: list[int], rate: int, size: int):
        import shoal

        self.producer = shoal.Producer({**conf, "acks": "1", "linger.ms": 0})
        self.topic, self.parts, self.rate = topic, parts, rate
        self.value = b"t" * size
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, name="trickle", daemon=True)

    def _run(self) -> None:
        tick = 0.01
        per = max(1, round(self.rate * tick / len(self.parts)))
        values = [self.value] * per
        nxt = time.monotonic()
        while not self.halt.is_set():
            for p in self.parts:
                self.producer.produce_batch(self.topic, values, partition=p)
            self.producer.poll(0)
            nxt += tick
            self.halt.wait(max(0.0, nxt - time.monotonic()))

    def __enter__(self) -> _Trickle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        self.thread.join(30)
        self.producer.flush(30)
        self.producer.close()


def measure_throughput(
    members: Members,
    group: str,
    consumers: int,
    ends: dict[int, tuple[int, int]],
    timeout_s: float,
    say: Say = _quiet,
) -> ThroughputRun:
    """`consumers` members of a fresh group read the whole topic (see the module docstring)."""
    topic = members.topic
    if sum(hi - lo for lo, hi in ends.values()) == 0:
        raise RuntimeError(f"topic {topic} holds no records to read")
    conf = {"auto.offset.reset": "earliest"}
    extra = ["--hold", "--timeout", str(timeout_s)]
    ms = [members.start(group, *extra, conf=conf) for _ in range(consumers)]
    for m in ms:
        m.send("subscribe")
    partitions = {(topic, p) for p in ends}
    _wait(lambda: settled_at(ms, -math.inf, partitions), 60, f"group {group} to settle", ms)
    go = "go " + json.dumps({str(p): list(v) for p, v in ends.items()})
    for m in ms:
        m.send(go)
    _wait(
        lambda: all(m.first("done") or not m.alive() for m in ms),
        timeout_s + 30,
        f"the {consumers} members of {group} to read the topic",
        ms,
        every=0.05,  # this process keeps off the cores while they read
    )
    done = [m.first("done") for m in ms]
    if any(d is None for d in done):
        raise RuntimeError(
            "a member exited before reading its partitions:"
            + "".join(f"\n  {m.describe()}" for m in ms)
        )
    reports = [d for d in done if d is not None]
    total = sum(d["count"] for d in reports)
    want = sum(hi - lo for lo, hi in ends.values())
    if total != want or any(d["count"] != d["target"] for d in reports):
        raise RuntimeError(
            f"group {group} read {total} records of {want}: "
            + "; ".join(f"{d['count']} of {d['target']}" for d in reports)
        )
    first = min(d["first"] for d in reports if d["count"])
    last = max(d["last"] for d in reports if d["count"])
    shares = []
    for d in reports:
        secs = d["last"] - d["first"]
        parts = sorted(p for _, p in d["parts"])
        shares.append((d["count"], d["count"] / secs if secs > 0 else 0.0, parts))
    run = ThroughputRun(consumers, total, sum(d["bytes"] for d in reports), last - first, shares)
    for m in ms:
        m.terminate()
    say(f"{consumers} consumer(s): {run.records_per_s:,.0f} records/s")
    return run


def _wait_steady(ms: list[Member], partitions: set[Part], what: str, timeout: float) -> None:
    _wait(
        lambda: settled_at(ms, -math.inf, partitions) is not None and all(m.steady() for m in ms),
        timeout,
        what,
        ms,
    )


def measure_join(
    members: Members,
    group: str,
    partitions: set[Part],
    trials: int,
    heartbeat_ms: int,
    say: Say = _quiet,
) -> tuple[list[float], list[str]]:
    """A member joins 1 or 2 steadily consuming members (alternately); see the docstring."""
    conf = {"auto.offset.reset": "latest"}
    rng = random.Random(1)
    live: list[Member] = []
    results: list[float] = []
    sizes: list[str] = []
    for trial in range(trials):
        want = 1 if trial % 2 == 0 else 2
        while len(live) > want:
            old = live.pop(0)
            old.terminate()
        while len(live) < want:
            m = members.start(group, conf=conf)
            m.send("subscribe")
            live.append(m)
        _wait_steady(live, partitions, f"{len(live)} steady members of {group}", 60)
        new = members.start(group, conf=conf)
        _wait_steady(live, partitions, f"{len(live)} steady members of {group}", 60)
        time.sleep(rng.uniform(0, heartbeat_ms / 1000))  # a random heartbeat phase
        new.send("subscribe")
        sub = _wait(lambda n=new: n.first("subscribed"), 30, "the new member to subscribe", [new])
        t0 = sub["t"]
        everyone = [*live, new]
        t1 = _wait(
            lambda ms=everyone, t0=t0: settled_at(ms, t0, partitions),
            60,
            f"group {group} to settle after a join",
            everyone,
        )
        ms_ = (t1 - t0) * 1000
        results.append(ms_)
        sizes.append(f"{len(live)} -> {len(everyone)}")
        say(f"join {trial + 1}/{trials} ({len(live)} -> {len(everyone)}): {ms_:.1f} ms")
        live.append(new)
    for m in live:
        m.terminate()
    return results, sizes


def measure_kill(
    members: Members,
    group: str,
    partitions: set[Part],
    trials: int,
    session_timeout_ms: int,
    heartbeat_ms: int,
    say: Say = _quiet,
) -> list[float]:
    """One of 3 steadily consuming members is SIGKILLed; see the docstring."""
    conf = {"auto.offset.reset": "latest"}
    rng = random.Random(2)
    live: list[Member] = []
    results: list[float] = []
    settle_s = session_timeout_ms / 1000 + 60
    for trial in range(trials):
        while len(live) < 3:
            m = members.start(group, conf=conf)
            m.send("subscribe")
            live.insert(trial % 3, m)
            _wait(lambda m=m: m.owned(), settle_s, f"member {m.name} assigned", live)
        _wait_steady(live, partitions, f"3 steady members of {group}", settle_s)
        time.sleep(rng.uniform(0, heartbeat_ms / 1000))  # a random heartbeat phase
        victim = live.pop(trial % 3)
        t0 = victim.kill()
        t1 = _wait(
            lambda t0=t0: settled_at(live, t0, partitions),
            settle_s,
            f"the survivors of {group} to own all partitions",
            live,
        )
        ms_ = (t1 - t0) * 1000
        results.append(ms_)
        say(f"kill {trial + 1}/{trials}: {ms_:,.0f} ms")
        victim.stop()
    for m in live:
        m.terminate()
    return results


@contextlib.contextmanager
def _cluster(
    bootstrap: str | None, brokers: int, session_timeout_ms: int, say: Say
) -> Iterator[str]:
    if bootstrap is not None:
        yield bootstrap
        return
    from shoal.cluster import Cluster

    with Cluster(
        brokers=brokers, group_min_session_timeout_ms=min(session_timeout_ms, 6000)
    ) as cluster:
        say(f"started a {brokers}-broker cluster {cluster.name} in {cluster.dir}")
        yield cluster.bootstrap_servers


def run(
    group: str,
    topic: str = DEFAULT_TOPIC,
    records: int = DEFAULT_RECORDS,
    record_size: int = 100,
    trials: int = 10,
    bootstrap: str | None = None,
    brokers: int = 1,
    session_timeout_ms: int | None = None,
    consumer_conf: dict[str, Any] | None = None,
    timeout_s: float = 120.0,
    batch: int = DEFAULT_BATCH,
    say: Say = _quiet,
) -> GroupResult:
    """Runs the benchmark (see the module docstring). bootstrap None: on a cluster of its own
    of `brokers` brokers."""
    if session_timeout_ms is None:
        own = bootstrap is None
        session_timeout_ms = OWN_SESSION_TIMEOUT_MS if own else GIVEN_SESSION_TIMEOUT_MS
    conf: dict[str, Any] = {
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(1, session_timeout_ms // 3),
        **(consumer_conf or {}),
    }
    result = GroupResult(
        group,
        topic,
        PARTITIONS,
        record_size,
        session_timeout_ms=int(conf["session.timeout.ms"]),
        heartbeat_interval_ms=int(conf["heartbeat.interval.ms"]),
        strategy=str(conf.get("partition.assignment.strategy", "range,roundrobin")),
        batch=batch,
    )
    with (
        tempfile.TemporaryDirectory(prefix="shoal-perf-group-") as workdir,
        _cluster(bootstrap, brokers, session_timeout_ms, say) as servers,
    ):
        client = {"bootstrap.servers": servers}
        ends = _ensure_topic(client, topic, records, record_size, say)
        result.partitions = len(ends)
        partitions = {(topic, p) for p in ends}
        members = Members(servers, topic, {**client, **conf}, Path(workdir), say, batch)
        try:
            for n in (1, 3):
                run_ = measure_throughput(members, f"{group}-{n}", n, ends, timeout_s, say)
                result.throughput.append(run_)
            if trials > 0:
                with _Trickle(client, topic, sorted(ends), TRICKLE_RATE, record_size):
                    hb = result.heartbeat_interval_ms
                    result.join_ms, result.join_sizes = measure_join(
                        members, f"{group}-join", partitions, trials, hb, say
                    )
                    result.kill_ms = measure_kill(
                        members, f"{group}-kill", partitions, trials, session_timeout_ms, hb, say
                    )
        finally:
            members.close()
    return result


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "member":
        sys.exit(_member_main(sys.argv[2:]))
    os.environ.setdefault("SHOAL_LOG_LEVEL", "warn")
    for line in run("perf-group", say=print).lines():
        print(line)
