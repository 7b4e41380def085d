"""The consumer workloads of `shoal perf consumer`, after
Kafka's kafka-consumer-perf-test: a Python consume() loop and the native C++ consumer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from shoal import _core
from shoal._model import OFFSET_BEGINNING, TopicPartition


@dataclass
class ConsumerStats:
    records: int
    bytes: int
    seconds: float
    fetch_seconds: float

    def kafka_lines(self, start: float, end: float) -> list[str]:
        mb = self.bytes / 1024 / 1024
        fmt = "%Y-%m-%d %H:%M:%S"
        ts = f"{time.strftime(fmt, time.localtime(start))}:{int(start * 1000) % 1000:03d}"
        te = f"{time.strftime(fmt, time.localtime(end))}:{int(end * 1000) % 1000:03d}"
        secs = max(self.seconds, 1e-9)
        fetch = max(self.fetch_seconds, 1e-9)
        return [
            "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
            "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
            f"{ts}, {te}, {mb:.4f}, {mb / secs:.4f}, {self.records}, {self.records / secs:.4f}, "
            f"0, {int(fetch * 1000)}, {mb / fetch:.4f}, {self.records / fetch:.4f}",
        ]

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def run_python_consumer(
    conf: dict[str, Any], topic: str, records: int, timeout_s: float = 120.0
) -> ConsumerStats:
    """A Python consume() loop over every partition of the topic, from the beginning."""
    from shoal import Consumer

    consumer = Consumer(conf)
    md = consumer.list_topics(topic, timeout=30)
    tmeta = md.topics.get(topic)
    if tmeta is None or tmeta.error is not None:
        raise RuntimeError(f"topic {topic} does not exist")
    begin = time.perf_counter()
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in tmeta.partitions])
    count = nbytes = 0
    first = 0.0
    deadline = begin + timeout_s
    while count < records and time.perf_counter() < deadline:
        batch = consumer.consume(num_messages=100_000, timeout=0.1)
        if not batch:
            continue
        if count == 0:
            first = time.perf_counter()
        for m in batch:
            if m.error() is None:
                count += 1
                nbytes += len(m)
    end = time.perf_counter()
    consumer.close()
    return ConsumerStats(count, nbytes, end - first if count else 0.0, end - begin)


def run_native_consumer(
    conf: dict[str, Any], topic: str, records: int, timeout_s: float = 120.0
) -> ConsumerStats:
    r = _core.perf.consumer(conf, topic, records, int(timeout_s * 1000))
    return ConsumerStats(r["records"], r["bytes"], r["seconds"], r["fetch_seconds"])
