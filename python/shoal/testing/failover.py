"""shoal.testing.failover: a workload that proves no acknowledged record is lost across failures.

    with shoal.Cluster(brokers=3) as cluster:
        with Workload(cluster, "orders") as w:     # creates the topic, starts producing
            w.wait_for_acks(500)
            cluster.kill(cluster.leader("orders", 0))
            w.wait_for_acks(500)                  # production rides through the failover
        report = w.verify()                       # reads every partition back
        print(report)
        assert report.ok

A producer thread writes unique values (acks=all by default) at a steady rate, spread
round-robin over the partitions, and records every acknowledgement: (partition, offset,
value, when). A monitor thread samples the published metadata and notes how long each
partition had no usable leader. `verify()` reads every partition from the beginning and
checks the guarantees: every acknowledged record is at its offset with its value, no offset
was acknowledged for two values, and acknowledged offsets grow in the order the records were
written. Duplicates (a retried record written twice) are counted, not failed: without
idempotence (enable.idempotence) Kafka allows them too.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import threading
import time
from typing import Any

from shoal import _core
from shoal._model import OFFSET_BEGINNING, NewTopic, TopicPartition
from shoal.admin import AdminClient
from shoal.cluster import Cluster

__all__ = ["Report", "Workload"]


@dataclasses.dataclass
class Report:
    """What a workload saw and what verify() found."""

    produced: int = 0  # records handed to the producer
    acked: int = 0  # acknowledged (delivery report without error)
    failed: dict[str, int] = dataclasses.field(default_factory=dict)  # error name -> count
    lost: int = 0  # acknowledged, but not in the log at its offset
    conflicting: int = 0  # an offset acknowledged for one value holds another
    reordered: int = 0  # acknowledged out of the order they were written in
    duplicated: int = 0  # extra copies of a value in the log
    unacked_in_log: int = 0  # in the log without an ack (failed or never reported): allowed
    longest_leaderless_ms: float = 0.0  # a partition's longest time with no usable leader
    longest_write_gap_ms: float = 0.0  # a partition's longest time between two acks

    @property
    def ok(self) -> bool:
        """No acknowledged record lost, overwritten or reordered."""
        return self.lost == 0 and self.conflicting == 0 and self.reordered == 0

    def __str__(self) -> str:
        failed = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items())) or "none"
        return (
            f"{self.acked} acknowledged of {self.produced} produced; lost {self.lost}, "
            f"conflicting {self.conflicting}, reordered {self.reordered}, duplicated "
            f"{self.duplicated}; failed deliveries: {failed}; longest without a leader "
            f"{self.longest_leaderless_ms:.0f} ms, longest between acks "
            f"{self.longest_write_gap_ms:.0f} ms"
        )


@dataclasses.dataclass
class _Ack:
    seq: int
    partition: int
    offset: int
    at: float  # time.monotonic()


class Workload:
    """Produces unique values to `topic` continuously and records what was acknowledged.

    cluster: the shoal.Cluster (used for metadata and broker processes). The topic is created
    with `partitions`, `replication_factor` and min.insync.replicas unless create=False.
    rate: records per second. producer_config: extra producer settings (acks=all, linger.ms=0
    and enable.idempotence=true unless given: the Java client's default since Kafka 3.0, so a
    retry across a failover never writes a record twice).
    """

    def __init__(
        self,
        cluster: Cluster,
        topic: str,
        partitions: int = 3,
        replication_factor: int = 3,
        min_insync_replicas: int = 2,
        rate: int = 2000,
        producer_config: dict[str, Any] | None = None,
        create: bool = True,
    ) -> None:
        self.cluster = cluster
        self.topic = topic
        self.partitions = partitions
        self.rate = rate
        self.conf = {"bootstrap.servers": cluster.bootstrap_servers}
        if create:
            admin = AdminClient(self.conf)
            fs = admin.create_topics(
                [
                    NewTopic(
                        topic,
                        partitions,
                        replication_factor,
                        config={"min.insync.replicas": str(min_insync_replicas)},
                    )
                ]
            )
            fs[topic].result(30)
            admin.close()
        pconf: dict[str, Any] = {"acks": "all", "linger.ms": 0, "enable.idempotence": True}
        pconf.update(producer_config or {})
        pconf.update(self.conf)
        self.idempotent = str(pconf["enable.idempotence"]).lower() in ("true", "1")
        self._producer = _core.Producer(pconf)
        self._lock = threading.Lock()
        self._acks: list[_Ack] = []
        self._failed: collections.Counter[str] = collections.Counter()
        self._failures: list[tuple[float, str]] = []
        self._produced = 0
        self._leaderless: dict[int, float] = {}  # partition -> since (monotonic)
        self._longest_leaderless = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None

    # --- running ---

    def start(self) -> Workload:
        for target in (self._produce_loop, self._monitor_loop):
            t = threading.Thread(target=self._guard(target), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _guard(self, fn: Any) -> Any:
        def run() -> None:
            try:
                fn()
            except BaseException as e:  # surfaced by stop()
                self._error = e

        return run

    def _on_delivery(self, seq: int) -> Any:
        def report(err: Any, msg: Any) -> None:
            now = time.monotonic()
            with self._lock:
                if err is not None:
                    self._failed[err.name()] += 1
                    self._failures.append((now, err.name()))
                else:
                    self._acks.append(_Ack(seq, msg.partition(), msg.offset(), now))

        return report

    def _produce_loop(self) -> None:
        start = time.monotonic()
        seq = 0
        while not self._stop.is_set():
            due = int((time.monotonic() - start) * self.rate) + 1
            while seq < due:
                p = seq % self.partitions
                try:
                    self._producer.produce(
                        self.topic,
                        str(seq).encode(),
                        partition=p,
                        on_delivery=self._on_delivery(seq),
                    )
                except BufferError:
                    break  # the queue is full while no leader takes records: try again later
                seq += 1
                with self._lock:
                    self._produced = seq
            self._producer.poll(0.001)
        # Deliver or fail everything still queued (within delivery.timeout.ms).
        self._producer.flush(300)

    def _monitor_loop(self) -> None:
        while not self._stop.is_set():
            self._sample_leaders()
            time.sleep(0.002)

    def _leader_usable(self, leader: int, live: set[int]) -> bool:
        if leader < 0 or leader not in live:
            return False
        try:
            pid = self.cluster.pid(leader)
        except KeyError:
            return True
        # A leader the controller still lists but that is dead or stopped takes no records.
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            return False
        return stat[stat.rindex(")") + 2] not in "ZTXt"

    def _sample_leaders(self) -> None:
        state = self.cluster.state()
        parts = state["topics"].get(self.topic)
        if parts is None:
            return
        live = set(state["live"])
        now = time.monotonic()
        for i, p in enumerate(parts):
            usable = self._leader_usable(p["leader"], live)
            since = self._leaderless.get(i)
            if not usable and since is None:
                self._leaderless[i] = now
            elif usable and since is not None:
                self._longest_leaderless = max(self._longest_leaderless, now - since)
                del self._leaderless[i]

    def stop(self) -> None:
        """Stops producing and waits until every record was acknowledged or failed."""
        self._stop.set()
        for t in self._threads:
            t.join()
        now = time.monotonic()
        for since in self._leaderless.values():
            self._longest_leaderless = max(self._longest_leaderless, now - since)
        self._leaderless.clear()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> Workload:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if not self._stop.is_set():
            self.stop()

    # --- observing ---

    @property
    def acked(self) -> int:
        with self._lock:
            return len(self._acks)

    @property
    def produced(self) -> int:
        with self._lock:
            return self._produced

    def failures(self) -> list[tuple[float, str]]:
        """(time.monotonic(), error name) of every failed delivery so far."""
        with self._lock:
            return list(self._failures)

    def acked_values(self) -> set[int]:
        """The values acknowledged so far (each record's value is its sequence number)."""
        with self._lock:
            return {a.seq for a in self._acks}

    def acks_since(self, t: float) -> list[tuple[int, int, float]]:
        """(partition, offset, when) of the acknowledgements after monotonic time t."""
        with self._lock:
            return [(a.partition, a.offset, a.at) for a in self._acks if a.at > t]

    def wait_for_acks(self, n: int, timeout: float = 60.0, partition: int | None = None) -> None:
        """Waits until `n` more records (of `partition`, or of any) are acknowledged."""

        def count() -> int:
            with self._lock:
                if partition is None:
                    return len(self._acks)
                return sum(1 for a in self._acks if a.partition == partition)

        target = count() + n
        deadline = time.monotonic() + timeout
        while count() < target:
            if self._error is not None:
                raise self._error
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"only {count() - target + n} of {n} acknowledgements within {timeout} s; "
                    f"failures so far: {dict(self._failed)}"
                )
            time.sleep(0.005)

    # --- checking ---

    def read_back(self, timeout: float = 60.0) -> dict[tuple[int, int], int]:
        """Every record of every partition: (partition, offset) -> value (as int)."""
        from shoal import Consumer

        consumer = Consumer(self.conf)
        tps = [TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in range(self.partitions)]
        ends = {}
        for tp in tps:
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            ends[tp.partition] = high
        consumer.assign(tps)
        out: dict[tuple[int, int], int] = {}
        done = {p for p, end in ends.items() if end <= 0}
        deadline = time.monotonic() + timeout
        while len(done) < self.partitions:
            if time.monotonic() > deadline:
                consumer.close()
                raise TimeoutError(f"reading {self.topic} back did not reach {ends}")
            for m in consumer.consume(num_messages=10_000, timeout=0.2):
                if m.error() is not None:
                    continue
                out[(m.partition(), m.offset())] = int(m.value())
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
        consumer.close()
        return out

    def verify(self) -> Report:
        """Stops the workload if it runs, reads everything back and checks it."""
        if not self._stop.is_set():
            self.stop()
        log = self.read_back()
        with self._lock:
            acks = list(self._acks)
            r = Report(produced=self._produced, acked=len(acks), failed=dict(self._failed))
        r.longest_leaderless_ms = self._longest_leaderless * 1000
        by_offset: dict[tuple[int, int], int] = {}
        for a in acks:
            key = (a.partition, a.offset)
            if key in by_offset and by_offset[key] != a.seq:
                r.conflicting += 1  # two values acknowledged at one offset
            by_offset[key] = a.seq
            have = log.get(key)
            if have is None:
                r.lost += 1
            elif have != a.seq:
                r.conflicting += 1
        # Order: within a partition, later-written records got later offsets.
        per_part: dict[int, list[_Ack]] = collections.defaultdict(list)
        for a in acks:
            per_part[a.partition].append(a)
        for lst in per_part.values():
            lst.sort(key=lambda a: a.seq)
            r.reordered += sum(1 for x, y in itertools.pairwise(lst) if y.offset <= x.offset)
            times = sorted(a.at for a in lst)
            gaps = [y - x for x, y in itertools.pairwise(times)]
            r.longest_write_gap_ms = max([r.longest_write_gap_ms, *(g * 1000 for g in gaps)])
        copies = collections.Counter(log.values())
        r.duplicated = sum(n - 1 for n in copies.values() if n > 1)
        acked_seqs = {a.seq for a in acks}
        r.unacked_in_log = sum(1 for v in copies if v not in acked_seqs)
        return r
