"""shoal.AdminClient: confluent-kafka's AdminClient, on the controller of a Shoal cluster.

The package is split as confluent_kafka.admin is: the client here, the types it takes and
returns by concern in _cluster, _config, _group, _listoffsets, _records and _topic, all of
them importable from shoal.admin."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from shoal import _core
from shoal._model import OFFSET_INVALID, ClusterMetadata, NewPartitions, NewTopic, TopicPartition
from shoal.admin._cluster import DescribeClusterResult, Node
from shoal.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource
from shoal.admin._group import (
    ConsumerGroupDescription,
    ConsumerGroupLag,
    ConsumerGroupListing,
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    ConsumerGroupType,
    ListConsumerGroupsResult,
    MemberAssignment,
    MemberDescription,
)
from shoal.admin._listoffsets import IsolationLevel, ListOffsetsResultInfo, OffsetSpec
from shoal.admin._records import DeletedRecords, ElectionType
from shoal.admin._topic import TopicCollection, TopicDescription, TopicPartitionInfo, Uuid
from shoal.error import KafkaError, KafkaException, _error_for

__all__ = [
    "AdminClient",
    "AlterConfigOpType",
    "ConfigEntry",
    "ConfigResource",
    "ConfigSource",
    "ConsumerGroupDescription",
    "ConsumerGroupLag",
    "ConsumerGroupListing",
    "ConsumerGroupState",
    "ConsumerGroupTopicPartitions",
    "ConsumerGroupType",
    "DeletedRecords",
    "DescribeClusterResult",
    "ElectionType",
    "IsolationLevel",
    "ListConsumerGroupsResult",
    "ListOffsetsResultInfo",
    "MemberAssignment",
    "MemberDescription",
    "NewPartitions",
    "NewTopic",
    "Node",
    "OffsetSpec",
    "TopicCollection",
    "TopicDescription",
    "TopicPartitionInfo",
    "Uuid",
]


def _settle(futures: dict[Any, concurrent.futures.Future[Any]], work: Any) -> None:
    """Runs ``work(key)`` for every future on one thread, setting its result, or its exception
    (a KafkaException as raised; anything else wrapped as confluent-kafka's are)."""

    def run() -> None:
        for key, f in futures.items():
            try:
                f.set_result(work(key))
            except BaseException as e:
                f.set_exception(e)

    threading.Thread(target=run, name="shoal-admin", daemon=True).start()


def _raise_for(code: int, message: str = "") -> None:
    if code != 0:
        raise KafkaException(_error_for(code, message or None))


def _timeout(kwargs: dict[str, Any]) -> float:
    t = kwargs.get("request_timeout", 0)
    if not isinstance(t, int | float) or isinstance(t, bool) or t < 0:
        raise ValueError("request_timeout must be a non-negative number of seconds")
    return float(t)


def _check_group_ids(group_ids: Any) -> list[str]:
    if not isinstance(group_ids, list) or not all(isinstance(g, str) for g in group_ids):
        raise TypeError("Expected list of group ids (str)")
    if not group_ids:
        raise ValueError("Expected at least one group id")
    if any(not g for g in group_ids):
        raise ValueError("group id must not be empty")
    return group_ids


def _one_group_request(request: Any, what: str) -> ConsumerGroupTopicPartitions:
    """confluent-kafka takes a list of exactly one ConsumerGroupTopicPartitions."""
    if not isinstance(request, list) or not all(
        isinstance(r, ConsumerGroupTopicPartitions) for r in request
    ):
        raise TypeError(f"Expected a list of ConsumerGroupTopicPartitions for {what}")
    if len(request) != 1:
        raise ValueError(f"Currently we support {what} request for 1 group only")
    r = request[0]
    if not isinstance(r.group_id, str) or not r.group_id:
        raise ValueError("group_id must be a non-empty str")
    if r.topic_partitions is not None:
        if not isinstance(r.topic_partitions, list) or not all(
            isinstance(tp, TopicPartition) for tp in r.topic_partitions
        ):
            raise TypeError("topic_partitions must be a list of TopicPartition")
        for tp in r.topic_partitions:
            if not tp.topic or tp.partition < 0:
                raise ValueError(f"invalid topic partition {tp}")
    return r


def _run(fn: Any, futures: dict[str, concurrent.futures.Future[Any]]) -> None:
    """Runs one batched call on a thread and settles each topic's future from its result."""

    def work() -> None:
        try:
            results = fn()
        except KafkaException as e:
            for f in futures.values():
                if not f.done():
                    f.set_exception(KafkaException(e.args[0]))
            return
        except BaseException as e:
            for f in futures.values():
                if not f.done():
                    f.set_exception(e)
            return
        for name, code, message in results:
            f = futures.get(name)
            if f is None or f.done():
                continue
            if code == 0:
                f.set_result(None)
            else:
                f.set_exception(KafkaException(_error_for(code, message or None)))
        for f in futures.values():
            if not f.done():
                f.set_exception(KafkaException(_error_for(-1, "the broker did not answer")))

    threading.Thread(target=work, name="shoal-admin", daemon=True).start()


class AdminClient:
    """Administers a cluster: AdminClient(conf) with confluent-kafka's methods. Calls that
    change topics return a dict of ``concurrent.futures.Future`` by topic, as confluent-kafka's
    do; ``future.result()`` returns None or raises KafkaException."""

    def __init__(self, conf: dict[str, Any] | None = None, **kwargs: Any) -> None:
        merged = dict(conf or {})
        merged.update(kwargs)
        # Callbacks only the Python layer would use; the admin client has none to call.
        for key in ("error_cb", "throttle_cb", "stats_cb", "logger", "oauth_cb"):
            merged.pop(key, None)
        self._admin = _core._Admin(merged)

    def create_topics(
        self,
        new_topics: list[NewTopic],
        operation_timeout: float = 0,
        request_timeout: float = 0,
        validate_only: bool = False,
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Creates topics; returns {topic: Future}. Errors: TOPIC_ALREADY_EXISTS,
        INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, TOPIC_EXCEPTION, ..."""
        if not isinstance(new_topics, list) or not all(isinstance(t, NewTopic) for t in new_topics):
            raise TypeError("Expected list of NewTopic")
        if not new_topics:
            raise ValueError("Expected non-empty list of NewTopic objects")
        specs = []
        for t in new_topics:
            assignment = [list(r) for r in (t.replica_assignment or [])]
            configs = {str(k): str(v) for k, v in (t.config or {}).items()}
            parts = -1 if assignment else t.num_partitions
            rf = -1 if assignment else t.replication_factor
            specs.append((t.topic, parts, rf, assignment, configs))
        futures: dict[str, concurrent.futures.Future[None]] = {
            t.topic: concurrent.futures.Future() for t in new_topics
        }
        timeout = request_timeout or operation_timeout
        _run(lambda: self._admin.create_topics(specs, validate_only, timeout), futures)
        return futures

    def delete_topics(
        self, topics: list[str], operation_timeout: float = 0, request_timeout: float = 0
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Deletes topics; returns {topic: Future}. Errors: UNKNOWN_TOPIC_OR_PART,
        TOPIC_DELETION_DISABLED."""
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise TypeError("Expected list of topic names (str)")
        if not topics:
            raise ValueError("Expected non-empty list of topic names")
        futures: dict[str, concurrent.futures.Future[None]] = {
            t: concurrent.futures.Future() for t in topics
        }
        timeout = request_timeout or operation_timeout
        _run(lambda: self._admin.delete_topics(topics, timeout), futures)
        return futures

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        """Cluster metadata: brokers, topics, and each partition's leader, replicas and ISR."""
        return self._admin.list_topics(topic, timeout)

    def create_partitions(
        self,
        new_partitions: list[NewPartitions],
        operation_timeout: float = 0,
        request_timeout: float = 0,
        validate_only: bool = False,
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Grows topics to ``new_total_count`` partitions: {topic: Future}. Errors:
        INVALID_PARTITIONS (not more than now), UNKNOWN_TOPIC_OR_PART,
        INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR."""
        if not isinstance(new_partitions, list) or not all(
            isinstance(n, NewPartitions) for n in new_partitions
        ):
            raise TypeError("Expected list of NewPartitions")
        if not new_partitions:
            raise ValueError("Expected non-empty list of NewPartitions objects")
        specs = []
        for n in new_partitions:
            assignment = None
            if n.replica_assignment is not None:
                assignment = [list(r) for r in n.replica_assignment]
            specs.append((n.topic, n.new_total_count, assignment))
        futures: dict[str, concurrent.futures.Future[None]] = {
            n.topic: concurrent.futures.Future() for n in new_partitions
        }
        timeout = request_timeout or operation_timeout
        _run(lambda: self._admin.create_partitions(specs, validate_only, timeout), futures)
        return futures

    def describe_cluster(self, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """The brokers, the controller and the cluster id: a Future of
        DescribeClusterResult. kwargs: ``request_timeout``."""
        timeout = _timeout(kwargs) or -1
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work(_key: Any) -> DescribeClusterResult:
            md = self._admin.list_topics(None, timeout)
            nodes = {
                b.id: Node(b.id, b.host or "", b.port if b.port >= 0 else 0)
                for b in md.brokers.values()
            }
            return DescribeClusterResult(
                nodes.get(md.controller_id),
                [nodes[i] for i in sorted(nodes)],
                md.cluster_id,
            )

        _settle({None: future}, work)
        return future

    def describe_topics(
        self, topics: TopicCollection, **kwargs: Any
    ) -> dict[str, concurrent.futures.Future[Any]]:
        """Describes topics: {topic: Future of TopicDescription} with each partition's
        leader, replicas and ISR as Nodes. An unknown topic's future raises
        UNKNOWN_TOPIC_OR_PART. kwargs: ``request_timeout``."""
        if not isinstance(topics, TopicCollection):
            raise TypeError("Expected a TopicCollection")
        if not topics.topic_names:
            raise ValueError("Expected at least one topic")
        timeout = _timeout(kwargs) or -1
        futures = {t: concurrent.futures.Future() for t in topics.topic_names}

        def work(topic: str) -> TopicDescription:
            md = self._admin.list_topics(topic, timeout)
            t = md.topics.get(topic)
            if t is None:
                raise KafkaException(_error_for(KafkaError.UNKNOWN_TOPIC_OR_PART))
            if t.error is not None:
                raise KafkaException(t.error)
            nodes = {
                b.id: Node(b.id, b.host or "", b.port if b.port >= 0 else 0)
                for b in md.brokers.values()
            }

            def node(i: int) -> Node:
                return nodes.get(i) or Node(i, "", -1)

            parts = [
                TopicPartitionInfo(
                    p.id,
                    node(p.leader) if p.leader >= 0 else None,
                    [node(r) for r in p.replicas],
                    [node(r) for r in p.isrs],
                )
                for p in sorted(t.partitions.values(), key=lambda p: p.id)
            ]
            topic_id = getattr(t, "_topic_id", None)
            return TopicDescription(
                topic,
                Uuid(*topic_id) if topic_id else None,
                bool(getattr(t, "_is_internal", topic.startswith("__"))),
                parts,
            )

        _settle(futures, work)
        return futures

    def describe_configs(
        self, resources: list[ConfigResource], **kwargs: Any
    ) -> dict[ConfigResource, concurrent.futures.Future[Any]]:
        """Every config of each resource: {resource: Future of {name: ConfigEntry}}. A topic's
        come from any broker; a broker's (ConfigResource("broker", "1")) from that broker.
        kwargs: ``request_timeout``."""
        if not isinstance(resources, list) or not all(
            isinstance(r, ConfigResource) for r in resources
        ):
            raise TypeError("Expected list of ConfigResource")
        if not resources:
            raise ValueError("Expected at least one ConfigResource")
        timeout = _timeout(kwargs)
        futures = {r: concurrent.futures.Future() for r in resources}

        def work(r: ConfigResource) -> dict[str, ConfigEntry]:
            code, message, rows = self._admin.describe_configs(
                r.restype.value, r.name, None, True, False, timeout
            )
            _raise_for(code, message)
            out = {}
            for name, value, read_only, source, sensitive, _type, _doc, syns in rows:
                synonyms = {
                    sn: ConfigEntry(sn, sv, ConfigSource(ss), is_synonym=True)
                    for sn, sv, ss in syns
                }
                out[name] = ConfigEntry(
                    name,
                    value,
                    ConfigSource(source),
                    is_read_only=read_only,
                    is_default=source == ConfigSource.DEFAULT_CONFIG.value,
                    is_sensitive=sensitive,
                    synonyms=synonyms,
                )
            return out

        _settle(futures, work)
        return futures

    def incremental_alter_configs(
        self, resources: list[ConfigResource], **kwargs: Any
    ) -> dict[ConfigResource, concurrent.futures.Future[None]]:
        """Applies each resource's ``incremental_configs`` (ConfigEntry with an
        AlterConfigOpType), leaving its other configs alone: {resource: Future}. Topic changes
        apply on every broker at once (a lower retention.ms deletes old segments at the next
        retention check); broker resources take the dynamic keys (log.retention.ms,
        log.segment.bytes, min.insync.replicas, ...), for one broker ("1") or all (""). Errors:
        INVALID_CONFIG, UNKNOWN_TOPIC_OR_PART. kwargs: ``validate_only``,
        ``request_timeout``."""
        if not isinstance(resources, list) or not all(
            isinstance(r, ConfigResource) for r in resources
        ):
            raise TypeError("Expected list of ConfigResource")
        if not resources:
            raise ValueError("Expected at least one ConfigResource")
        timeout = _timeout(kwargs)
        validate_only = bool(kwargs.get("validate_only", False))
        specs = []
        for r in resources:
            changes = []
            for e in r.incremental_configs:
                if not isinstance(e.incremental_operation, AlterConfigOpType):
                    raise ValueError(
                        f"{e.name}: incremental_operation must be an AlterConfigOpType"
                    )
                value = None if e.incremental_operation == AlterConfigOpType.DELETE else e.value
                if value is None and e.incremental_operation != AlterConfigOpType.DELETE:
                    raise ValueError(f"{e.name}: a value is needed for {e.incremental_operation}")
                changes.append((e.name, e.incremental_operation.value, value))
            specs.append((r.restype.value, r.name, changes))
        futures = {r: concurrent.futures.Future() for r in resources}

        def run() -> None:
            try:
                rows = self._admin.incremental_alter_configs(specs, validate_only, timeout)
            except BaseException as e:
                for f in futures.values():
                    f.set_exception(e)
                return
            answers = {(t, n): (c, m) for t, n, c, m in rows}
            for r, f in futures.items():
                code, message = answers.get(
                    (r.restype.value, r.name), (KafkaError._TIMED_OUT, "no answer")
                )
                if code:
                    f.set_exception(KafkaException(_error_for(code, message or None)))
                else:
                    f.set_result(None)

        threading.Thread(target=run, name="shoal-admin", daemon=True).start()
        return futures

    def delete_records(
        self, topic_partition_offsets: list[TopicPartition], **kwargs: Any
    ) -> dict[TopicPartition, concurrent.futures.Future[Any]]:
        """Deletes every record before each TopicPartition's offset (OFFSET_END, -1: up to the
        high watermark) by moving the log start: {TopicPartition: Future of DeletedRecords}.
        Errors: OFFSET_OUT_OF_RANGE (past the high watermark), UNKNOWN_TOPIC_OR_PART.
        kwargs: ``request_timeout``, ``operation_timeout``."""
        if not isinstance(topic_partition_offsets, list) or not all(
            isinstance(tp, TopicPartition) for tp in topic_partition_offsets
        ):
            raise TypeError("Expected list of TopicPartition")
        if not topic_partition_offsets:
            raise ValueError("Expected at least one TopicPartition")
        keys = [(tp.topic, tp.partition) for tp in topic_partition_offsets]
        if len(set(keys)) != len(keys):
            raise ValueError("Duplicate partitions in delete_records")
        for tp in topic_partition_offsets:
            if not tp.topic or tp.partition < 0:
                raise ValueError(f"invalid topic partition {tp}")
        timeout = _timeout(kwargs) or float(kwargs.get("operation_timeout", 0) or 0)
        asked = [(tp.topic, tp.partition, tp.offset) for tp in topic_partition_offsets]
        futures = {tp: concurrent.futures.Future() for tp in topic_partition_offsets}

        def run() -> None:
            try:
                rows = self._admin.delete_records(asked, timeout)
            except BaseException as e:
                for f in futures.values():
                    f.set_exception(e)
                return
            answers = {(t, p): (err, low) for t, p, err, low in rows}
            for tp, f in futures.items():
                err, low = answers.get((tp.topic, tp.partition), (KafkaError._TIMED_OUT, -1))
                if err:
                    f.set_exception(KafkaException(_error_for(err)))
                else:
                    f.set_result(DeletedRecords(low))

        threading.Thread(target=run, name="shoal-admin", daemon=True).start()
        return futures

    def elect_leaders(
        self,
        election_type: ElectionType,
        partitions: list[TopicPartition] | None = None,
        **kwargs: Any,
    ) -> concurrent.futures.Future[Any]:
        """Elects leaders now: a Future of {TopicPartition: KafkaError or None}. PREFERRED
        moves leadership back to each partition's first replica (ELECTION_NOT_NEEDED if it
        leads, PREFERRED_LEADER_NOT_AVAILABLE if it is down or out of sync); UNCLEAN elects a
        live replica for a partition without a leader, even one out of sync, whose missing
        records are then lost (ELIGIBLE_LEADERS_NOT_AVAILABLE if none is alive). partitions
        None: every partition. kwargs: ``request_timeout``, ``operation_timeout``."""
        if not isinstance(election_type, ElectionType):
            raise TypeError("election_type must be an ElectionType")
        asked = None
        if partitions is not None:
            if not isinstance(partitions, list) or not all(
                isinstance(tp, TopicPartition) for tp in partitions
            ):
                raise TypeError("Expected list of TopicPartition or None")
            if not partitions:
                raise ValueError("Expected a non-empty list of partitions, or None for all")
            asked = [(tp.topic, tp.partition) for tp in partitions]
        timeout = _timeout(kwargs) or float(kwargs.get("operation_timeout", 0) or 0)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work(_key: Any) -> dict[TopicPartition, KafkaError | None]:
            code, rows = self._admin.elect_leaders(
                election_type == ElectionType.UNCLEAN, asked, timeout
            )
            _raise_for(code)
            return {
                TopicPartition(t, p): (_error_for(err, msg or None) if err else None)
                for t, p, err, msg in rows
            }

        _settle({None: future}, work)
        return future

    # ---- consumer groups ----

    def list_consumer_groups(self, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """The groups of every broker: a Future of ListConsumerGroupsResult. kwargs:
        ``states`` (a set of ConsumerGroupState to keep), ``types`` (a set of
        ConsumerGroupType), ``request_timeout`` (seconds)."""
        states = kwargs.get("states") or set()
        types = kwargs.get("types") or set()
        if not all(isinstance(st, ConsumerGroupState) for st in states):
            raise TypeError("states must be a set of ConsumerGroupState")
        if not all(isinstance(t, ConsumerGroupType) for t in types):
            raise TypeError("types must be a set of ConsumerGroupType")
        if ConsumerGroupState.UNKNOWN in states:
            raise ValueError("UNKNOWN is not a state to list groups by")
        timeout = _timeout(kwargs)
        names = sorted(st._kafka_name() for st in states)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work(_key: Any) -> ListConsumerGroupsResult:
            groups, errors = self._admin.list_groups(names, timeout)
            valid = []
            for group_id, protocol_type, state, _type in sorted(groups):
                group_type = ConsumerGroupType.CLASSIC
                if types and group_type not in types:
                    continue
                valid.append(
                    ConsumerGroupListing(
                        group_id,
                        protocol_type == "",
                        ConsumerGroupState._from_kafka(state),
                        group_type,
                    )
                )
            return ListConsumerGroupsResult(
                valid, [KafkaException(_error_for(c, m)) for c, m in errors]
            )

        _settle({None: future}, work)
        return future

    def describe_consumer_groups(
        self, group_ids: list[str], **kwargs: Any
    ) -> dict[str, concurrent.futures.Future[Any]]:
        """Describes groups: {group_id: Future of ConsumerGroupDescription}. A group nobody
        knows is described as DEAD with no members, as Kafka describes it. kwargs:
        ``request_timeout``, ``include_authorized_operations`` (there are no ACLs: None)."""
        timeout = _timeout(kwargs)
        futures = {g: concurrent.futures.Future() for g in _check_group_ids(group_ids)}

        def work(group: str) -> ConsumerGroupDescription:
            gid, code, message, state, protocol_type, assignor, members, coord = (
                self._admin.describe_group(group, timeout)
            )
            _raise_for(code, message)
            return ConsumerGroupDescription(
                gid,
                protocol_type == "" and state != "Dead",
                [
                    MemberDescription(
                        member_id,
                        client_id,
                        host,
                        MemberAssignment([TopicPartition(t, p) for t, p in parts]),
                        instance_id,
                    )
                    for member_id, instance_id, client_id, host, parts in members
                ],
                assignor,
                ConsumerGroupState._from_kafka(state),
                Node(*coord),
            )

        _settle(futures, work)
        return futures

    def delete_consumer_groups(
        self, group_ids: list[str], **kwargs: Any
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Deletes empty groups and their committed offsets: {group_id: Future}. Errors:
        GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP."""
        timeout = _timeout(kwargs)
        futures = {g: concurrent.futures.Future() for g in _check_group_ids(group_ids)}

        def work(group: str) -> None:
            _raise_for(self._admin.delete_group(group, timeout))

        _settle(futures, work)
        return futures

    def list_consumer_group_offsets(
        self, list_consumer_group_offsets_request: list[ConsumerGroupTopicPartitions], **kwargs: Any
    ) -> dict[str, concurrent.futures.Future[Any]]:
        """A group's committed offsets: {group_id: Future of ConsumerGroupTopicPartitions}
        whose TopicPartitions carry the offset (OFFSET_INVALID: nothing committed) and any
        per-partition error. topic_partitions None: every partition the group committed.
        kwargs: ``require_stable``, ``request_timeout``."""
        r = _one_group_request(list_consumer_group_offsets_request, "list consumer group offsets")
        timeout = _timeout(kwargs)
        require_stable = bool(kwargs.get("require_stable", False))
        topics = None
        if r.topic_partitions is not None:
            by_topic: dict[str, list[int]] = {}
            for tp in r.topic_partitions:
                by_topic.setdefault(tp.topic, []).append(tp.partition)
            topics = list(by_topic.items())

        def work(group: str) -> ConsumerGroupTopicPartitions:
            code, rows = self._admin.offset_fetch(group, topics, require_stable, timeout)
            _raise_for(code)
            out = []
            for topic, partition, offset, epoch, metadata, err in sorted(rows):
                out.append(
                    TopicPartition._make(
                        topic,
                        partition,
                        offset if offset >= 0 else OFFSET_INVALID,
                        metadata or None,
                        epoch if epoch >= 0 else None,
                        _error_for(err) if err else None,
                    )
                )
            return ConsumerGroupTopicPartitions(group, out)

        futures = {r.group_id: concurrent.futures.Future()}
        _settle(futures, work)
        return futures

    def alter_consumer_group_offsets(
        self,
        alter_consumer_group_offsets_request: list[ConsumerGroupTopicPartitions],
        **kwargs: Any,
    ) -> dict[str, concurrent.futures.Future[Any]]:
        """Sets a group's committed offsets, as ``kafka-consumer-groups --reset-offsets``
        does: only while the group has no members (else UNKNOWN_MEMBER_ID per partition, as
        Kafka answers a commit from outside a live group). Returns {group_id: Future of
        ConsumerGroupTopicPartitions} with each partition's error."""
        r = _one_group_request(alter_consumer_group_offsets_request, "alter consumer group offsets")
        if not r.topic_partitions:
            raise ValueError("alter_consumer_group_offsets needs topic_partitions")
        for tp in r.topic_partitions:
            if tp.offset < 0:
                raise ValueError(f"offset must be >= 0 in {tp}")
        timeout = _timeout(kwargs)
        offsets = [(tp.topic, tp.partition, tp.offset, tp.metadata) for tp in r.topic_partitions]
        wanted = {(tp.topic, tp.partition): tp.offset for tp in r.topic_partitions}

        def work(group: str) -> ConsumerGroupTopicPartitions:
            rows = self._admin.offset_commit(group, offsets, timeout)
            out = [
                TopicPartition._make(
                    t,
                    p,
                    wanted.get((t, p), OFFSET_INVALID),
                    None,
                    None,
                    _error_for(err) if err else None,
                )
                for t, p, err in rows
            ]
            return ConsumerGroupTopicPartitions(group, out)

        futures = {r.group_id: concurrent.futures.Future()}
        _settle(futures, work)
        return futures

    def list_offsets(
        self, topic_partition_offsets: dict[TopicPartition, OffsetSpec], **kwargs: Any
    ) -> dict[TopicPartition, concurrent.futures.Future[Any]]:
        """Offsets from the partitions' leaders: {TopicPartition: Future of
        ListOffsetsResultInfo}. kwargs: ``isolation_level`` (IsolationLevel),
        ``request_timeout``."""
        if not isinstance(topic_partition_offsets, dict):
            raise TypeError("Expected a dict of TopicPartition to OffsetSpec")
        if not topic_partition_offsets:
            raise ValueError("Expected at least one partition")
        asked = []
        for tp, spec in topic_partition_offsets.items():
            if not isinstance(tp, TopicPartition) or not isinstance(spec, OffsetSpec):
                raise TypeError("Expected a dict of TopicPartition to OffsetSpec")
            if not tp.topic or tp.partition < 0:
                raise ValueError(f"invalid topic partition {tp}")
            asked.append((tp.topic, tp.partition, spec._value))
        isolation = kwargs.get("isolation_level", IsolationLevel.READ_UNCOMMITTED)
        if not isinstance(isolation, IsolationLevel):
            raise TypeError("isolation_level must be an IsolationLevel")
        timeout = _timeout(kwargs)
        futures = {tp: concurrent.futures.Future() for tp in topic_partition_offsets}

        def run() -> None:
            try:
                rows = self._admin.list_offsets(asked, isolation.value, timeout)
            except BaseException as e:
                for f in futures.values():
                    f.set_exception(e)
                return
            answers = {(t, p): (err, off, ts, ep) for t, p, err, off, ts, ep in rows}
            for tp, f in futures.items():
                err, off, ts, ep = answers.get(
                    (tp.topic, tp.partition), (KafkaError._TIMED_OUT, -1, -1, -1)
                )
                if err:
                    f.set_exception(KafkaException(_error_for(err)))
                else:
                    f.set_result(ListOffsetsResultInfo(off, ts, ep))

        threading.Thread(target=run, name="shoal-admin", daemon=True).start()
        return futures

    def list_consumer_group_lag(
        self, group_id: str, request_timeout: float = 0
    ) -> list[ConsumerGroupLag]:
        """Shoal's extension (confluent-kafka has none; this is what ``kafka-consumer-groups
        --describe`` computes): for every partition the group's members own or the group
        committed, the committed offset, the log end offset, the lag and the owning member,
        sorted by topic and partition. Built from describe_consumer_groups,
        list_consumer_group_offsets and list_offsets, so the same code works on Kafka with
        those three calls. Raises KafkaException (e.g. COORDINATOR_NOT_AVAILABLE)."""
        kw = {"request_timeout": request_timeout}
        desc = self.describe_consumer_groups([group_id], **kw)[group_id].result()
        owner: dict[tuple[str, int], MemberDescription] = {}
        for m in desc.members:
            for tp in m.assignment.topic_partitions:
                owner[(tp.topic, tp.partition)] = m
        committed = (
            self.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id)], **kw)[
                group_id
            ]
            .result()
            .topic_partitions
            or []
        )
        current = {(tp.topic, tp.partition): tp.offset for tp in committed if tp.error is None}
        keys = sorted(set(owner) | set(current))
        if not keys:
            return []
        ends = self.list_offsets({TopicPartition(t, p): OffsetSpec.latest() for t, p in keys}, **kw)
        by_key = {(tp.topic, tp.partition): f for tp, f in ends.items()}
        rows = []
        for t, p in keys:
            end = by_key[(t, p)].result().offset
            off = current.get((t, p), OFFSET_INVALID)
            m = owner.get((t, p))
            rows.append(
                ConsumerGroupLag(
                    group_id,
                    t,
                    p,
                    off if off >= 0 else None,
                    end,
                    m.member_id if m else None,
                    m.client_id if m else None,
                    m.host if m else None,
                    m.group_instance_id if m else None,
                )
            )
        return rows

    def close(self) -> None:
        self._admin.close()
