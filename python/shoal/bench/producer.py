"""The producer workloads of `shoal perf producer`, after
Kafka's kafka-producer-perf-test: a Python produce() loop, produce_batch() from numpy, arrow
or a list, and the native C++ producer."""

from __future__ import annotations

import itertools
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from shoal import _core

# Latency of every Nth record is measured through a delivery callback; measuring every record
# would make the Python loop measure its callbacks rather than the producer.
LATENCY_SAMPLE_EVERY = 500

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")

# What the records hold (--payload):
#   kafka   kafka-producer-perf-test's records without --payload-file: random uppercase
#           letters, different in every record (4.7 bits of entropy a byte: the entropy coders
#           of gzip and zstd gain a little, the LZ matchers of lz4 and snappy next to nothing).
#   json    distinct JSON-like events (ids, names, prices, timestamps: a click stream), cut or
#           padded with spaces to the record size: what compression meets in practice.
#   random  distinct random bytes: incompressible.
# A run sends a pool of PAYLOAD_POOL distinct records in turn.
PAYLOADS = ("kafka", "json", "random")
PAYLOAD_POOL = 10_000

# Records per produce_batch() call on the batch path (--batch-api).
BATCH_API_CHUNK = 100_000


def parse_codecs(spec: str) -> list[str]:
    """`none`, `lz4`, `gzip,lz4`, or `all` (every codec in turn)."""
    if spec.strip().lower() == "all":
        return list(CODECS)
    codecs = [c.strip().lower() for c in spec.split(",") if c.strip()]
    for c in codecs:
        if c not in CODECS:
            raise ValueError(f"unknown compression type '{c}': one of {', '.join(CODECS)} or all")
    if not codecs:
        raise ValueError("no compression type given")
    return codecs


def make_payloads(kind: str, record_size: int, count: int = PAYLOAD_POOL) -> list[bytes]:
    """The records a run sends in turn (see PAYLOADS)."""
    rng = random.Random(20240601)
    if kind == "kafka":
        letters = bytes(range(65, 91))
        return [bytes(rng.choices(letters, k=record_size)) for _ in range(count)]
    if kind == "random":
        return [rng.randbytes(record_size) for _ in range(count)]
    if kind != "json":
        raise ValueError(f"unknown payload '{kind}': one of {', '.join(PAYLOADS)}")
    actions = ("view", "click", "add_to_cart", "remove", "purchase", "search", "share")
    pages = ("home", "search", "product", "cart", "checkout", "account")
    out = []
    for i in range(count):
        event = (
            f'{{"seq":{i},"ts":{1_717_200_000_000 + i * 37},'
            f'"user":"user-{rng.randrange(100_000):05d}",'
            f'"action":"{rng.choice(actions)}","page":"{rng.choice(pages)}",'
            f'"item":"sku-{rng.randrange(1_000_000):06d}","qty":{rng.randrange(1, 9)},'
            f'"price":{rng.randrange(100, 100_000) / 100:.2f},'
            f'"session":"{rng.getrandbits(64):016x}"}}'
        ).encode()
        out.append(event[:record_size].ljust(record_size, b" "))
    return out


def compression_ratio(
    codec: str, payloads: list[bytes], batch_records: int, batch_bytes: int
) -> float:
    """Compressed size over uncompressed size of one full batch of these records, as the
    producer builds it (batch.num.messages, batch.size)."""
    if codec == "none":
        return 1.0
    n = max(1, min(batch_records, batch_bytes // max(1, len(payloads[0]) + 8)))
    raw, compressed = _core.perf.batch_sizes(codec, payloads, n)
    return compressed / raw


@dataclass
class ProducerStats:
    records: int
    bytes: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    summary: dict[str, float] | None = None  # from the native run

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1024 / 1024 / self.seconds if self.seconds > 0 else 0.0

    def latency(self) -> dict[str, float]:
        if self.summary is not None:
            return self.summary
        lat = sorted(self.latencies_ms)
        if not lat:
            return {}

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))]

        return {
            "avg": sum(lat) / len(lat),
            "max": lat[-1],
            "p50": pct(0.5),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "p999": pct(0.999),
        }

    def kafka_line(self) -> str:
        lat = self.latency()
        line = (
            f"{self.records} records sent, {self.records_per_s:.1f} records/sec "
            f"({self.mb_per_s:.2f} MB/sec)"
        )
        if lat:
            line += (
                f", {lat['avg']:.2f} ms avg latency, {lat['max']:.2f} ms max latency, "
                f"{lat['p50']:.2f} ms 50th, {lat['p95']:.2f} ms 95th, "
                f"{lat['p99']:.2f} ms 99th, {lat['p999']:.2f} ms 99.9th."
            )
        else:
            line += "."
        return line


