"""Value types shared by the clients, as confluent-kafka-python defines them: the offset and
timestamp constants, ``TopicPartition``, the admin requests ``NewTopic`` and ``NewPartitions``,
and the cluster metadata that ``list_topics()`` returns.
"""

from __future__ import annotations

from typing import Any

from shoal.error import KafkaError, _c_int

__all__ = [
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "OFFSET_STORED",
    "TIMESTAMP_CREATE_TIME",
    "TIMESTAMP_LOG_APPEND_TIME",
    "TIMESTAMP_NOT_AVAILABLE",
    "BrokerMetadata",
    "ClusterMetadata",
    "NewPartitions",
    "NewTopic",
    "PartitionMetadata",
    "TopicMetadata",
    "TopicPartition",
]

# Logical offsets (librdkafka's RD_KAFKA_OFFSET_*): where to start when there is no position.
OFFSET_BEGINNING = -2
"""The partition's first offset (the log start offset)."""
OFFSET_END = -1
"""The partition's end: only records produced from now on."""
OFFSET_STORED = -1000
"""The group's committed offset."""
OFFSET_INVALID = -1001
"""No offset: nothing committed, or not known."""

# Message.timestamp() types (librdkafka's rd_kafka_timestamp_type_t).
TIMESTAMP_NOT_AVAILABLE = 0
"""The message has no timestamp."""
TIMESTAMP_CREATE_TIME = 1
"""The producer's timestamp (topic config message.timestamp.type=CreateTime)."""
TIMESTAMP_LOG_APPEND_TIME = 2
"""The broker's append time (message.timestamp.type=LogAppendTime)."""

_PARTITION_UA = -1  # librdkafka's RD_KAFKA_PARTITION_UA: no partition chosen


def _check_str(value: Any, what: str) -> str:
    """Converts as the C API's ``s`` format does: a str without NUL characters."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what} must not contain a NUL character")
    return value


def _not_comparable(a: object, b: object) -> None:
    """confluent-kafka refuses to compare its value types with anything of another type."""
    if type(a) is not type(b):
        raise NotImplementedError(f"cannot compare {type(a).__name__} with {type(b).__name__}")


class TopicPartition:
    """A topic partition, with an offset and the per-partition outcome of a request.

    ``TopicPartition(topic, partition=-1, offset=OFFSET_INVALID, metadata=None,
    leader_epoch=None)``

    Attributes: ``topic`` (read-only), ``partition`` and ``offset`` (writable; the offset is an
    absolute offset or one of the ``OFFSET_*`` constants), ``metadata`` (the string committed
    with the offset, or None), ``leader_epoch`` (None when unknown) and ``error`` (a KafkaError
    when the request failed for this partition, else None).

    Equality, ordering and hashing use ``(topic, partition)`` only. Comparing with anything but
    a TopicPartition raises NotImplementedError, as in confluent-kafka.
    """

    __slots__ = ("_error", "_leader_epoch", "_metadata", "_offset", "_partition", "_topic")

    _topic: str
    _partition: int
    _offset: int
    _metadata: str | None
    _leader_epoch: int
    _error: KafkaError | None

    def __init__(
        self,
        topic: str,
        partition: int = _PARTITION_UA,
        offset: int = OFFSET_INVALID,
        metadata: str | None = None,
        leader_epoch: int | None = None,
    ) -> None:
        self._topic = _check_str(topic, "TopicPartition() argument 'topic'")
        self._partition = _c_int(partition, "TopicPartition() argument 'partition'")
        self._offset = _c_int(offset, "TopicPartition() argument 'offset'", bits=64)
        if metadata is not None:
            _check_str(metadata, "TopicPartition() argument 'metadata'")
        self._metadata = metadata
        epoch = -1
        if leader_epoch is not None:
            epoch = _c_int(leader_epoch, "TopicPartition() argument 'leader_epoch'")
        self._leader_epoch = max(epoch, -1)
        self._error = None

    @classmethod
    def _make(
        cls,
        topic: str,
        partition: int,
        offset: int,
        metadata: str | None = None,
        leader_epoch: int | None = None,
        error: KafkaError | None = None,
    ) -> TopicPartition:
        """For Shoal's clients: a TopicPartition that carries a per-partition error."""
        tp = cls(topic, partition, offset, metadata, leader_epoch)
        tp._error = error
        return tp

    @property
    def topic(self) -> str:
        """The topic name."""
        return self._topic

    @property
    def partition(self) -> int:
        """The partition number (-1 when none was chosen)."""
        return self._partition

    @partition.setter
    def partition(self, value: int) -> None:
        self._partition = _c_int(value, "TopicPartition.partition")

    @property
    def offset(self) -> int:
        """An absolute offset (>= 0) or a logical one: OFFSET_BEGINNING, OFFSET_END,
        OFFSET_STORED, OFFSET_INVALID."""
        return self._offset

    @offset.setter
    def offset(self, value: int) -> None:
        self._offset = _c_int(value, "TopicPartition.offset", bits=64)

    @property
    def metadata(self) -> str | None:
        """The application's string committed with the offset, or None."""
        return self._metadata

    @property
    def leader_epoch(self) -> int | None:
        """The leader epoch of the offset, or None when unknown."""
        return self._leader_epoch if self._leader_epoch >= 0 else None

    @property
    def error(self) -> KafkaError | None:
        """The error for this partition, or None."""
        return self._error

    def __repr__(self) -> str:
        return (
            f"TopicPartition{{topic={self._topic},partition={self._partition},"
            f"offset={self._offset},leader_epoch={self.leader_epoch},"
            f"error={None if self._error is None else str(self._error)}}}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            TopicPartition._make,
            (
                self._topic,
                self._partition,
                self._offset,
                self._metadata,
                self._leader_epoch,
                self._error,
            ),
        )

    def __hash__(self) -> int:
        return hash(self._topic) ^ self._partition

    def _key(self, other: object) -> tuple[tuple[str, int], tuple[str, int]]:
        _not_comparable(self, other)
        assert isinstance(other, TopicPartition)
        return (self._topic, self._partition), (other._topic, other._partition)

    def __eq__(self, other: object) -> bool:
        a, b = self._key(other)
        return a == b

    def __ne__(self, other: object) -> bool:
        a, b = self._key(other)
        return a != b

    def __lt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a < b

    def __le__(self, other: object) -> bool:
        a, b = self._key(other)
        return a <= b

    def __gt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a > b

    def __ge__(self, other: object) -> bool:
        a, b = self._key(other)
        return a >= b


