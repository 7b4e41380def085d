#!/usr/bin/env python3
"""Produce records to a topic, as in Kafka's getting-started guides.

    python producer.py [--topic T] [--count N] [--avro] [--bootstrap-server shm://default]

Each record is a small order with a key (the customer). Delivery reports print the partition
and offset each record was written to. With --avro the value is an Avro record, serialized
with the schema registry (SchemaRegistryClient on the same cluster) in Confluent's wire format.

The code is confluent-kafka-python's: replace `shoal` with `confluent_kafka` and the bootstrap
server with host:port and it runs against a Kafka cluster. Without --bootstrap-server the
cluster is $SHOAL_BOOTSTRAP if set (as for the `shoal` tools), else shm://default.
"""

from __future__ import annotations

import argparse
import os
import random
import sys

from shoal import Producer, SerializingProducer
from shoal.schema_registry import SchemaRegistryClient
from shoal.schema_registry.avro import AvroSerializer
from shoal.serialization import StringSerializer

ORDER_SCHEMA = """
{
  "type": "record",
  "name": "Order",
  "namespace": "examples",
  "fields": [
    {"name": "id", "type": "int"},
    {"name": "customer", "type": "string"},
    {"name": "item", "type": "string"},
    {"name": "quantity", "type": "int", "default": 1}
  ]
}
"""

CUSTOMERS = ["alice", "bob", "carol", "dave", "erin"]
ITEMS = ["book", "pen", "lamp", "mug", "desk"]

failed = []  # records whose delivery report was an error


def delivery_report(err, msg):
    """Called once per record, from poll() or flush(): the broker's answer."""
    if err is not None:
        print(f"Delivery failed for {msg.key()}: {err}", file=sys.stderr)
        failed.append(msg)
    else:
        print(f"Delivered to {msg.topic()} [{msg.partition()}] at offset {msg.offset()}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Produce orders to a topic.")
    parser.add_argument("--topic", default="orders", help="default: orders")
    parser.add_argument("--count", type=int, default=10, help="how many records (default 10)")
    parser.add_argument("--avro", action="store_true", help="Avro values via the registry")
    parser.add_argument(
        "--bootstrap-server",
        default=os.environ.get("SHOAL_BOOTSTRAP", "shm://default"),
        help="the cluster (default: $SHOAL_BOOTSTRAP, else shm://default)",
    )
    args = parser.parse_args()

    conf = {"bootstrap.servers": args.bootstrap_server, "acks": "all"}
    if args.avro:
        # The registry lives in the cluster itself: its url is the bootstrap server.
        registry = SchemaRegistryClient({"url": args.bootstrap_server})
        producer = SerializingProducer(
            {
                **conf,
                "key.serializer": StringSerializer(),
                "value.serializer": AvroSerializer(registry, ORDER_SCHEMA),
            }
        )
    else:
        producer = Producer(conf)

    sent = 0
    try:
        for i in range(args.count):
            customer = random.choice(CUSTOMERS)
            order = {"id": i, "customer": customer, "item": random.choice(ITEMS)}
            order["quantity"] = i % 3 + 1
            value = order if args.avro else f"{order['item']} x{order['quantity']}"
            print(f"Sending key={customer} value={value}")
            producer.produce(args.topic, key=customer, value=value, on_delivery=delivery_report)
            sent += 1
            producer.poll(0)  # serve delivery reports of earlier records
    except KeyboardInterrupt:
        print("Interrupted: delivering what was sent", file=sys.stderr)
    remaining = producer.flush(30)  # waits for every delivery report
    if remaining or failed:
        print(f"{remaining + len(failed)} record(s) not delivered", file=sys.stderr)
        return 1
    print(f"Produced {sent} record(s) to {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
