"""AdminClient's consumer-group calls and list_offsets, with confluent-kafka's types, and
the lag per partition and member that `shoal consumer-groups --describe` prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import shoal
from conftest import create_topic, wait_for
from shoal.admin import (
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    OffsetSpec,
)

GROUP_CONF = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 100}


def produce(conf: dict, topic: str, counts: list[int]) -> None:
    p = shoal.Producer(conf)
    for partition, n in enumerate(counts):
        for i in range(n):
            p.produce(topic, f"{partition}-{i}".encode(), partition=partition, timestamp=1000 + i)
    assert p.flush(30) == 0
    p.close()


def member(conf: dict, group: str, topic: str, **extra: object) -> shoal.Consumer:
    c = shoal.Consumer(
        {
            **conf,
            **GROUP_CONF,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **extra,
        }
    )
    c.subscribe([topic])
    return c


def read(c: shoal.Consumer, n: int) -> list[shoal.Message]:
    got: list[shoal.Message] = []

    def more() -> bool:
        got.extend(m for m in c.consume(100, 0.1) if m.error() is None)
        return len(got) >= n

    wait_for(more, 30, f"{n} records")
    return got


def test_list_offsets_earliest_latest_and_by_time(conf):
    create_topic(conf, "lo", partitions=2)
    produce(conf, "lo", [5, 3])
    admin = shoal.AdminClient(conf)
    tp0, tp1 = shoal.TopicPartition("lo", 0), shoal.TopicPartition("lo", 1)
    fs = admin.list_offsets(
        {tp0: OffsetSpec.latest(), tp1: OffsetSpec.earliest()},
        isolation_level=IsolationLevel.READ_COMMITTED,
        request_timeout=30,
    )
    assert fs[tp0].result().offset == 5
    assert fs[tp1].result().offset == 0
    at = admin.list_offsets({tp0: OffsetSpec.for_timestamp(1003)})[tp0].result()
    assert (at.offset, at.timestamp) == (3, 1003)
    newest = admin.list_offsets({tp0: OffsetSpec.max_timestamp()})[tp0].result()
    assert (newest.offset, newest.timestamp) == (4, 1004)
    # A partition that does not exist fails on its own; the others still answer.
    bad = shoal.TopicPartition("lo", 9)
    fs = admin.list_offsets({bad: OffsetSpec.latest(), tp1: OffsetSpec.latest()})
    assert fs[tp1].result().offset == 3
    with pytest.raises(shoal.KafkaException) as e:
        fs[bad].result()
    assert e.value.args[0].code() == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    with pytest.raises(TypeError):
        admin.list_offsets({tp0: -1})
    with pytest.raises(ValueError):
        OffsetSpec.for_timestamp(-5)
    admin.close()


def test_describe_list_and_lag_per_member_and_partition(conf):
    create_topic(conf, "lag", partitions=4)
    produce(conf, "lag", [10, 10, 10, 10])
    a = member(conf, "laggers", "lag", **{"client.id": "first"})
    b = member(conf, "laggers", "lag", **{"client.id": "second"})
    admin = shoal.AdminClient(conf)

    def stable_with_two() -> object:
        d = admin.describe_consumer_groups(["laggers"])["laggers"].result()
        parts = sum(len(m.assignment.topic_partitions) for m in d.members)
        return (
            d
            if d.state == ConsumerGroupState.STABLE and len(d.members) == 2 and parts == 4
            else None
        )

    # Both members must poll for the rebalance to complete.
    def settled() -> object:
        a.poll(0.05)
        b.poll(0.05)
        if len(a.assignment()) + len(b.assignment()) != 4:
            return None
        return stable_with_two()

    d = wait_for(settled, 30, "a stable group of two sharing 4 partitions")
    assert d.partition_assignor == "range"
    assert not d.is_simple_consumer_group
    assert d.coordinator.id >= 0
    assert {m.client_id for m in d.members} == {"first", "second"}
    assert all(m.host == f"/pid:{os.getpid()}" for m in d.members)
    owner = {
        (tp.topic, tp.partition): m.member_id
        for m in d.members
        for tp in m.assignment.topic_partitions
    }
    assert sorted(owner) == [("lag", p) for p in range(4)]

    # Commit: partition p at offset 2p+1 (nothing committed for the partitions b owns).
    a_parts = [tp for tp in a.assignment()]
    a.commit(
        offsets=[shoal.TopicPartition("lag", tp.partition, 2 * tp.partition + 1) for tp in a_parts],
        asynchronous=False,
    )
    committed = (
        admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("laggers")])["laggers"]
        .result()
        .topic_partitions
    )
    assert [(tp.partition, tp.offset) for tp in committed] == sorted(
        (tp.partition, 2 * tp.partition + 1) for tp in a_parts
    )
    asked = admin.list_consumer_group_offsets(
        [
            ConsumerGroupTopicPartitions(
                "laggers", [shoal.TopicPartition("lag", p) for p in range(4)]
            )
        ]
    )["laggers"].result()
    by_part = {tp.partition: tp.offset for tp in asked.topic_partitions}
    for p in range(4):
        assert by_part[p] == (
            2 * p + 1
            if ("lag", p) in {(t.topic, t.partition) for t in a_parts}
            else shoal.OFFSET_INVALID
        )

    rows = admin.list_consumer_group_lag("laggers")
    assert [(r.topic, r.partition) for r in rows] == [("lag", p) for p in range(4)]
    for r in rows:
        assert r.log_end_offset == 10
        assert r.member_id == owner[("lag", r.partition)]
        if r.current_offset is None:
            assert r.lag is None
        else:
            assert r.lag == 10 - r.current_offset

    listed = admin.list_consumer_groups().result()
    assert "laggers" in [g.group_id for g in listed.valid]
    assert listed.errors == []
    stable_only = admin.list_consumer_groups(states={ConsumerGroupState.EMPTY}).result()
    assert "laggers" not in [g.group_id for g in stable_only.valid]

    # A live group cannot be deleted or have its offsets altered from outside.
    with pytest.raises(shoal.KafkaException) as e:
        admin.delete_consumer_groups(["laggers"])["laggers"].result()
    assert e.value.args[0].code() == shoal.KafkaError.NON_EMPTY_GROUP
    a.close()
    b.close()

    # Empty now: the offsets stay, the owners go; altering and deleting work.
    wait_for(
        lambda: (
            admin.describe_consumer_groups(["laggers"])["laggers"].result().state
            == ConsumerGroupState.EMPTY
        ),
        30,
        "the group to be empty",
    )
    rows = admin.list_consumer_group_lag("laggers")
    assert all(r.member_id is None for r in rows)
    altered = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions("laggers", [shoal.TopicPartition("lag", 3, 7)])]
    )["laggers"].result()
    assert [(tp.partition, tp.offset, tp.error) for tp in altered.topic_partitions] == [
        (3, 7, None)
    ]
    lag3 = next(r for r in admin.list_consumer_group_lag("laggers") if r.partition == 3)
    assert (lag3.current_offset, lag3.lag) == (7, 3)
    admin.delete_consumer_groups(["laggers"])["laggers"].result()
    gone = admin.describe_consumer_groups(["laggers"])["laggers"].result()
    assert gone.state == ConsumerGroupState.DEAD and gone.members == []
    with pytest.raises(shoal.KafkaException) as e:
        admin.delete_consumer_groups(["laggers"])["laggers"].result()
    assert e.value.args[0].code() == shoal.KafkaError.GROUP_ID_NOT_FOUND
    admin.close()


def test_group_calls_refuse_bad_arguments(conf):
    admin = shoal.AdminClient(conf)
    with pytest.raises(TypeError):
        admin.describe_consumer_groups("g")
    with pytest.raises(ValueError):
        admin.describe_consumer_groups([])
    with pytest.raises(ValueError):
        admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("a"), ConsumerGroupTopicPartitions("b")]
        )
    with pytest.raises(ValueError):
        admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("a", [shoal.TopicPartition("t", 0, -1)])]
        )
    with pytest.raises(TypeError):
        admin.list_consumer_groups(states={"Stable"})
    admin.close()


def shoal_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_consumer_groups_cli_lists_describes_and_deletes(conf):
    create_topic(conf, "cli-lag", partitions=2)
    produce(conf, "cli-lag", [6, 4])
    c = member(conf, "cli-group", "cli-lag", **{"client.id": "reader"})
    read(c, 10)
    c.commit(
        offsets=[shoal.TopicPartition("cli-lag", 0, 6), shoal.TopicPartition("cli-lag", 1, 1)],
        asynchronous=False,
    )
    bs = conf["bootstrap.servers"]

    out = shoal_cli("consumer-groups", "--bootstrap-server", bs, "--list")
    assert out.returncode == 0, out.stderr
    assert "cli-group" in out.stdout.split()

    out = shoal_cli(
        "consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "cli-group"
    )
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.strip().splitlines()]
    assert lines[0] == [
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]
    rows = {int(r[2]): r for r in lines[1:]}
    assert rows[0][:6] == ["cli-group", "cli-lag", "0", "6", "6", "0"]
    assert rows[1][:6] == ["cli-group", "cli-lag", "1", "1", "4", "3"]
    assert rows[0][6] == c.memberid() and rows[0][8] == "reader"

    out = shoal_cli(
        "consumer-groups",
        "--bootstrap-server",
        bs,
        "--describe",
        "--group",
        "cli-group",
        "--members",
        "--verbose",
    )
    assert out.returncode == 0, out.stderr
    member_row = out.stdout.strip().splitlines()[-1].split()
    assert member_row[1] == c.memberid() and member_row[4] == "2"
    assert member_row[5] == "cli-lag(0,1)"

    out = shoal_cli(
        "consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "cli-group", "--state"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].split()[-2:] == ["Stable", "1"]

    out = shoal_cli("consumer-groups", "--bootstrap-server", bs, "--delete", "--group", "cli-group")
    assert out.returncode == 1
    assert "NON_EMPTY_GROUP" in out.stderr or "not empty" in out.stderr.lower()
    c.close()
    out = shoal_cli(
        "consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "cli-group"
    )
    assert out.returncode == 0, out.stderr
    assert "Consumer group 'cli-group' has no active members." in out.stdout
    out = shoal_cli("consumer-groups", "--bootstrap-server", bs, "--delete", "--group", "cli-group")
    assert out.returncode == 0, out.stderr
    out = shoal_cli("consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "nobody")
    assert out.returncode == 1
    assert "Error: Consumer group 'nobody' does not exist." in out.stderr