class NewTopic:
    """A topic to create with ``AdminClient.create_topics()``.

    ``NewTopic(topic, num_partitions=-1, replication_factor=-1, replica_assignment=None,
    config=None)``

    ``num_partitions`` and ``replication_factor`` of -1 take the broker's defaults
    (``num.partitions``, ``default.replication.factor``); both stay -1 when
    ``replica_assignment`` (a list, per partition, of the broker ids of its replicas) is given.
    ``config`` is a dict of topic configs (``{"cleanup.policy": "compact"}``).

    Equality, ordering and hashing use ``(topic, num_partitions)``. Comparing with anything but
    a NewTopic raises NotImplementedError, as in confluent-kafka.
    """

    __slots__ = ("_num_partitions", "_replication_factor", "_topic", "config", "replica_assignment")

    def __init__(
        self,
        topic: str,
        num_partitions: int = -1,
        replication_factor: int = -1,
        replica_assignment: list[list[int]] | None = None,
        config: dict[str, str] | None = None,
    ) -> None:
        self._topic = _check_str(topic, "NewTopic() argument 'topic'")
        self._num_partitions = _c_int(num_partitions, "NewTopic() argument 'num_partitions'")
        self._replication_factor = _c_int(
            replication_factor, "NewTopic() argument 'replication_factor'"
        )
        if config is not None and not isinstance(config, dict):
            raise TypeError("config must be a dict of strings")
        self.replica_assignment: list[list[int]] | None = replica_assignment
        """Per partition, the broker ids of its replicas; or None."""
        self.config: dict[str, str] | None = config
        """Topic configs, or None."""

    @property
    def topic(self) -> str:
        """The topic name."""
        return self._topic

    @property
    def num_partitions(self) -> int:
        """The number of partitions, or -1 for the broker's default or a replica_assignment."""
        return self._num_partitions

    @num_partitions.setter
    def num_partitions(self, value: int) -> None:
        self._num_partitions = _c_int(value, "NewTopic.num_partitions")

    @property
    def replication_factor(self) -> int:
        """The replication factor, or -1 for the broker's default or a replica_assignment."""
        return self._replication_factor

    @replication_factor.setter
    def replication_factor(self, value: int) -> None:
        self._replication_factor = _c_int(value, "NewTopic.replication_factor")

    def __repr__(self) -> str:
        if self._num_partitions == -1:
            return f"NewTopic(topic={self._topic})"
        return f"NewTopic(topic={self._topic},num_partitions={self._num_partitions})"

    def __hash__(self) -> int:
        if self._num_partitions == -1:
            return hash(self._topic)
        return hash(self._topic) ^ self._num_partitions

    def _key(self, other: object) -> tuple[tuple[str, int], tuple[str, int]]:
        _not_comparable(self, other)
        assert isinstance(other, NewTopic)
        return (self._topic, self._num_partitions), (other._topic, other._num_partitions)

    def __eq__(self, other: object) -> bool:
        a, b = self._key(other)
        return a == b

    def __ne__(self, other: object) -> bool:
        a, b = self._key(other)
        return a != b

    def __lt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a < b

    def __le__(self, other: object) -> bool:
        a, b = self._key(other)
        return a <= b

    def __gt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a > b

    def __ge__(self, other: object) -> bool:
        a, b = self._key(other)
        return a >= b


