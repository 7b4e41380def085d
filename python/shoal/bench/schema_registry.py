"""``python -m shoal.bench schema-registry``: what the registry and the Avro serdes cost.

On its own 3-broker cluster: registering new schemas (each a conditional append to `_schemas`
with acks=all) through the in-process client and through ``shoal schema-registry`` over HTTP;
reading the latest version; and records per second through SerializingProducer with
AvroSerializer and DeserializingConsumer with AvroDeserializer, next to the same records as
raw bytes.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import shoal
from shoal.schema_registry import Schema, SchemaRegistryClient
from shoal.schema_registry.avro import AvroDeserializer, AvroSerializer
from shoal.schema_registry.server import RegistryServer

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Click",
        "namespace": "bench",
        "fields": [
            {"name": "user", "type": "string"},
            {"name": "page", "type": "string"},
            {"name": "ms", "type": "long"},
            {"name": "score", "type": "double"},
        ],
    }
)


def _ms(samples: list[float]) -> str:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return f"median {statistics.median(s) * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms"


def _register(sr: SchemaRegistryClient, prefix: str, n: int) -> list[float]:
    times = []
    for i in range(n):
        s = Schema(json.dumps({"type": "enum", "name": "E", "symbols": [f"{prefix}{i}"]}))
        t = time.perf_counter()
        sr.register_schema(f"{prefix}-{i % 10}", s)
        times.append(time.perf_counter() - t)
    return times


def _produce(conf: dict[str, Any], topic: str, values: list[Any], serializer: Any) -> float:
    p = shoal.SerializingProducer({**conf, "acks": "1", "value.serializer": serializer})
    t = time.perf_counter()
    for v in values:
        while True:
            try:
                p.produce(topic, value=v)
                break
            except BufferError:
                p.poll(0.01)
    p.flush(60)
    return len(values) / (time.perf_counter() - t)


def _consume(conf: dict[str, Any], topic: str, n: int, deserializer: Any) -> float:
    c = shoal.DeserializingConsumer(
        {
            **conf,
            "group.id": f"bench-{topic}-{id(deserializer)}",
            "auto.offset.reset": "earliest",
            "value.deserializer": deserializer,
        }
    )
    c.subscribe([topic])
    got = 0
    t = None
    while got < n:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            if t is None:
                t = time.perf_counter()
            got += 1
    rate = (n - 1) / (time.perf_counter() - (t or time.perf_counter()))
    c.close()
    return rate


def run(schemas: int, records: int) -> int:
    print(f"schema-registry: 3 brokers, {schemas} new schemas per client, {records:,} records")
    with shoal.Cluster(brokers=3) as cluster:
        conf = {"bootstrap.servers": cluster.bootstrap_servers}
        admin = shoal.AdminClient(conf)
        topics = [shoal.NewTopic(t, 1, 1) for t in ("avro", "raw")]
        for f in admin.create_topics(topics).values():
            f.result(30)
        sr = SchemaRegistryClient({"url": cluster.bootstrap_servers})
        sr.set_compatibility(level="NONE")
        print(f"  register (shm://, in-process): {_ms(_register(sr, 'shm', schemas))}")
        with RegistryServer(cluster.bootstrap_servers, port=0) as server:
            http = SchemaRegistryClient({"url": server.url})
            print(f"  register (http://):            {_ms(_register(http, 'http', schemas))}")
        reads = []
        for i in range(schemas):
            t = time.perf_counter()
            sr.get_latest_version(f"shm-{i % 10}")
            reads.append(time.perf_counter() - t)
        print(f"  get_latest_version (shm://):   {_ms(reads)}")

        values = [
            {"user": f"user-{i % 1000}", "page": "/index.html", "ms": i, "score": i / 7}
            for i in range(records)
        ]
        ser = AvroSerializer(sr, SCHEMA)
        avro_out = _produce(conf, "avro", values, ser)
        raw_values = [json.dumps(v).encode() for v in values]
        raw_out = _produce(conf, "raw", raw_values, None)
        avro_in = _consume(conf, "avro", records, AvroDeserializer(sr))
        raw_in = _consume(conf, "raw", records, None)
        print(f"  produce, AvroSerializer:       {avro_out:,.0f} records/s")
        print(f"  produce, raw bytes:            {raw_out:,.0f} records/s")
        print(f"  consume, AvroDeserializer:     {avro_in:,.0f} records/s")
        print(f"  consume, raw bytes:            {raw_in:,.0f} records/s")
        sr.close()
        admin.close()
    return 0
