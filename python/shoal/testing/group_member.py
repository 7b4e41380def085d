"""One consumer group member in a process of its own, for tests that kill, freeze and restart
members (Shoal's own: test_consumer_group_failures.py).

    python -m shoal.testing.group_member BOOTSTRAP GROUP TOPIC... [--conf KEY=VALUE]...
        [--commit MODE] [--batch N] [--crash-after N] [--stop-file PATH]

It subscribes, consumes batches, "processes" each record by reporting it, and commits the
offsets after the batch synchronously: after processing (--commit after, at-least-once) or
before it (--commit before, at-most-once). Everything it does is one JSON object per line on
stdout, flushed at once, each with "ev" and "t" = time.monotonic(). On Linux that is
CLOCK_MONOTONIC, one clock for every process of the host, so the test can order the lines of
different members.

  {"ev": "ready", "pid": P}
  {"ev": "assign", "parts": [[topic, partition], ...], "member": ID}    when on_assign starts
  {"ev": "revoke" | "lost", "parts": [...], "member": ID}              when the callback ends
      A member's ownership interval [assign, revoke] thus encloses all it did with a partition.
  {"ev": "recs", "recs": [[topic, partition, offset, value], ...]}     records processed
  {"ev": "error", "name": NAME}                                        an error event from consume()
  {"ev": "commit", "offsets": [[topic, partition, offset], ...], "errors": [NAME|null, ...]}
      per partition, or "error": NAME when the whole request failed
  {"ev": "crashing", "recs": [...]}   --crash-after: the batch between commit and processing,
                                      then SIGKILL on itself
  {"ev": "stopping"}                  --stop-file: between processing and commit, then SIGSTOP
                                      on itself; the test sends SIGCONT
  {"ev": "closed"}                    after SIGTERM: close() (commits nothing: auto-commit off
                                      unless --conf turns it on) and exit 0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

import shoal


def emit(ev: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"ev": ev, "t": time.monotonic(), **fields}) + "\n")
    sys.stdout.flush()


def parts_of(partitions: list[shoal.TopicPartition]) -> list[list[object]]:
    return [[tp.topic, tp.partition] for tp in partitions]


def error_name(err: object) -> str:
    name = getattr(err, "name", None)
    return name() if callable(name) else str(err)


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m shoal.testing.group_member")
    ap.add_argument("bootstrap")
    ap.add_argument("group")
    ap.add_argument("topics", nargs="+")
    ap.add_argument("--conf", action="append", default=[], help="a client property KEY=VALUE")
    ap.add_argument("--commit", choices=("after", "before"), default="after")
    ap.add_argument("--batch", type=int, default=100, help="consume() at most this many")
    ap.add_argument(
        "--crash-after",
        type=int,
        default=-1,
        help="once this many records were processed, SIGKILL itself in the next non-empty "
        "batch, between its commit and its processing",
    )
    ap.add_argument(
        "--stop-file",
        default=None,
        help="once this file exists, SIGSTOP itself in the next non-empty batch, between its "
        "processing and its commit (once)",
    )
    args = ap.parse_args()

    conf: dict[str, object] = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    for kv in args.conf:
        k, _, v = kv.partition("=")
        conf[k] = v

    stopping = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)

    consumer = shoal.Consumer(conf)
    owned: set[tuple[str, int]] = set()

    def on_assign(c: shoal.Consumer, partitions: list[shoal.TopicPartition]) -> None:
        emit("assign", parts=parts_of(partitions), member=c.memberid())
        owned.update((tp.topic, tp.partition) for tp in partitions)

    def on_revoke(c: shoal.Consumer, partitions: list[shoal.TopicPartition]) -> None:
        owned.difference_update((tp.topic, tp.partition) for tp in partitions)
        emit("revoke", parts=parts_of(partitions), member=c.memberid())

    def on_lost(c: shoal.Consumer, partitions: list[shoal.TopicPartition]) -> None:
        owned.difference_update((tp.topic, tp.partition) for tp in partitions)
        emit("lost", parts=parts_of(partitions), member=c.memberid())

    consumer.subscribe(args.topics, on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    emit("ready", pid=os.getpid())

    def commit(batch: list[tuple[str, int, int, str]]) -> None:
        ends: dict[tuple[str, int], int] = {}
        for topic, partition, offset, _ in batch:
            ends[(topic, partition)] = max(ends.get((topic, partition), 0), offset + 1)
        offsets = [shoal.TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())]
        listed = [[t, p, o] for (t, p), o in sorted(ends.items())]
        try:
            result = consumer.commit(offsets=offsets, asynchronous=False)
        except shoal.KafkaException as e:
            emit("commit", offsets=listed, error=error_name(e.args[0]))
            return
        emit(
            "commit",
            offsets=[[tp.topic, tp.partition, tp.offset] for tp in result],
            errors=[None if tp.error is None else error_name(tp.error) for tp in result],
        )

    processed = 0
    stopped_once = False
    while not stopping:
        msgs = consumer.consume(args.batch, 0.1)
        for m in msgs:
            if m.error() is not None:
                emit("error", name=error_name(m.error()))
        batch = [
            (m.topic(), m.partition(), m.offset(), (m.value() or b"").decode())
            for m in msgs
            if m.error() is None
        ]
        if not batch:
            continue
        crash = 0 <= args.crash_after <= processed
        if args.commit == "before":
            commit(batch)
            if crash:
                emit("crashing", recs=batch)
                os.kill(os.getpid(), signal.SIGKILL)
            emit("recs", recs=batch)
        else:
            emit("recs", recs=batch)
            if crash:
                emit("crashing", recs=batch)
                os.kill(os.getpid(), signal.SIGKILL)
            if args.stop_file and not stopped_once and os.path.exists(args.stop_file):
                stopped_once = True
                emit("stopping")
                os.kill(os.getpid(), signal.SIGSTOP)
            commit(batch)
        processed += len(batch)
    consumer.close()
    emit("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
