"""The idempotent producer: producer ids from the controller, sequence numbers per partition,
and the leader answering a retried batch with the offsets it got the first time.

Responses are lost on purpose with the test-only producer property
test.lose.produce.responses=N (every Nth produce response is dropped after the broker acted
on it), which makes the producer send batches the log already has.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

import shoal
from conftest import create_topic


def read_everything(conf: dict[str, str], topic: str, partitions: int, at_least: int):
    """Every record of the topic: reads until at least `at_least` arrived and then nothing
    more comes for a while."""
    c = shoal.Consumer(conf)
    c.assign([shoal.TopicPartition(topic, p, shoal.OFFSET_BEGINNING) for p in range(partitions)])
    out: list[shoal.Message] = []
    deadline = time.monotonic() + 60
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        got = [m for m in c.consume(num_messages=10_000, timeout=0.2) if m.error() is None]
        out.extend(got)
        if got:
            quiet_since = time.monotonic()
        elif len(out) >= at_least and time.monotonic() - quiet_since > 1.0:
            break
    c.close()
    return out


def produce_numbered(producer: shoal.Producer, topic: str, n: int, partitions: int):
    """Produces values 0..n-1 round-robin over the partitions; returns the delivery reports
    as (value, error, partition, offset)."""
    reports: list[tuple[int, object, int, int]] = []

    def on_delivery(err, msg):
        reports.append((int(msg.value()), err, msg.partition(), msg.offset()))

    for i in range(n):
        while True:
            try:
                producer.produce(
                    topic, str(i).encode(), partition=i % partitions, on_delivery=on_delivery
                )
                break
            except BufferError:
                producer.poll(0.01)
        if i % 50 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    return reports


LOSSY = {
    "test.lose.produce.responses": 3,
    "linger.ms": 1,
    "batch.num.messages": 7,
    "retry.backoff.ms": 1,
}


def test_lost_responses_duplicate_records_without_idempotence(conf):
    # The control experiment: the fault injection does make the producer write twice.
    create_topic(conf, "plain", partitions=2)
    p = shoal.Producer({**conf, **LOSSY, "enable.idempotence": False, "acks": "all"})
    reports = produce_numbered(p, "plain", 300, 2)
    p.close()
    assert all(r[1] is None for r in reports)
    values = Counter(int(m.value()) for m in read_everything(conf, "plain", 2, 300))
    assert set(values) == set(range(300))
    assert sum(values.values()) > 300, "no response was lost: the fault injection is broken"


def test_lost_responses_never_duplicate_with_idempotence(conf):
    create_topic(conf, "idem", partitions=2)
    p = shoal.Producer({**conf, **LOSSY, "enable.idempotence": True})
    reports = produce_numbered(p, "idem", 300, 2)
    p.close()
    # Every record acknowledged exactly once, in order within its partition.
    assert sorted(r[0] for r in reports) == list(range(300))
    assert all(r[1] is None for r in reports), [r for r in reports if r[1]][:3]
    for part in (0, 1):
        acked = [r for r in reports if r[2] == part]
        assert [r[0] for r in acked] == sorted(r[0] for r in acked)
        assert [r[3] for r in acked] == list(range(len(acked)))
    # The log holds each exactly once, at the offset its report gave.
    log = read_everything(conf, "idem", 2, 300)
    assert len(log) == 300
    where = {(m.partition(), m.offset()): int(m.value()) for m in log}
    for value, _, part, off in reports:
        assert where[(part, off)] == value


def test_idempotence_requires_acks_all_and_at_most_five_in_flight(conf):
    for bad in (
        {"acks": "1"},
        {"acks": "0"},
        {"max.in.flight.requests.per.connection": 6},
        {"retries": 0},
    ):
        with pytest.raises(shoal.KafkaException) as ei:
            shoal.Producer({**conf, "enable.idempotence": True, **bad})
        assert ei.value.args[0].code() == shoal.KafkaError._INVALID_ARG
        assert "enable.idempotence" in str(ei.value)
    # Unset, they get the values idempotence needs.
    shoal.Producer({**conf, "enable.idempotence": True}).close()


def test_a_producer_keeps_going_after_its_batches_time_out(cluster1, conf):
    # Batches that time out after they were sent may or may not be in the log: the producer
    # starts a new epoch for their partition, and what it sends next is neither refused nor
    # written twice.
    create_topic(conf, "stall", partitions=1)
    p = shoal.Producer(
        {
            **conf,
            "enable.idempotence": True,
            "linger.ms": 0,
            "delivery.timeout.ms": 1500,
            "request.timeout.ms": 500,
        }
    )
    first = produce_numbered(p, "stall", 50, 1)
    assert all(r[1] is None for r in first)
    cluster1.pause(1)
    try:
        failed: list = []
        for i in range(50, 60):
            p.produce("stall", str(i).encode(), on_delivery=lambda e, m: failed.append(e))
        assert p.flush(30) == 0
        assert len(failed) == 10
        assert all(e is not None and e.code() == shoal.KafkaError._MSG_TIMED_OUT for e in failed)
    finally:
        cluster1.resume(1)
    later: list = []
    for i in range(60, 160):
        p.produce(
            "stall", str(i).encode(), on_delivery=lambda e, m: later.append((e, int(m.value())))
        )
    assert p.flush(30) == 0
    p.close()
    assert [e for e, _ in later if e is not None] == []
    values = Counter(int(m.value()) for m in read_everything(conf, "stall", 1, 150))
    assert all(n == 1 for n in values.values()), [v for v, n in values.items() if n > 1]
    assert set(range(50)) | set(range(60, 160)) <= set(values)
