#!/usr/bin/env python3
"""Consume records from a topic in a consumer group, as in Kafka's getting-started guides.

    python consumer.py [--topic T] [--group G] [--from-beginning] [--avro]
                       [--max-messages N] [--timeout S] [--bootstrap-server shm://default]

Prints each record's key, value, partition and offset. The group commits its offsets, so a
second run in the same group starts where the first stopped; --from-beginning (a new group's
auto.offset.reset=earliest) reads what was there before it started. Stops after
--max-messages records, after --timeout seconds without a record, or on Ctrl+C, closing the
consumer so the group rebalances at once. With --avro values are decoded with the schema
registry on the same cluster.
"""

from __future__ import annotations

import argparse
import sys
import time

from shoal import Consumer, DeserializingConsumer
from shoal.schema_registry import SchemaRegistryClient
from shoal.schema_registry.avro import AvroDeserializer
from shoal.serialization import StringDeserializer


def main() -> int:
    parser = argparse.ArgumentParser(description="Consume records from a topic.")
    parser.add_argument("--topic", default="orders")
    parser.add_argument("--group", default="example-consumers")
    parser.add_argument("--from-beginning", action="store_true")
    parser.add_argument("--avro", action="store_true", help="Avro values via the registry")
    parser.add_argument("--max-messages", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None, help="stop after S idle seconds")
    parser.add_argument("--bootstrap-server", default="shm://default")
    args = parser.parse_args()

    conf = {
        "bootstrap.servers": args.bootstrap_server,
        "group.id": args.group,
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
    }
    if args.avro:
        registry = SchemaRegistryClient({"url": args.bootstrap_server})
        consumer = DeserializingConsumer(
            {
                **conf,
                "key.deserializer": StringDeserializer(),
                "value.deserializer": AvroDeserializer(registry),
            }
        )
    else:
        consumer = Consumer(conf)
    consumer.subscribe([args.topic])
    print(f"Consuming {args.topic} in group {args.group} (Ctrl+C to stop)", flush=True)

    count = 0
    last = time.monotonic()
    try:
        while args.max_messages is None or count < args.max_messages:
            msg = consumer.poll(0.5)
            if msg is None:
                if args.timeout is not None and time.monotonic() - last > args.timeout:
                    break
                continue
            if msg.error():
                print(f"Error: {msg.error()}", file=sys.stderr)
                continue
            key = msg.key()
            value = msg.value()
            if not args.avro:
                key = key.decode() if key is not None else None
                value = value.decode() if value is not None else None
            print(
                f"Received key={key} value={value} "
                f"partition={msg.partition()} offset={msg.offset()}",
                flush=True,
            )
            count += 1
            last = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()  # commits the offsets and leaves the group
    print(f"Consumed {count} record(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
