"""Failover demos: a replicated topic keeps every acknowledged record through crashes,
pauses, lost quorums, a full restart and a full disk.

Each test runs 3 brokers, a topic with 3 partitions, replication factor 3 and
min.insync.replicas=2, and a producer (acks=all) writing unique values throughout
(shoal.testing.failover.Workload). At the end everything is read back: no acknowledged record may be
missing or changed, and acknowledged offsets must follow the order of writing. Each prints
its figures; run `pytest tests/python/cluster/test_failover.py -s` to see them.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import shoal
from conftest import wait_for
from shoal.testing.failover import Report, Workload

pytestmark = pytest.mark.slow

TOPIC = "orders"
# Pauses are detected by heartbeat age: a short session timeout keeps the pause tests quick.
SESSION_TIMEOUT_MS = 2000


@pytest.fixture
def cluster3() -> Iterator[shoal.Cluster]:
    with shoal.Cluster(brokers=3, broker_session_timeout_ms=SESSION_TIMEOUT_MS) as c:
        yield c


def finish(w: Workload, name: str) -> Report:
    report = w.verify()
    print(f"\n[{name}] {report}")
    assert report.acked > 0
    assert report.lost == 0, report
    assert report.conflicting == 0, report
    assert report.reordered == 0, report
    # Idempotence (the workload's default): retries never write a record twice.
    if w.idempotent:
        assert report.duplicated == 0, report
    return report


def wait_new_leader(c: shoal.Cluster, partition: int, old: int, timeout: float = 30) -> int:
    return wait_for(
        lambda: (lead := c.leader(TOPIC, partition)) not in (-1, old) and lead,
        timeout,
        f"a new leader of {TOPIC}/{partition} (the old one was {old})",
    )


def wait_full_isr(c: shoal.Cluster, timeout: float = 60) -> None:
    def full() -> bool:
        parts = c.state()["topics"].get(TOPIC, [])
        return bool(parts) and all(len(p["isr"]) == 3 and p["leader"] >= 0 for p in parts)

    wait_for(full, timeout, f"every replica of {TOPIC} back in sync")


def test_killing_the_leader_twice_loses_nothing(cluster3: shoal.Cluster) -> None:
    c = cluster3
    with Workload(c, TOPIC) as w:
        w.wait_for_acks(1000)
        first = c.leader(TOPIC, 0)
        c.kill(first)
        second = wait_new_leader(c, 0, first)
        w.wait_for_acks(500, partition=0)
        c.restart(first)
        wait_full_isr(c)
        w.wait_for_acks(300)
        c.kill(second)
        wait_new_leader(c, 0, second)
        w.wait_for_acks(500, partition=0)
        c.restart(second)
        wait_full_isr(c)
        w.wait_for_acks(300)
    finish(w, "kill leader twice")


def test_idempotence_rides_lost_responses_and_a_leader_kill(cluster3: shoal.Cluster) -> None:
    # Every 5th produce response is lost after the leader acted on it, and the leader of
    # partition 0 dies mid-stream: the retries go to the same leader or to its successor, which
    # has the batches from replication and answers them with their first offsets.
    c = cluster3
    lossy = {"test.lose.produce.responses": 5, "retry.backoff.ms": 1}
    with Workload(c, TOPIC, producer_config=lossy) as w:
        w.wait_for_acks(1000)
        first = c.leader(TOPIC, 0)
        c.kill(first)
        wait_new_leader(c, 0, first)
        w.wait_for_acks(1000, partition=0)
        c.restart(first)
        wait_full_isr(c)
        w.wait_for_acks(500)
    report = finish(w, "idempotence, lost responses, leader killed")
    assert report.failed == {}


def test_a_clean_stop_hands_leadership_over_and_the_preferred_leader_returns() -> None:
    # SIGTERM: the broker asks the controller to move its leaderships before it exits.
    with shoal.Cluster(
        brokers=3,
        broker_session_timeout_ms=SESSION_TIMEOUT_MS,
        leader_imbalance_check_interval_seconds=1,
    ) as c:
        with Workload(c, TOPIC) as w:
            w.wait_for_acks(1000)
            preferred = c.state()["topics"][TOPIC][0]["replicas"][0]
            assert c.leader(TOPIC, 0) == preferred
            assert c.stop(preferred) == 0
            # Moved before the broker exited: no gap in which nobody led.
            assert c.leader(TOPIC, 0) not in (-1, preferred)
            assert "controlled shutdown" in c.log(preferred)
            w.wait_for_acks(1000)
            c.restart(preferred)
            wait_full_isr(c)
            # auto.leader.rebalance.enable: once back in sync, it leads again.
            wait_for(lambda: c.leader(TOPIC, 0) == preferred, 30, "the preferred leader back")
            w.wait_for_acks(500)
        report = finish(w, "clean stop")
        assert report.failed == {}


def test_killing_the_controller_loses_nothing(cluster3: shoal.Cluster) -> None:
    c = cluster3
    with Workload(c, TOPIC) as w:
        w.wait_for_acks(1000)
        old = c.controller()
        c.kill(old)
        new = wait_for(
            lambda: (ctl := c.controller()) not in (-1, old) and ctl,
            30,
            "a new controller",
        )
        assert c.state()["controller_epoch"] >= 2
        w.wait_for_acks(1000)
        # The new controller does the controller's work.
        admin = shoal.AdminClient(w.conf)
        admin.create_topics([shoal.NewTopic("after-failover", 2, 2)])["after-failover"].result(30)
        admin.close()
        assert len(c.state()["topics"]["after-failover"]) == 2
        c.restart(old)
        wait_full_isr(c)
        assert c.controller() == new  # a returning broker does not take the role back
        w.wait_for_acks(300)
    finish(w, "kill controller")


def segment_bytes(c: shoal.Cluster, broker: int, partition: int) -> int:
    d = c.dir / f"broker-{broker}" / f"{TOPIC}-{partition}"
    return sum(f.stat().st_size for f in d.glob("*.log"))


def test_paused_leader_is_deposed_and_truncates_its_divergent_tail(
    cluster3: shoal.Cluster,
) -> None:
    c = cluster3
    with Workload(c, TOPIC) as w:
        w.wait_for_acks(1000)
        leader = c.leader(TOPIC, 0)
        followers = [b for b in c.broker_ids if b != leader]
        # Freeze the followers for a moment and give the leader records they cannot copy:
        # acks=1 writes, answered by the leader alone (the workload's acks=all write waits).
        # A follower frozen with a fetch parked at the leader still gets the first of them
        # in that fetch's answer; the rest form a tail only the leader has. Acknowledged
        # with acks=1 only, it may be lost when the leader is deposed, as in Kafka.
        acks1 = shoal.Producer({**w.conf, "acks": "1", "linger.ms": 0})
        acks1.produce(TOPIC, b"-1", partition=0)  # connected and knows the leader
        assert acks1.flush(10) == 0
        for f in followers:
            c.pause(f)
        try:
            for i in range(1, 20):
                acks1.produce(TOPIC, str(-1 - i).encode(), partition=0)
                assert acks1.flush(10) == 0
            c.pause(leader)
        finally:
            for f in followers:
                c.resume(f)
        paused_at = len(w.acks_since(0))
        new = wait_new_leader(c, 0, leader, timeout=SESSION_TIMEOUT_MS / 1000 + 30)
        assert new in followers
        w.wait_for_acks(500, partition=0)
        c.resume(leader)
        wait_full_isr(c)
        log = c.log(leader)
        assert f"[{TOPIC}/0] diverged from leader" in log, log[-3000:]
        w.wait_for_acks(300)
    finish(w, "pause leader")
    assert w.acked > paused_at


def test_a_paused_leader_of_an_empty_partition_rejoins(cluster3: shoal.Cluster) -> None:
    # The deposed leader's only trace is the epoch it began at offset 0: resuming, it must
    # drop that epoch and follow, not be told to truncate over and over.
    c = cluster3
    admin = shoal.AdminClient({"bootstrap.servers": c.bootstrap_servers})
    admin.create_topics([shoal.NewTopic("empty", 1, 3)])["empty"].result(30)
    admin.close()
    leader = wait_for(lambda: max(c.leader("empty", 0), 0), 10, "a leader")
    c.pause(leader)
    try:
        wait_for(lambda: c.leader("empty", 0) not in (-1, leader), 30, "a new leader")
    finally:
        c.resume(leader)
    wait_for(lambda: len(c.isr("empty", 0)) == 3, 30, f"broker {leader} back in sync")


def test_without_a_quorum_nothing_is_acknowledged(cluster3: shoal.Cluster) -> None:
    c = cluster3
    # A short delivery timeout, so records fail visibly while the quorum is gone.
    with Workload(c, TOPIC, producer_config={"delivery.timeout.ms": 3000}) as w:
        w.wait_for_acks(1000)
        survivor = c.controller()
        stopped = [b for b in c.broker_ids if b != survivor]
        for b in stopped:
            assert c.stop(b) == 0
        outage_start = time.monotonic()
        wait_for(lambda: w.failures(), 30, "writes to fail without a quorum")
        failed = {name for at, name in w.failures() if at > outage_start}
        assert failed <= {
            "NOT_ENOUGH_REPLICAS",
            "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            "_MSG_TIMED_OUT",
        }
        assert failed, w.failures()
        outage_end = time.monotonic()
        # Acknowledgements already on their way when the last follower left may still land
        # a moment later; anything acknowledged later than that would break acks=all.
        late = [a for a in w.acks_since(outage_start + 0.5) if a[2] < outage_end]
        assert late == []
        for b in stopped:
            c.restart(b)
        wait_full_isr(c)
        w.wait_for_acks(1000)
    report = finish(w, "lose quorum")
    assert report.failed


def test_everything_survives_killing_every_broker(cluster3: shoal.Cluster) -> None:
    c = cluster3
    with Workload(c, TOPIC) as w:
        w.wait_for_acks(1000)
        for b in c.broker_ids:
            c.kill(b)
        for b in c.broker_ids:
            c.restart(b)
        wait_full_isr(c)
        w.wait_for_acks(1000)
    state = c.state()
    assert len(state["topics"][TOPIC]) == 3
    assert all(len(p["replicas"]) == 3 for p in state["topics"][TOPIC])
    assert state["configs"][TOPIC] == {"min.insync.replicas": "2"}
    finish(w, "kill all brokers")


def test_a_full_disk_stops_a_broker_leading_until_there_is_room(cluster3: shoal.Cluster) -> None:
    c = cluster3
    with Workload(c, TOPIC, rate=3000) as w:
        w.wait_for_acks(500)
        victim = c.leader(TOPIC, 0)
        pid = c.pid(victim)
        # A file-size limit on the broker works like a disk that is nearly full: every file
        # may grow a little more (its own log file too, so it can say why), then writes fail.
        files = [Path(c.dir / f"broker-{victim}.log")]
        files += list((c.dir / f"broker-{victim}").rglob("*.log"))
        limit = max(f.stat().st_size for f in files) + 200_000
        # The soft limit only: lowering the hard one could not be undone without privileges.
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            wait_for(
                lambda: all(p["leader"] != victim for p in c.state()["topics"][TOPIC]),
                60,
                f"broker {victim} to give up its leaderships",
            )
            wait_for(
                lambda: all(victim not in p["isr"] for p in c.state()["topics"][TOPIC]),
                30,
                f"broker {victim} to leave the ISRs",
            )
            log = c.log(victim)
            assert "I/O error" in log and "File too large" in log, log[-3000:]
            w.wait_for_acks(1000)  # the two others carry on
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        wait_for(lambda: "every log is back online" in c.log(victim), 30, "the logs to reopen")
        wait_full_isr(c)
        w.wait_for_acks(500)
    finish(w, "full disk")


def test_consumers_see_only_what_every_in_sync_replica_has() -> None:
    # The default session timeout, so the frozen followers stay in the ISR throughout.
    with shoal.Cluster(brokers=3) as c:
        conf = {"bootstrap.servers": c.bootstrap_servers}
        admin = shoal.AdminClient(conf)
        admin.create_topics([shoal.NewTopic("hw", 1, 3)])["hw"].result(30)
        admin.close()
        leader = wait_for(lambda: max(c.leader("hw", 0), 0), 10, "a leader")
        wait_for(lambda: len(c.isr("hw", 0)) == 3, 30, "a full ISR")
        consumer = shoal.Consumer(conf)
        consumer.assign([shoal.TopicPartition("hw", 0, shoal.OFFSET_BEGINNING)])
        p = shoal.Producer({**conf, "acks": "1"})
        p.produce("hw", b"committed", partition=0)
        assert p.flush(10) == 0
        got = wait_for(lambda: consumer.poll(0.1), 10, "the committed record")
        assert got.value() == b"committed"
        followers = [b for b in c.broker_ids if b != leader]
        for f in followers:
            c.pause(f)
        try:
            p.produce("hw", b"uncommitted", partition=0)
            assert p.flush(10) == 0  # acks=1: the leader alone has it
            assert consumer.consume(num_messages=10, timeout=0.5) == []
        finally:
            for f in followers:
                c.resume(f)
        got = wait_for(lambda: consumer.poll(0.1), 10, "the record once replicated")
        assert got.value() == b"uncommitted"
        consumer.close()