class NewPartitions:
    """A partition increase for ``AdminClient.create_partitions()``.

    ``NewPartitions(topic, new_total_count, replica_assignment=None)``

    ``new_total_count`` is the topic's partition count afterwards (not the number to add).
    ``replica_assignment`` lists, for each new partition, the broker ids of its replicas.

    Equality, ordering and hashing use ``(topic, new_total_count)``. Comparing with anything
    but a NewPartitions raises NotImplementedError, as in confluent-kafka.
    """

    __slots__ = ("_new_total_count", "_topic", "replica_assignment")

    def __init__(
        self,
        topic: str,
        new_total_count: int,
        replica_assignment: list[list[int]] | None = None,
    ) -> None:
        self._topic = _check_str(topic, "NewPartitions() argument 'topic'")
        self._new_total_count = _c_int(
            new_total_count, "NewPartitions() argument 'new_total_count'"
        )
        self.replica_assignment: list[list[int]] | None = replica_assignment
        """For each new partition, the broker ids of its replicas; or None."""

    @property
    def topic(self) -> str:
        """The topic name."""
        return self._topic

    @property
    def new_total_count(self) -> int:
        """The total number of partitions after the increase."""
        return self._new_total_count

    @new_total_count.setter
    def new_total_count(self, value: int) -> None:
        self._new_total_count = _c_int(value, "NewPartitions.new_total_count")

    def __repr__(self) -> str:
        return f"NewPartitions(topic={self._topic},new_total_count={self._new_total_count})"

    def __hash__(self) -> int:
        return hash(self._topic) ^ self._new_total_count

    def _key(self, other: object) -> tuple[tuple[str, int], tuple[str, int]]:
        _not_comparable(self, other)
        assert isinstance(other, NewPartitions)
        return (self._topic, self._new_total_count), (other._topic, other._new_total_count)

    def __eq__(self, other: object) -> bool:
        a, b = self._key(other)
        return a == b

    def __ne__(self, other: object) -> bool:
        a, b = self._key(other)
        return a != b

    def __lt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a < b

    def __le__(self, other: object) -> bool:
        a, b = self._key(other)
        return a <= b

    def __gt__(self, other: object) -> bool:
        a, b = self._key(other)
        return a > b

    def __ge__(self, other: object) -> bool:
        a, b = self._key(other)
        return a >= b


class ClusterMetadata:
    """The cluster's brokers and topics, as ``list_topics()`` returns them. Built by the
    clients, not by users."""

    def __init__(self) -> None:
        self.cluster_id: str | None = None
        """The cluster id, or None."""
        self.controller_id: int = -1
        """The id of the controller broker, or -1."""
        self.brokers: dict[int, BrokerMetadata] = {}
        """Brokers by id."""
        self.topics: dict[str, TopicMetadata] = {}
        """Topics by name."""
        self.orig_broker_id: int = -1
        """The id of the broker that answered."""
        self.orig_broker_name: str | None = None
        """The name of the broker that answered."""

    def __repr__(self) -> str:
        return f"ClusterMetadata({self.cluster_id})"

    def __str__(self) -> str:
        return str(self.cluster_id)


class BrokerMetadata:
    """A broker in ClusterMetadata.brokers. Built by the clients, not by users."""

    def __init__(self) -> None:
        self.id: int = -1
        """The broker id."""
        self.host: str | None = None
        """The broker's host name."""
        self.port: int = -1
        """The broker's port."""

    def __repr__(self) -> str:
        return f"BrokerMetadata({self.id}, {self.host}:{self.port})"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.id}"


class TopicMetadata:
    """A topic in ClusterMetadata.topics. Built by the clients, not by users."""

    def __init__(self) -> None:
        self.topic: str | None = None
        """The topic name."""
        self.partitions: dict[int, PartitionMetadata] = {}
        """Partitions by id."""
        self.error: KafkaError | None = None
        """The topic's error (UNKNOWN_TOPIC_OR_PART, ...), or None."""

    def __repr__(self) -> str:
        if self.error is None:
            return f"TopicMetadata({self.topic}, {len(self.partitions)} partitions)"
        return f"TopicMetadata({self.topic}, {len(self.partitions)} partitions, {self.error})"

    def __str__(self) -> str:
        return str(self.topic)


class PartitionMetadata:
    """A partition in TopicMetadata.partitions. Built by the clients, not by users.

    The broker ids in ``leader``, ``replicas`` and ``isrs`` may be missing from
    ClusterMetadata.brokers for a while (a broker that is down): check before looking one up.
    """

    def __init__(self) -> None:
        self.id: int = -1
        """The partition id."""
        self.leader: int = -1
        """The id of the leader broker, or -1 when there is none."""
        self.replicas: list[int] = []
        """The ids of the brokers that hold a replica."""
        self.isrs: list[int] = []
        """The ids of the in-sync replicas."""
        self.error: KafkaError | None = None
        """The partition's error (LEADER_NOT_AVAILABLE, ...), or None."""

    def __repr__(self) -> str:
        if self.error is None:
            return f"PartitionMetadata({self.id})"
        return f"PartitionMetadata({self.id}, {self.error})"

    def __str__(self) -> str:
        return str(self.id)