def run_python_producer(
    conf: dict[str, Any],
    topic: str,
    records: int,
    record_size: int,
    throughput: int = -1,
    payloads: list[bytes] | None = None,
) -> ProducerStats:
    """A plain Python produce() loop, as a user writes it, then flush()."""
    from shoal import Producer

    payloads = payloads or [os.urandom(record_size)]
    latencies: list[float] = []
    producer = Producer(conf)
    producer.produce(topic, payloads[0])  # looks the topic up once, outside the timing
    producer.flush(30)

    def on_delivery(err: Any, msg: Any) -> None:
        if err is None:
            latencies.append((msg.latency() or 0.0) * 1000.0)

    produce = producer.produce
    start = time.perf_counter()
    for i, payload in zip(range(records), itertools.cycle(payloads)):
        if throughput > 0 and i % 1000 == 0:
            due = start + i / throughput
            while time.perf_counter() < due:
                producer.poll(0)
                time.sleep(0.0005)
        while True:
            try:
                if i % LATENCY_SAMPLE_EVERY == 0:
                    produce(topic, payload, on_delivery=on_delivery)
                else:
                    produce(topic, payload)
                break
            except BufferError:
                producer.poll(0.01)
    left = producer.flush(120)
    seconds = time.perf_counter() - start
    if left:
        raise RuntimeError(f"{left} records were not delivered")
    producer.close()
    return ProducerStats(records, records * record_size, seconds, latencies)


def batch_api_values(api: str, payloads: list[bytes], count: int) -> Any:
    """`count` records cycling through `payloads`, as the batch path takes them: a list of
    bytes, a numpy array (dtype 'S', or 2-D uint8 rows when a payload ends in a NUL byte,
    which dtype 'S' would drop) or a pyarrow binary array."""
    values = [payloads[i % len(payloads)] for i in range(count)]
    if api == "list":
        return values
    if api == "numpy":
        # numpy's OpenBLAS threads spin for a while after start-up; this run needs the cores.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        import numpy as np

        if any(v.endswith(b"\0") for v in payloads):
            size = len(payloads[0])
            return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(count, size)
        return np.array(values, dtype=f"S{len(payloads[0])}")
    if api == "arrow":
        import pyarrow as pa

        return pa.array(values, type=pa.binary())
    raise ValueError(f"unknown batch API input '{api}': list, numpy or arrow")


def run_batch_producer(
    conf: dict[str, Any],
    topic: str,
    records: int,
    record_size: int,
    payloads: list[bytes] | None = None,
    api: str = "list",
    chunk: int = BATCH_API_CHUNK,
) -> ProducerStats:
    """produce_batch() with columns of `chunk` records (a list, numpy or pyarrow array), no
    delivery callbacks; on a full queue, poll() briefly and go on where the call stopped."""
    from shoal import Producer

    payloads = payloads or [os.urandom(record_size)]
    chunk = max(1, min(chunk, records))
    values = batch_api_values(api, payloads, chunk)
    producer = Producer(conf)
    producer.produce(topic, payloads[0])  # looks the topic up once, outside the timing
    producer.flush(30)
    produce_batch = producer.produce_batch
    start = time.perf_counter()
    sent = 0
    while sent < records:
        n = min(chunk, records - sent)
        part = values if n == chunk else values[:n]
        done = produce_batch(topic, part)
        while done < n:
            producer.poll(0.001)
            done += produce_batch(topic, part[done:])
        sent += n
    left = producer.flush(120)
    seconds = time.perf_counter() - start
    if left:
        raise RuntimeError(f"{left} records were not delivered")
    producer.close()
    return ProducerStats(records, records * record_size, seconds)


def run_native_producer(
    conf: dict[str, Any],
    topic: str,
    records: int,
    record_size: int,
    throughput: int = -1,
    payloads: list[bytes] | None = None,
) -> ProducerStats:
    r = _core.perf.producer(conf, topic, records, record_size, throughput, payloads or [])
    if r["errors"]:
        raise RuntimeError(f"{r['errors']} records failed")
    return ProducerStats(r["records"], r["bytes"], r["seconds"], summary=r["latency_ms"])
