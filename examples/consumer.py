#!/usr/bin/env python3
"""Consume records from a topic in a consumer group, as in Kafka's getting-started guides.

    python consumer.py [--topic T] [--group G] [--from-beginning] [--avro]
                       [--max-messages N] [--timeout S] [--bootstrap-server shm://default]

Prints each record's key, value, partition and offset. The group commits its offsets, so a
second run in the same group starts where the first stopped; --from-beginning (a new group's
auto.offset.reset=earliest) reads what was there before it started. Stops after
--max-messages records, after --timeout seconds without a record, or on Ctrl+C, closing the
consumer so that it commits its offsets and the group rebalances at once. With --avro values
are decoded with the schema registry on the same cluster.

The code is confluent-kafka-python's: replace `shoal` with `confluent_kafka` and the bootstrap
server with host:port and it runs against a Kafka cluster. Without --bootstrap-server the
cluster is $SHOAL_BOOTSTRAP if set (as for the `shoal` tools), else shm://default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from shoal import Consumer, DeserializingConsumer
from shoal.error import ConsumeError
from shoal.schema_registry import SchemaRegistryClient
from shoal.schema_registry.avro import AvroDeserializer
from shoal.serialization import StringDeserializer


def print_assignment(consumer, partitions):
    """Called from poll() when the group gives this consumer its partitions."""
    names = ", ".join(f"{p.topic} [{p.partition}]" for p in partitions)
    print(f"Assigned: {names or 'nothing'}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Consume records from a topic.")
    parser.add_argument("--topic", default="orders", help="default: orders")
    parser.add_argument("--group", default="example-consumers", help="the consumer group")
    parser.add_argument(
        "--from-beginning", action="store_true", help="a new group starts at the oldest record"
    )
    parser.add_argument("--avro", action="store_true", help="Avro values via the registry")
    parser.add_argument("--max-messages", type=int, default=None, help="stop after N records")
    parser.add_argument("--timeout", type=float, default=None, help="stop after S idle seconds")
    parser.add_argument(
        "--bootstrap-server",
        default=os.environ.get("SHOAL_BOOTSTRAP", "shm://default"),
        help="the cluster (default: $SHOAL_BOOTSTRAP, else shm://default)",
    )
    args = parser.parse_args()

    conf = {
        "bootstrap.servers": args.bootstrap_server,
        "group.id": args.group,
        # Where a group without committed offsets starts; a group that committed goes on
        # from its commits either way.
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
    }
    if args.avro:
        # The registry lives in the cluster itself: its url is the bootstrap server.
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

    count = 0
    try:
        consumer.subscribe([args.topic], on_assign=print_assignment)
        print(f"Consuming {args.topic} in group {args.group} (Ctrl+C to stop)", flush=True)
        last = time.monotonic()
        while args.max_messages is None or count < args.max_messages:
            try:
                msg = consumer.poll(0.5)
            except ConsumeError as e:
                # DeserializingConsumer raises where Consumer returns an error message, e.g.
                # for a value that is not Avro: that record is skipped.
                m = e.kafka_message
                where = f"{m.topic()} [{m.partition()}] offset {m.offset()}" if m else "?"
                print(f"Error at {where}: {e}", file=sys.stderr, flush=True)
                continue
            if msg is None:
                if args.timeout is not None and time.monotonic() - last > args.timeout:
                    break
                continue
            if msg.error():
                print(f"Error: {msg.error()}", file=sys.stderr, flush=True)
                continue
            key = msg.key()
            value = msg.value()
            if not args.avro:
                key = key.decode(errors="replace") if key is not None else None
                value = value.decode(errors="replace") if value is not None else None
            print(
                f"Received key={key} value={value} "
                f"partition={msg.partition()} offset={msg.offset()}",
                flush=True,
            )
            count += 1
            last = time.monotonic()
    except KeyboardInterrupt:
        print("Interrupted", file=sys.stderr, flush=True)
    finally:
        consumer.close()  # commits the offsets and leaves the group
    print(f"Consumed {count} record(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
