"""The measurements behind `shoal perf failover`: how fast a replicated cluster recovers and
what replication costs (failover and pause detection times, acks=all against acks=1,
end-to-end latency). How each is measured: docs/benchmarks.md ("failover").
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shoal._model import NewTopic, TopicPartition
from shoal.admin import AdminClient
from shoal.cluster import Cluster

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _create(conf: dict[str, Any], topic: str, partitions: int, rf: int, min_isr: int) -> None:
    admin = AdminClient(conf)
    new = NewTopic(topic, partitions, rf, config={"min.insync.replicas": str(min_isr)})
    admin.create_topics([new])[topic].result(30)
    admin.close()


def _wait(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.001)


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


@dataclass
class FailoverResult:
    kill_to_ack_ms: list[float]
    pause_detect_ms: list[float]
    session_timeout_ms: int
    acks1_single_rps: float
    acksall_rf3_rps: float
    e2e_ms: list[float]
    e2e_rate: int

    def lines(self) -> list[str]:
        k, p, e = self.kill_to_ack_ms, self.pause_detect_ms, self.e2e_ms
        ratio = self.acksall_rf3_rps / self.acks1_single_rps if self.acks1_single_rps else 0.0
        return [
            f"leader SIGKILL -> first ack on the new leader: median {statistics.median(k):.1f} "
            f"ms, max {max(k):.1f} ms over {len(k)} trials (goal <= 250 ms)",
            f"paused leader detected after: median {statistics.median(p):.0f} ms, max "
            f"{max(p):.0f} ms over {len(p)} trials with broker.session.timeout.ms="
            f"{self.session_timeout_ms} (goal <= {self.session_timeout_ms + 250} ms)",
            f"Python producer, 100-byte records: acks=all RF=3 {self.acksall_rf3_rps:,.0f} "
            f"records/s, acks=1 single broker {self.acks1_single_rps:,.0f} records/s: "
            f"{100 * ratio:.0f}% (goal >= 50%)",
            f"end-to-end produce -> consume at {self.e2e_rate} records/s, acks=all RF=3: p50 "
            f"{_pct(e, 0.5):.3f} ms, p99 {_pct(e, 0.99):.3f} ms, max {max(e):.3f} ms over "
            f"{len(e)} records (goal p99 <= 1 ms)",
        ]


def measure_kill_to_ack(cluster: Cluster, trials: int, say: Say = _quiet) -> list[float]:
    from shoal import Producer

    conf = {"bootstrap.servers": cluster.bootstrap_servers}
    topic = "failover-bench"
    _create(conf, topic, 1, 3, 2)
    producer = Producer({**conf, "acks": "all", "linger.ms": 0})
    acked: list[tuple[float, float]] = []  # (produced at, acknowledged at)
    stop = threading.Event()
    errors: list[str] = []

    def run() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            done: list[float] = []

            def report(err: Any, _msg: Any, done: list[float] = done) -> None:
                if err is None:
                    done.append(time.perf_counter())
                else:
                    errors.append(err.name())

            producer.produce(topic, b"x" * 100, partition=0, on_delivery=report)
            producer.flush(60)
            if done:
                acked.append((t, done[0]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    results = []
    try:
        for trial in range(trials):
            _wait(lambda: len(acked) > 100, 30, "the producer to warm up")
            leader = _wait(lambda: max(cluster.leader(topic, 0), 0), 30, "a leader")
            _wait(lambda: len(cluster.isr(topic, 0)) == 3, 60, "a full ISR")
            before = len(acked)
            t_kill = time.perf_counter()
            cluster.kill(leader)
            first = _wait(
                lambda before=before, t_kill=t_kill: next(
                    (a for p, a in acked[before:] if p > t_kill), None
                ),
                60,
                "an acknowledgement from a new leader",
            )
            ms = (first - t_kill) * 1000
            results.append(ms)
            say(f"failover {trial + 1}/{trials}: broker {leader} killed, acked after {ms:.1f} ms")
            cluster.restart(leader)
            acked.clear()
    finally:
        stop.set()
        thread.join()
        producer.close()
    if errors:
        say(f"failed deliveries during the failover trials: {sorted(set(errors))}")
    return results


def measure_pause_detection(cluster: Cluster, trials: int, say: Say = _quiet) -> list[float]:
    conf = {"bootstrap.servers": cluster.bootstrap_servers}
    topic = "pause-bench"
    _create(conf, topic, 1, 3, 2)
    results = []
    for trial in range(trials):
        _wait(lambda: len(cluster.isr(topic, 0)) == 3, 60, "a full ISR")
        leader = cluster.leader(topic, 0)
        if leader == cluster.controller():
            # Pausing the controller measures the standby's takeover instead; pick a follower.
            leader = next(b for b in cluster.broker_ids if b != cluster.controller())
        t = time.perf_counter()
        cluster.pause(leader)
        try:
            _wait(lambda b=leader: b not in cluster.state()["live"], 120, f"broker {leader} fenced")
            ms = (time.perf_counter() - t) * 1000
        finally:
            cluster.resume(leader)
        results.append(ms)
        say(f"pause trial {trial + 1}/{trials}: broker {leader} fenced after {ms:.0f} ms")
        _wait(lambda b=leader: b in cluster.state()["live"], 60, f"broker {leader} back")
    return results


def measure_throughput(records: int, say: Say = _quiet) -> tuple[float, float]:
    from shoal.bench.producer import run_python_producer

    with Cluster(brokers=1) as single:
        conf = {"bootstrap.servers": single.bootstrap_servers}
        _create(conf, "tput", 1, 1, 1)
        one = run_python_producer({**conf, "acks": "1"}, "tput", records, 100)
    say(f"acks=1, one broker: {one.records_per_s:,.0f} records/s")
    with Cluster(brokers=3) as three:
        conf = {"bootstrap.servers": three.bootstrap_servers}
        _create(conf, "tput", 1, 3, 2)
        rf3 = run_python_producer({**conf, "acks": "all"}, "tput", records, 100)
    say(f"acks=all, replication factor 3: {rf3.records_per_s:,.0f} records/s")
    return one.records_per_s, rf3.records_per_s


def measure_end_to_end(
    cluster: Cluster, rate: int, seconds: float, say: Say = _quiet
) -> list[float]:
    from shoal import Consumer, Producer

    conf = {"bootstrap.servers": cluster.bootstrap_servers}
    topic = "e2e-bench"
    _create(conf, topic, 1, 3, 2)
    producer = Producer({**conf, "acks": "all", "linger.ms": 0})
    producer.produce(topic, b"warm-up", partition=0)
    producer.flush(30)
    consumer = Consumer({**conf, "fetch.wait.max.ms": 500})
    consumer.assign([TopicPartition(topic, 0, 0)])
    # Steady state: the consumer is connected and fetching before the clock starts.
    _wait(lambda: (m := consumer.poll(0.1)) is not None and m.error() is None, 30, "warm-up")
    total = int(rate * seconds)
    latencies: list[float] = []

    def consume() -> None:
        while len(latencies) < total:
            m = consumer.poll(1.0)
            if m is not None and m.error() is None:
                # CLOCK_MONOTONIC, the same in every process of the host.
                latencies.append((time.monotonic_ns() - int(m.value())) / 1e6)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        while (left := due - time.perf_counter()) > 0:
            time.sleep(min(left, 0.0005))
        producer.produce(topic, str(time.monotonic_ns()).encode(), partition=0)
        producer.poll(0)
    producer.flush(30)
    reader.join(60)
    consumer.close()
    say(f"end-to-end: {len(latencies)} of {total} records received")
    return latencies


def run(
    trials: int = 20,
    pause_trials: int = 3,
    session_timeout_ms: int = 3000,
    records: int = 1_000_000,
    e2e_rate: int = 1000,
    e2e_seconds: float = 10.0,
    say: Say = _quiet,
) -> FailoverResult:
    # Each measurement on a cluster of its own, so none inherits another's aftermath.
    with Cluster(brokers=3, broker_session_timeout_ms=session_timeout_ms) as c:
        kill = measure_kill_to_ack(c, trials, say)
    with Cluster(brokers=3, broker_session_timeout_ms=session_timeout_ms) as c:
        pause = measure_pause_detection(c, pause_trials, say)
    with Cluster(brokers=3) as c:
        e2e = measure_end_to_end(c, e2e_rate, e2e_seconds, say)
    one, rf3 = measure_throughput(records, say)
    return FailoverResult(kill, pause, session_timeout_ms, one, rf3, e2e, e2e_rate)


if __name__ == "__main__":
    os.environ.setdefault("SHOAL_LOG_LEVEL", "warn")
    for line in run(say=print).lines():
        print(line)
