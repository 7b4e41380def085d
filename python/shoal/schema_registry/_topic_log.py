"""The registry's store: the compacted, replicated topic `_schemas` of a Shoal cluster.

It has one partition (one order for every write), ``cleanup.policy=compact`` (only the latest
record of each key is needed), replication factor min(3, brokers) and min.insync.replicas
min(2, replication factor), and writes use acks=all: a registration answered is on every
in-sync replica and survives the loss of its leader. The first registry to need it creates it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shoal._core import Consumer
from shoal._model import TopicPartition
from shoal.admin import AdminClient, NewTopic
from shoal.error import KafkaError, KafkaException
from shoal.schema_registry.error import SchemaRegistryError

log = logging.getLogger("shoal.schema_registry")

__all__ = ["TOPIC", "TopicLog"]

TOPIC = "_schemas"
_RETRIABLE = {
    KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError._TIMED_OUT,
}


def _backend_error(what: str, e: object) -> SchemaRegistryError:
    return SchemaRegistryError(500, 50001, f"Error in the backend data store: {what}: {e}")


class TopicLog:
    """A SchemaLog (see _registry.py) on the `_schemas` topic of the cluster at `bootstrap`."""

    def __init__(self, bootstrap: str, timeout: float = 30.0) -> None:
        self._timeout = timeout
        self.last_problem: str | None = None  # why the last append was not made, if retriable
        conf = {"bootstrap.servers": bootstrap}
        self._admin = AdminClient(conf)
        self._ensure_topic()
        self._consumer = Consumer(
            {
                **conf,
                "group.id": "shoal-schema-registry",  # only assign() is used: never joins
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
            }
        )
        self._tp = TopicPartition(TOPIC, 0)
        self._next = 0  # the offset of the next record to apply
        self._consumer.assign([TopicPartition(TOPIC, 0, 0)])

    def _ensure_topic(self) -> None:
        deadline = time.monotonic() + self._timeout
        while True:
            md = self._admin.list_topics(TOPIC, timeout=self._timeout)
            t = md.topics.get(TOPIC)
            if t is not None and t.error is None and t.partitions:
                if all(p.leader >= 0 for p in t.partitions.values()):
                    return
            elif t is None or (
                t.error is not None and t.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
            ):
                brokers = max(1, len(md.brokers))
                rf = min(3, brokers)
                topic = NewTopic(
                    TOPIC,
                    1,
                    rf,
                    config={
                        "cleanup.policy": "compact",
                        "min.insync.replicas": str(min(2, rf)),
                    },
                )
                try:
                    self._admin.create_topics([topic])[TOPIC].result(self._timeout)
                    log.info("created %s with replication factor %d", TOPIC, rf)
                except KafkaException as e:
                    if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise _backend_error(f"cannot create {TOPIC}", e) from None
            if time.monotonic() > deadline:
                raise _backend_error(f"{TOPIC} has no leader", "timed out")
            time.sleep(0.02)

    def catch_up(self, apply: Callable[[bytes | None, bytes | None], None]) -> int:
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                _, high = self._consumer.get_watermark_offsets(
                    self._tp, timeout=max(0.1, deadline - time.monotonic()), cached=False
                )
                break
            except KafkaException as e:
                # The leader may be moving (a broker died): ask again until the deadline.
                if time.monotonic() > deadline:
                    raise _backend_error(f"cannot read the end of {TOPIC}", e) from None
                time.sleep(0.05)
        while self._next < high:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _backend_error(f"reading {TOPIC}", f"timed out at offset {self._next}")
            # poll(), not consume(): consume() waits for a full batch, poll() returns each
            # record as soon as it is there.
            m = self._consumer.poll(min(left, 0.5))
            if m is not None:
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        # The end of what is committed: compaction may have removed the
                        # records between here and `high`.
                        self._next = max(self._next, m.offset())
                        continue
                    raise _backend_error(f"reading {TOPIC}", err)
                apply(m.key(), m.value())
                self._next = m.offset() + 1
        return max(self._next, high)

    def append_if_end(self, end: int, records: list[tuple[bytes, bytes | None]]) -> bool:
        try:
            code, message, _ = self._admin._admin.append_if_log_end(
                TOPIC, 0, end, [(k, v) for k, v in records], self._timeout
            )
        except KafkaException as e:
            raise _backend_error(f"writing {TOPIC}", e) from None
        if code == KafkaError._CONFLICT:
            self.last_problem = None
            return False
        if code in _RETRIABLE:
            # Not written (NOT_ENOUGH_REPLICAS: the ISR is short, as right after a restart),
            # or written but not known to be committed: the caller re-reads and decides again
            # until its deadline, which reports this.
            self.last_problem = f"{KafkaError(code).name()}: {message}"
            return False
        if code != 0:
            raise _backend_error(f"writing {TOPIC}", KafkaError(code, message or None))
        self.last_problem = None
        return True

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()
