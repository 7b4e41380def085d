"""Consumer groups: subscribe(), rebalances between members, committed offsets."""

from __future__ import annotations

import time

import pytest

import shoal
from conftest import create_topic, wait_for

GROUP_CONF = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 100}


def produce(conf: dict, topic: str, n: int, partitions: int, start: int = 0) -> None:
    p = shoal.Producer(conf)
    for i in range(start, start + n):
        p.produce(topic, str(i).encode(), partition=i % partitions)
    assert p.flush(30) == 0
    p.close()


def drain(consumer: shoal.Consumer, want: int, timeout: float = 30) -> list[shoal.Message]:
    got: list[shoal.Message] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got.extend(m for m in consumer.consume(1000, 0.1) if m.error() is None)
    return got


def test_a_group_member_reads_everything_and_resumes_from_its_commit(conf):
    create_topic(conf, "g1", partitions=3)
    produce(conf, "g1", 300, 3)
    assigned: list = []
    c = shoal.Consumer(
        {
            **conf,
            **GROUP_CONF,
            "group.id": "readers",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe(["g1"], on_assign=lambda cons, parts: assigned.extend(parts))
    got = drain(c, 300)
    assert sorted(int(m.value()) for m in got) == list(range(300))
    assert sorted(tp.partition for tp in assigned) == [0, 1, 2]
    assert c.memberid()
    result = c.commit(asynchronous=False)
    assert sorted((tp.partition, tp.offset) for tp in result) == [(0, 100), (1, 100), (2, 100)]
    assert all(tp.error is None for tp in result)
    committed = c.committed([shoal.TopicPartition("g1", p) for p in range(3)])
    assert [tp.offset for tp in committed] == [100, 100, 100]
    c.close()

    produce(conf, "g1", 30, 3, start=300)
    c2 = shoal.Consumer(
        {**conf, **GROUP_CONF, "group.id": "readers", "auto.offset.reset": "earliest"}
    )
    c2.subscribe(["g1"])
    got = drain(c2, 30)
    assert sorted(int(m.value()) for m in got) == list(range(300, 330))
    c2.close()


def test_two_groups_each_get_every_record(conf):
    create_topic(conf, "g2", partitions=2)
    produce(conf, "g2", 100, 2)
    consumers = []
    for g in ("first", "second"):
        c = shoal.Consumer({**conf, **GROUP_CONF, "group.id": g, "auto.offset.reset": "earliest"})
        c.subscribe(["g2"])
        consumers.append(c)
    for c in consumers:
        assert sorted(int(m.value()) for m in drain(c, 100)) == list(range(100))
        c.close()


def test_members_share_the_partitions_and_take_over_when_one_leaves(conf):
    create_topic(conf, "g3", partitions=6)
    members = []
    for _ in range(3):
        c = shoal.Consumer(
            {**conf, **GROUP_CONF, "group.id": "sharers", "auto.offset.reset": "earliest"}
        )
        c.subscribe(["g3"])
        members.append(c)

    def spread() -> list[int]:
        for c in members:
            c.poll(0.05)
        return sorted(len(c.assignment()) for c in members)

    wait_for(lambda: spread() == [2, 2, 2], 30, "6 partitions over 3 members")
    owned = [tp for c in members for tp in c.assignment()]
    assert len(set((tp.topic, tp.partition) for tp in owned)) == 6
    members.pop().close()  # leaves the group
    wait_for(lambda: spread() == [3, 3], 30, "the leaver's partitions taken over")
    for c in members:
        c.close()


def test_subscribe_needs_a_group_id(conf):
    c = shoal.Consumer(conf)
    with pytest.raises(shoal.KafkaException) as ei:
        c.subscribe(["anything"])
    assert ei.value.args[0].code() == shoal.KafkaError._INVALID_ARG
    c.close()


def test_pause_hands_out_nothing_and_resume_continues_from_the_position(conf):
    create_topic(conf, "pz", partitions=2)
    produce(conf, "pz", 200, 2)
    c = shoal.Consumer(conf)
    c.assign([shoal.TopicPartition("pz", p, shoal.OFFSET_BEGINNING) for p in range(2)])
    first = drain(c, 20)
    c.pause([shoal.TopicPartition("pz", 0)])
    while_paused = drain(c, 10_000, timeout=1.5)
    assert all(m.partition() == 1 for m in while_paused)
    c.resume([shoal.TopicPartition("pz", 0)])
    after = drain(c, 200 - len(first) - len(while_paused))
    values = [int(m.value()) for m in first + while_paused + after]
    assert sorted(values) == list(range(200))  # each exactly once
    c.close()


def test_offsets_for_times_finds_the_first_record_at_or_after(conf):
    create_topic(conf, "ts", partitions=1)
    p = shoal.Producer(conf)
    for i in range(100):
        p.produce("ts", b"x", partition=0, timestamp=1_000_000 + 10 * i)
    assert p.flush(30) == 0
    c = shoal.Consumer(conf)
    got = c.offsets_for_times(
        [shoal.TopicPartition("ts", 0, 1_000_500), shoal.TopicPartition("ts", 0, 1_000_505)]
    )
    assert [tp.offset for tp in got] == [50, 51]
    later = c.offsets_for_times([shoal.TopicPartition("ts", 0, 9_000_000_000_000)])
    assert later[0].offset == -1
    c.close()


def test_partition_eof_and_isolation_level_under_a_subscription(conf):
    """enable.partition.eof reports the end of every assigned partition once per catch-up, and
    isolation.level=read_committed is accepted (there are no transactions, so every record is
    committed data and the last stable offset is the high watermark)."""
    create_topic(conf, "g-eof", partitions=3)
    produce(conf, "g-eof", 30, 3)
    c = shoal.Consumer(
        {
            **conf,
            **GROUP_CONF,
            "group.id": "eof-readers",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    c.subscribe(["g-eof"])
    values: list[int] = []
    eofs: dict[int, int] = {}

    def read_until_eofs() -> bool:
        for m in c.consume(100, 0.1):
            if m.error() is None:
                values.append(int(m.value()))
            else:
                assert m.error().code() == shoal.KafkaError._PARTITION_EOF, m.error()
                eofs[m.partition()] = m.offset()
        return len(eofs) == 3

    wait_for(read_until_eofs, 30, "an EOF event for every assigned partition")
    assert sorted(values) == list(range(30))
    assert eofs == {0: 10, 1: 10, 2: 10}
    # New records in every partition, then the end again: one more EOF each.
    eofs.clear()
    produce(conf, "g-eof", 3, 3, start=30)  # one each
    wait_for(read_until_eofs, 30, "EOF again after new records")
    assert sorted(values) == list(range(33))
    assert eofs == {0: 11, 1: 11, 2: 11}
    c.close()


def test_members_hear_of_a_rebalance_when_it_starts_not_at_their_next_heartbeat(conf):
    """The coordinator holds each heartbeat for heartbeat.interval.ms and answers it as soon as
    the group starts to rebalance. With a 20 s heartbeat interval, a member that joins gets
    its share (and the first member gives its share up) long before anyone's next heartbeat
    would have told them; and close() does not wait for a held heartbeat."""
    create_topic(conf, "g-held", partitions=4)
    slow = {
        **conf,
        "group.id": "held",
        "session.timeout.ms": 60_000,
        "heartbeat.interval.ms": 20_000,
        "auto.offset.reset": "earliest",
    }
    a = shoal.Consumer(slow)
    a.subscribe(["g-held"])
    wait_for(lambda: a.poll(0.05) is None and len(a.assignment()) == 4, 30, "a to own all")
    # a's heartbeat is now held at the coordinator for up to 20 s.
    b = shoal.Consumer(slow)
    b.subscribe(["g-held"])
    start = time.monotonic()

    def split() -> bool:
        a.poll(0.02)
        b.poll(0.02)
        return len(a.assignment()) == 2 and len(b.assignment()) == 2

    wait_for(split, 15, "the rebalance to complete before the next 20 s heartbeat")
    took = time.monotonic() - start
    print(f"\nrebalance after a join with heartbeat.interval.ms=20000: {took * 1000:.0f} ms")
    start = time.monotonic()
    b.close()
    a.close()
    assert time.monotonic() - start < 15, "close() waited for a held heartbeat"
