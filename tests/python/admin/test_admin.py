"""AdminClient against a real 3-broker cluster: every call of confluent-kafka's admin API that
manages topics, partitions, configs, records and leaders, with its errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import shoal
from conftest import wait_for
from shoal.admin import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    ElectionType,
    NewPartitions,
    OffsetSpec,
    TopicCollection,
)


@pytest.fixture(scope="module")
def cluster3() -> Iterator[shoal.Cluster]:
    # No automatic return to preferred leaders: elect_leaders(PREFERRED) is what moves them.
    # Retention checks every 200 ms, so a lowered retention.ms shows quickly.
    with shoal.Cluster(
        brokers=3,
        auto_leader_rebalance_enable="false",
        log_retention_check_interval_ms=200,
        broker_session_timeout_ms=3000,
    ) as c:
        yield c


@pytest.fixture(scope="module")
def admin(cluster3: shoal.Cluster) -> Iterator[shoal.AdminClient]:
    a = shoal.AdminClient({"bootstrap.servers": cluster3.bootstrap_servers})
    yield a
    a.close()


def code(future) -> int:
    with pytest.raises(shoal.KafkaException) as e:
        future.result(60)
    return e.value.args[0].code()


def create(admin: shoal.AdminClient, name: str, partitions: int = 1, rf: int = 3, **config) -> None:
    t = shoal.NewTopic(name, partitions, rf, config={k: str(v) for k, v in config.items()} or None)
    admin.create_topics([t])[name].result(60)


def produce(conf: dict, topic: str, n: int, partition: int = 0, **kw) -> None:
    p = shoal.Producer({**conf, "acks": "all"})
    for i in range(n):
        p.produce(topic, str(i).encode(), partition=partition, **kw)
    assert p.flush(60) == 0
    p.close()


def earliest(admin: shoal.AdminClient, topic: str, partition: int = 0) -> int:
    tp = shoal.TopicPartition(topic, partition)
    return admin.list_offsets({tp: OffsetSpec.earliest()})[tp].result(60).offset


def test_create_and_delete_topics_refuse_what_kafka_refuses(admin):
    create(admin, "adm-dup")
    assert code(admin.create_topics([shoal.NewTopic("adm-dup", 1, 1)])["adm-dup"]) == (
        shoal.KafkaError.TOPIC_ALREADY_EXISTS
    )
    assert code(admin.create_topics([shoal.NewTopic("adm-rf", 1, 4)])["adm-rf"]) == (
        shoal.KafkaError.INVALID_REPLICATION_FACTOR
    )
    assert code(admin.create_topics([shoal.NewTopic("adm-p0", 0, 1)])["adm-p0"]) == (
        shoal.KafkaError.INVALID_PARTITIONS
    )
    bad = shoal.NewTopic("adm-cfg", 1, 1, config={"retention.ms": "soon"})
    assert code(admin.create_topics([bad])["adm-cfg"]) == shoal.KafkaError.INVALID_CONFIG
    # validate_only checks everything and creates nothing.
    admin.create_topics([shoal.NewTopic("adm-dry", 2, 3)], validate_only=True)["adm-dry"].result(60)
    assert "adm-dry" not in admin.list_topics(timeout=30).topics
    # An explicit replica assignment is kept as given.
    t = shoal.NewTopic("adm-assigned", replica_assignment=[[3, 1], [2, 3]])
    admin.create_topics([t])["adm-assigned"].result(60)
    md = admin.list_topics("adm-assigned", timeout=30).topics["adm-assigned"]
    assert [md.partitions[p].replicas for p in (0, 1)] == [[3, 1], [2, 3]]
    assert code(admin.delete_topics(["adm-nope"])["adm-nope"]) == (
        shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    )
    admin.delete_topics(["adm-dup"])["adm-dup"].result(60)
    wait_for(lambda: "adm-dup" not in admin.list_topics(timeout=30).topics, 30, "the deletion")


def test_create_partitions_grows_a_topic_and_refuses_shrinking(cluster3, admin):
    create(admin, "adm-grow", partitions=2)
    admin.create_partitions([NewPartitions("adm-grow", 4)], validate_only=True)["adm-grow"].result(
        60
    )
    assert len(admin.list_topics("adm-grow", timeout=30).topics["adm-grow"].partitions) == 2
    admin.create_partitions([NewPartitions("adm-grow", 4)])["adm-grow"].result(60)
    wait_for(
        lambda: len(admin.list_topics("adm-grow", timeout=30).topics["adm-grow"].partitions) == 4,
        30,
        "4 partitions",
    )
    md = admin.list_topics("adm-grow", timeout=30).topics["adm-grow"]
    assert all(len(md.partitions[p].replicas) == 3 for p in range(4))
    # The new partitions take records at once.
    produce({"bootstrap.servers": cluster3.bootstrap_servers}, "adm-grow", 5, partition=3)
    tp = shoal.TopicPartition("adm-grow", 3)
    assert admin.list_offsets({tp: OffsetSpec.latest()})[tp].result(60).offset == 5

    for total in (4, 3):
        f = admin.create_partitions([NewPartitions("adm-grow", total)])["adm-grow"]
        assert code(f) == shoal.KafkaError.INVALID_PARTITIONS
    f = admin.create_partitions([NewPartitions("adm-none", 3)])["adm-none"]
    assert code(f) == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    # An assignment for the new partitions, which must name as many replicas as the others.
    f = admin.create_partitions([NewPartitions("adm-grow", 5, replica_assignment=[[2, 3, 1]])])
    f["adm-grow"].result(60)
    wait_for(
        lambda: admin.list_topics("adm-grow", timeout=30).topics["adm-grow"].partitions.get(4),
        30,
        "partition 4",
    )
    assert admin.list_topics("adm-grow", timeout=30).topics["adm-grow"].partitions[4].replicas == [
        2,
        3,
        1,
    ]
    f = admin.create_partitions([NewPartitions("adm-grow", 6, replica_assignment=[[2]])])
    assert code(f["adm-grow"]) == shoal.KafkaError.INVALID_REPLICA_ASSIGNMENT


def test_describe_cluster_and_topics(cluster3, admin):
    create(admin, "adm-desc", partitions=3)
    result = admin.describe_cluster().result(60)
    assert sorted(n.id for n in result.nodes) == [1, 2, 3]
    assert result.controller is not None and result.controller.id in (1, 2, 3)
    assert result.cluster_id
    d = admin.describe_topics(TopicCollection(["adm-desc"]))["adm-desc"].result(60)
    assert d.name == "adm-desc" and not d.is_internal
    assert d.topic_id is not None and len(str(d.topic_id)) == 22
    assert [p.id for p in d.partitions] == [0, 1, 2]
    for p in d.partitions:
        assert sorted(n.id for n in p.replicas) == [1, 2, 3]
        assert p.leader is not None and p.leader.id == p.replicas[0].id
        assert sorted(n.id for n in p.isr) == [1, 2, 3]
    missing = admin.describe_topics(TopicCollection(["adm-missing"]))["adm-missing"]
    assert code(missing) == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART


def topic_configs(admin, topic: str) -> dict:
    r = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin.describe_configs([r])[r].result(60)


def alter(admin, resource: ConfigResource, *changes: tuple[str, AlterConfigOpType, str | None]):
    for name, op, value in changes:
        resource.add_incremental_config(ConfigEntry(name, value, incremental_operation=op))
    return admin.incremental_alter_configs([resource])[resource]


def test_topic_configs_describe_and_incremental_alter(admin):
    create(admin, "adm-cfg-t", partitions=1, **{"retention.ms": 3_600_000})
    cfg = topic_configs(admin, "adm-cfg-t")
    assert cfg["retention.ms"].value == "3600000"
    assert cfg["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG
    assert cfg["segment.bytes"].source == ConfigSource.DEFAULT_CONFIG
    assert cfg["segment.bytes"].is_default
    assert cfg["cleanup.policy"].value == "delete"

    t = ConfigResource("topic", "adm-cfg-t")
    alter(
        admin,
        t,
        ("retention.ms", AlterConfigOpType.DELETE, None),
        ("cleanup.policy", AlterConfigOpType.APPEND, "compact"),
        ("max.message.bytes", AlterConfigOpType.SET, "2000000"),
    ).result(60)
    cfg = topic_configs(admin, "adm-cfg-t")
    assert cfg["retention.ms"].value == "604800000"
    assert cfg["retention.ms"].source == ConfigSource.DEFAULT_CONFIG
    assert set(cfg["cleanup.policy"].value.split(",")) == {"delete", "compact"}
    assert cfg["max.message.bytes"].value == "2000000"

    t = ConfigResource("topic", "adm-cfg-t")
    alter(admin, t, ("cleanup.policy", AlterConfigOpType.SUBTRACT, "delete")).result(60)
    assert topic_configs(admin, "adm-cfg-t")["cleanup.policy"].value == "compact"

    # Refused: an unknown key, a bad value, APPEND to a non-list, an unknown topic. Nothing of
    # a refused request is applied.
    for changes in (
        [("no.such.config", AlterConfigOpType.SET, "1")],
        [("retention.ms", AlterConfigOpType.SET, "later")],
        [
            ("max.message.bytes", AlterConfigOpType.SET, "3000000"),
            ("segment.ms", AlterConfigOpType.APPEND, "1"),
        ],
    ):
        f = alter(admin, ConfigResource("topic", "adm-cfg-t"), *changes)
        assert code(f) == shoal.KafkaError.INVALID_CONFIG
    assert topic_configs(admin, "adm-cfg-t")["max.message.bytes"].value == "2000000"
    f = alter(
        admin, ConfigResource("topic", "adm-cfg-none"), ("retention.ms", AlterConfigOpType.SET, "1")
    )
    assert code(f) == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    r = ConfigResource("topic", "adm-cfg-none")
    assert code(admin.describe_configs([r])[r]) == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART


def test_lowering_retention_ms_deletes_old_segments_live(cluster3, admin):
    # Small segments so there is something to delete; records an hour old.
    create(admin, "adm-ret", partitions=1, **{"segment.bytes": 1024})
    conf = {"bootstrap.servers": cluster3.bootstrap_servers}
    old = int(time.time() * 1000) - 3_600_000
    p = shoal.Producer(conf)
    for i in range(40):  # a batch a flush: 40 batches of ~100 bytes roll several segments
        p.produce("adm-ret", b"x" * 50, partition=0, timestamp=old + i)
        assert p.flush(30) == 0
    p.close()
    assert earliest(admin, "adm-ret") == 0
    alter(
        admin, ConfigResource("topic", "adm-ret"), ("retention.ms", AlterConfigOpType.SET, "60000")
    ).result(60)
    # The next retention check (every 200 ms) deletes every closed segment.
    wait_for(lambda: earliest(admin, "adm-ret") > 0, 30, "old segments to be deleted")


def test_broker_configs_describe_and_dynamic_defaults(admin):
    b = ConfigResource(ConfigResource.Type.BROKER, "2")
    cfg = admin.describe_configs([b])[b].result(60)
    assert cfg["log.retention.check.interval.ms"].value == "200"
    assert cfg["log.retention.check.interval.ms"].source == ConfigSource.STATIC_BROKER_CONFIG
    assert cfg["log.retention.check.interval.ms"].is_read_only
    assert cfg["num.partitions"].source == ConfigSource.DEFAULT_CONFIG
    assert not cfg["log.retention.ms"].is_read_only

    create(admin, "adm-dyn", partitions=1)
    # A cluster-wide dynamic default: every topic without an override follows it, live.
    alter(
        admin, ConfigResource("broker", ""), ("log.retention.ms", AlterConfigOpType.SET, "7200000")
    ).result(60)
    wait_for(
        lambda: topic_configs(admin, "adm-dyn")["retention.ms"].value == "7200000",
        30,
        "the dynamic default to reach the topic",
    )
    cfg = admin.describe_configs([b])[b].result(60)
    assert cfg["log.retention.ms"].value == "7200000"
    assert cfg["log.retention.ms"].source == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
    # Back to the static value.
    alter(
        admin, ConfigResource("broker", ""), ("log.retention.ms", AlterConfigOpType.DELETE, None)
    ).result(60)
    wait_for(
        lambda: topic_configs(admin, "adm-dyn")["retention.ms"].value == "604800000",
        30,
        "the default to come back",
    )
    # Keys that need a restart are refused, naming them.
    f = alter(admin, ConfigResource("broker", "1"), ("num.partitions", AlterConfigOpType.SET, "3"))
    with pytest.raises(shoal.KafkaException) as e:
        f.result(60)
    assert e.value.args[0].code() == shoal.KafkaError.INVALID_CONFIG
    assert "num.partitions" in e.value.args[0].str()


def test_delete_records_moves_the_log_start_on_every_replica(cluster3, admin):
    create(admin, "adm-del", partitions=1)
    conf = {"bootstrap.servers": cluster3.bootstrap_servers}
    produce(conf, "adm-del", 10)
    tp = shoal.TopicPartition("adm-del", 0, 4)
    assert admin.delete_records([tp])[tp].result(60).low_watermark == 4
    assert earliest(admin, "adm-del") == 4
    c = shoal.Consumer(conf)
    c.assign([shoal.TopicPartition("adm-del", 0, shoal.OFFSET_BEGINNING)])
    got: list[int] = []
    wait_for(
        lambda: (
            got.extend(m.offset() for m in c.consume(100, 0.1) if m.error() is None)
            or len(got) >= 6
        ),
        30,
        "the records left",
    )
    c.close()
    assert got == list(range(4, 10))
    # Past the high watermark: refused. OFFSET_END: everything.
    beyond = shoal.TopicPartition("adm-del", 0, 11)
    assert code(admin.delete_records([beyond])[beyond]) == shoal.KafkaError.OFFSET_OUT_OF_RANGE
    unknown = shoal.TopicPartition("adm-del", 5, 1)
    assert code(admin.delete_records([unknown])[unknown]) == shoal.KafkaError.UNKNOWN_TOPIC_OR_PART
    # The followers moved their log start too: after the leader dies, the new one starts at 4.
    leader = cluster3.leader("adm-del", 0)
    cluster3.kill(leader)
    try:
        wait_for(
            lambda: cluster3.leader("adm-del", 0) not in (None, -1, leader),
            30,
            "a new leader",
        )
        wait_for(lambda: earliest(admin, "adm-del") == 4, 30, "the new leader's log start")
        all_tp = shoal.TopicPartition("adm-del", 0, shoal.OFFSET_END)
        assert admin.delete_records([all_tp])[all_tp].result(60).low_watermark == 10
    finally:
        cluster3.restart(leader)


def alive(admin) -> set[int]:
    return {n.id for n in admin.describe_cluster().result(60).nodes}


def leader_of(admin, topic: str, p: int) -> int:
    return admin.list_topics(topic, timeout=30).topics[topic].partitions[p].leader


def test_elect_leaders_preferred_and_unclean(cluster3, admin):
    create(admin, "adm-elect", partitions=1)
    preferred = (
        admin.list_topics("adm-elect", timeout=30).topics["adm-elect"].partitions[0].replicas[0]
    )
    tp = shoal.TopicPartition("adm-elect", 0)
    result = admin.elect_leaders(ElectionType.PREFERRED, [tp]).result(60)
    assert result[tp].code() == shoal.KafkaError.ELECTION_NOT_NEEDED
    # The preferred leader restarts: another replica leads and keeps leading (no automatic
    # rebalance in this cluster) until a preferred election.
    cluster3.kill(preferred)
    wait_for(lambda: leader_of(admin, "adm-elect", 0) not in (-1, preferred), 30, "a failover")
    cluster3.restart(preferred)
    wait_for(
        lambda: (
            preferred
            in admin.list_topics("adm-elect", timeout=30).topics["adm-elect"].partitions[0].isrs
        ),
        60,
        "the preferred replica back in sync",
    )
    assert leader_of(admin, "adm-elect", 0) != preferred
    result = admin.elect_leaders(ElectionType.PREFERRED, [tp]).result(60)
    assert result[tp] is None
    wait_for(lambda: leader_of(admin, "adm-elect", 0) == preferred, 30, "the preferred leader")

    # Unclean: a replica-2 topic whose in-sync replica dies while the other is out of sync.
    admin.create_topics([shoal.NewTopic("adm-unclean", replica_assignment=[[1, 2]])])[
        "adm-unclean"
    ].result(60)
    u = shoal.TopicPartition("adm-unclean", 0)
    cluster3.kill(2)
    try:
        wait_for(
            lambda: (
                admin.list_topics("adm-unclean", timeout=30)
                .topics["adm-unclean"]
                .partitions[0]
                .isrs
                == [1]
            ),
            30,
            "broker 2 out of the ISR",
        )
        cluster3.kill(1)
        cluster3.restart(2)
        wait_for(
            lambda: leader_of(admin, "adm-unclean", 0) == -1 and 2 in alive(admin),
            30,
            "no leader, with broker 2 back",
        )
        result = admin.elect_leaders(ElectionType.UNCLEAN, [u]).result(60)
        assert result[u] is None
        wait_for(lambda: leader_of(admin, "adm-unclean", 0) == 2, 30, "the unclean leader")
        # It has a leader now: nothing to do.
        result = admin.elect_leaders(ElectionType.UNCLEAN, [u]).result(60)
        assert result[u].code() == shoal.KafkaError.ELECTION_NOT_NEEDED
    finally:
        cluster3.restart(1)


def test_records_deleted_stay_deleted_when_the_leader_dies_right_after(cluster3, admin):
    """delete_records answers only once every in-sync replica has moved its log start, so a
    leader killed the moment the answer arrives leaves no replica serving the deleted records."""
    create(admin, "adm-del-kill", partitions=1)
    produce({"bootstrap.servers": cluster3.bootstrap_servers}, "adm-del-kill", 10)
    tp = shoal.TopicPartition("adm-del-kill", 0, 7)
    leader = cluster3.leader("adm-del-kill", 0)
    assert admin.delete_records([tp])[tp].result(60).low_watermark == 7
    cluster3.kill(leader)
    try:
        wait_for(
            lambda: cluster3.leader("adm-del-kill", 0) not in (None, -1, leader),
            30,
            "a new leader",
        )
        assert earliest(admin, "adm-del-kill") == 7
    finally:
        cluster3.restart(leader)
