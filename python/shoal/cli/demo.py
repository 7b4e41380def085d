"""``python -m shoal.cli.demo`` (``shoal demo``, ``make demo``): a failover, start to finish.

Starts a 3-broker cluster, creates a replicated topic (replication factor 3,
min.insync.replicas 2), streams records through an idempotent acks=all producer and a consumer
in a consumer group, SIGKILLs the leader of partition 0 mid-stream, keeps streaming, and prints
what happened: the leader before and after, how long the election took, how many records were
acknowledged and consumed, how many were lost (acknowledged but never consumed: always 0) and
duplicated. Exits 1 if anything acknowledged was lost.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from shoal import _core
from shoal.cluster import Cluster
from shoal.testing.failover import Workload

TOPIC = "orders"
PARTITIONS = 3


class _Reader:
    """A consumer in group `demo` reading the topic in a thread: which values it saw, how
    often."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = _core.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "demo",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
            }
        )
        self._consumer.subscribe([TOPIC])
        self.seen: dict[int, int] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-consumer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                for m in self._consumer.consume(num_messages=1000, timeout=0.1):
                    if m.error() is None:
                        v = int(m.value())
                        with self.lock:
                            self.seen[v] = self.seen.get(v, 0) + 1
        except BaseException as e:  # reported by the main thread
            self.error = e

    @property
    def consumed(self) -> int:
        with self.lock:
            return sum(self.seen.values())

    def has(self, values: set[int]) -> bool:
        with self.lock:
            return all(v in self.seen for v in values)

    def stop(self) -> None:
        """Stops the thread and closes the consumer (leaving the group); safe to call twice."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def _progress(w: Workload, r: _Reader, until: float, label: str) -> None:
    """Streams until `until` (monotonic), showing progress: one line rewritten in place on
    a terminal, a line a second otherwise."""
    tty = sys.stdout.isatty()
    while True:
        now = time.monotonic()
        line = f"    {label}: {w.acked:>7,} acknowledged, {r.consumed:>7,} consumed"
        if now >= until:
            print(f"\r{line}" if tty else line, flush=True)
            return
        if tty:
            print(f"\r{line}", end="", flush=True)
        else:
            print(line, flush=True)
        time.sleep(min(0.25 if tty else 1.0, until - now))


def run(brokers: int = 3, seconds: float = 5.0, rate: int = 2000) -> int:
    """Runs the demo; returns the exit status (0: nothing acknowledged was lost)."""
    _core.set_log_level("error")  # the demo's own lines, not the brokers' warnings
    t0 = time.monotonic()
    _step(f"Starting a {brokers}-broker cluster")
    with Cluster(brokers=brokers, broker_session_timeout_ms=3000) as cluster:
        ready_ms = (time.monotonic() - t0) * 1000
        print(
            f"    cluster {cluster.bootstrap_servers} ready in {ready_ms:.0f} ms, "
            f"controller: broker {cluster.controller()}",
            flush=True,
        )
        _step(
            f"Creating topic '{TOPIC}': {PARTITIONS} partitions, replication factor "
            f"{min(3, brokers)}, min.insync.replicas {min(2, brokers)}"
        )
        reader: _Reader | None = None  # stopped before the cluster, whatever happens
        try:
            with Workload(
                cluster,
                TOPIC,
                partitions=PARTITIONS,
                replication_factor=min(3, brokers),
                min_insync_replicas=min(2, brokers),
                rate=rate,
            ) as w:
                for p in range(PARTITIONS):
                    print(
                        f"    partition {p}: leader {cluster.leader(TOPIC, p)}, "
                        f"in-sync replicas {cluster.isr(TOPIC, p)}",
                        flush=True,
                    )
                _step(f"Producing ({rate:,}/s, acks=all, idempotent) and consuming (group 'demo')")
                reader = _Reader(cluster.bootstrap_servers)
                w.wait_for_acks(200)
                _progress(w, reader, time.monotonic() + seconds, "before the kill")

                before = cluster.leader(TOPIC, 0)
                _step(f"SIGKILL broker {before}, the leader of {TOPIC}/0")
                killed_at = time.monotonic()
                cluster.kill(before)
                after = -1
                deadline = killed_at + 30
                while time.monotonic() < deadline:
                    after = cluster.leader(TOPIC, 0)
                    if after not in (-1, before):
                        break
                    time.sleep(0.001)
                elected_ms = (time.monotonic() - killed_at) * 1000
                if after in (-1, before):
                    print("    no new leader within 30 s", flush=True)
                    return 1
                print(
                    f"    new leader of {TOPIC}/0: broker {after}, in-sync replicas "
                    f"{cluster.isr(TOPIC, 0)} ({elected_ms:.0f} ms after the kill)",
                    flush=True,
                )
                w.wait_for_acks(1, partition=0, timeout=30)
                first = min(at for p, _, at in w.acks_since(killed_at) if p == 0)
                first_write_ms = (first - killed_at) * 1000
                _progress(w, reader, time.monotonic() + seconds, "after the kill")

            _step("Stopping the producer; waiting for the consumer to read everything acknowledged")
            report = w.verify()  # reads the whole log back too
            acked_values = w.acked_values()
            deadline = time.monotonic() + 60
            while not reader.has(acked_values) and time.monotonic() < deadline:
                if reader.error is not None:
                    break
                time.sleep(0.05)
            reader.stop()
            with reader.lock:
                seen = dict(reader.seen)
            lost = sum(1 for v in acked_values if v not in seen)
            redelivered = sum(n - 1 for n in seen.values() if n > 1)
        finally:
            if reader is not None:
                reader.stop()

    ok = lost == 0 and report.ok
    print()
    print("Failover summary")
    print(f"  leader of {TOPIC}/0:                broker {before} -> broker {after}")
    print(f"  time to elect (kill -> new leader): {elected_ms:.0f} ms")
    print(f"  kill -> first acknowledged write:   {first_write_ms:.0f} ms")
    print(f"  records acknowledged:               {report.acked:,}")
    print(f"  records consumed:                   {len(seen):,}")
    print(f"  records lost:                       {lost}")
    print(f"  duplicates in the log:              {report.duplicated}")
    print(f"  records the consumer saw twice:     {redelivered} (at-least-once redelivery)")
    check = "OK, every acknowledged record at its offset, in order" if report.ok else report
    print(f"  log read back:                      {check}")
    print(f"  longest without a leader:           {report.longest_leaderless_ms:.0f} ms")
    if report.failed:
        failed = ", ".join(f"{k} {v}" for k, v in sorted(report.failed.items()))
        print(f"  failed deliveries (never acknowledged): {failed}")
    if reader.error is not None:
        print(f"  consumer error: {reader.error}")
    print("Nothing acknowledged was lost." if ok else "ACKNOWLEDGED RECORDS WERE LOST.")
    return 0 if ok else 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--brokers", type=int, default=3, help="brokers in the cluster (default 3)")
    p.add_argument(
        "--seconds", type=float, default=5.0, help="streaming before and after the kill (default 5)"
    )
    p.add_argument("--rate", type=int, default=2000, help="records per second (default 2000)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shoal.cli.demo", description=__doc__)
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return command(args)
    except Exception as e:  # one line, as the shoal command prints its errors
        print(f"shoal demo: {e}", file=sys.stderr)
        return 1


def command(args: Any) -> int:
    """Runs the demo for `shoal demo` and `python -m shoal.cli.demo`; Ctrl+C stops the cluster
    and exits 130."""
    if args.brokers < 2:
        raise SystemExit("shoal: --brokers must be at least 2 for a failover")
    try:
        return run(args.brokers, args.seconds, args.rate)
    except KeyboardInterrupt:
        print("\ninterrupted; the cluster was stopped", file=sys.stderr)
        return 130


def add_parser(sub: Any) -> None:
    """`shoal demo`."""
    from shoal.cli._common import HelpFormatter

    demo = sub.add_parser(
        "demo",
        help="a failover from start to finish: kill a leader mid-stream, lose nothing",
        description="Starts a cluster, streams records through an idempotent acks=all "
        "producer and a consumer group, SIGKILLs the leader of a partition mid-stream and "
        "prints a failover summary (the main command of the README: make demo).",
        epilog="examples:\n  shoal demo\n  shoal demo --brokers 5 --seconds 10 --rate 5000\n",
        formatter_class=HelpFormatter,
    )
    add_arguments(demo)
    demo.set_defaults(func=command)


if __name__ == "__main__":
    sys.exit(main())
