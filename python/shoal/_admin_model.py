"""The consumer-group and offset types of confluent-kafka's admin API, with its names and
constructors: ``ConsumerGroupState``, ``ConsumerGroupType``, ``Node``, ``IsolationLevel``,
``ConsumerGroupTopicPartitions``, the results of ``list_consumer_groups`` and
``describe_consumer_groups``, ``OffsetSpec`` and ``ListOffsetsResultInfo``; and Shoal's lag
rows (``ConsumerGroupLag``), which confluent-kafka leaves to the application to compute.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from shoal._model import TopicPartition
from shoal.error import KafkaException

__all__ = [
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
    "Node",
    "OffsetSpec",
    "TopicCollection",
    "TopicDescription",
    "TopicPartitionInfo",
    "Uuid",
]


class ConsumerGroupState(Enum):
    """A group's state (librdkafka's rd_kafka_consumer_group_state_t)."""

    UNKNOWN = 0
    PREPARING_REBALANCING = 1
    COMPLETING_REBALANCING = 2
    STABLE = 3
    DEAD = 4
    EMPTY = 5

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ConsumerGroupState):
            return NotImplemented
        return self.value < other.value

    @classmethod
    def _from_kafka(cls, name: str) -> ConsumerGroupState:
        """From the state names of Kafka's protocol ("PreparingRebalance", ...)."""
        return _STATE_BY_KAFKA_NAME.get(name, cls.UNKNOWN)

    def _kafka_name(self) -> str:
        return {v: k for k, v in _STATE_BY_KAFKA_NAME.items()}.get(self, "Unknown")


_STATE_BY_KAFKA_NAME = {
    "PreparingRebalance": ConsumerGroupState.PREPARING_REBALANCING,
    "CompletingRebalance": ConsumerGroupState.COMPLETING_REBALANCING,
    "Stable": ConsumerGroupState.STABLE,
    "Dead": ConsumerGroupState.DEAD,
    "Empty": ConsumerGroupState.EMPTY,
}


class ConsumerGroupType(Enum):
    """A group's protocol (KIP-848). Shoal's groups are all CLASSIC."""

    UNKNOWN = 0
    CONSUMER = 1
    CLASSIC = 2

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ConsumerGroupType):
            return NotImplemented
        return self.value < other.value


class IsolationLevel(Enum):
    """Which records list_offsets and consumers see. Shoal has no transactions, so both
    levels see the same records and the last stable offset is the high watermark."""

    READ_UNCOMMITTED = 0
    READ_COMMITTED = 1

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, IsolationLevel):
            return NotImplemented
        return self.value < other.value


class Node:
    """A broker: its id, host, port and rack; host and port are the broker's Kafka listener
    (``advertised.listeners``)."""

    def __init__(self, id: int, host: str, port: int, rack: str | None = None) -> None:
        self.id = id
        self.id_string = str(id)
        self.host = host
        self.port = port
        self.rack = rack

    def __repr__(self) -> str:
        return f"Node(id={self.id}, host={self.host!r}, port={self.port}, rack={self.rack!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and (self.id, self.host, self.port, self.rack) == (
            other.id,
            other.host,
            other.port,
            other.rack,
        )

    def __hash__(self) -> int:
        return hash((self.id, self.host, self.port, self.rack))


class ConsumerGroupTopicPartitions:
    """A group and some of its partitions: the request and the answer of
    ``list_consumer_group_offsets`` and ``alter_consumer_group_offsets``."""

    def __init__(self, group_id: str, topic_partitions: list[TopicPartition] | None = None) -> None:
        self.group_id = group_id
        self.topic_partitions = topic_partitions

    def __repr__(self) -> str:
        return f"ConsumerGroupTopicPartitions({self.group_id!r}, {self.topic_partitions!r})"

    def __hash__(self) -> int:
        return hash(self.group_id)


class ConsumerGroupListing:
    """One group in ``list_consumer_groups()``'s result."""

    def __init__(
        self,
        group_id: str,
        is_simple_consumer_group: bool,
        state: ConsumerGroupState | None = None,
        type: ConsumerGroupType | None = None,
    ) -> None:
        self.group_id = group_id
        self.is_simple_consumer_group = is_simple_consumer_group
        self.state = state
        self.type = type

    def __repr__(self) -> str:
        return (
            f"ConsumerGroupListing({self.group_id!r}, simple={self.is_simple_consumer_group}, "
            f"{self.state}, {self.type})"
        )


class ListConsumerGroupsResult:
    """``list_consumer_groups()``'s result: the groups found, and an error for each broker
    that could not list its groups."""

    def __init__(
        self,
        valid: list[ConsumerGroupListing] | None = None,
        errors: list[KafkaException] | None = None,
    ) -> None:
        self.valid = valid
        self.errors = errors

    def __repr__(self) -> str:
        return f"ListConsumerGroupsResult(valid={self.valid!r}, errors={self.errors!r})"


class MemberAssignment:
    """The partitions assigned to a member."""

    def __init__(self, topic_partitions: list[TopicPartition] | None = None) -> None:
        self.topic_partitions = topic_partitions if topic_partitions is not None else []

    def __repr__(self) -> str:
        return f"MemberAssignment({self.topic_partitions!r})"


class MemberDescription:
    """A member in ``ConsumerGroupDescription.members``."""

    def __init__(
        self,
        member_id: str,
        client_id: str,
        host: str,
        assignment: MemberAssignment,
        group_instance_id: str | None = None,
        target_assignment: MemberAssignment | None = None,
    ) -> None:
        self.member_id = member_id
        self.client_id = client_id
        self.host = host
        self.assignment = assignment
        self.group_instance_id = group_instance_id
        self.target_assignment = target_assignment

    def __repr__(self) -> str:
        return (
            f"MemberDescription({self.member_id!r}, client_id={self.client_id!r}, "
            f"host={self.host!r}, {self.assignment!r})"
        )


class ConsumerGroupDescription:
    """``describe_consumer_groups()``'s answer for one group."""

    def __init__(
        self,
        group_id: str,
        is_simple_consumer_group: bool,
        members: list[MemberDescription],
        partition_assignor: str,
        state: ConsumerGroupState,
        coordinator: Node,
        authorized_operations: list[Any] | None = None,
        type: ConsumerGroupType = ConsumerGroupType.CLASSIC,
    ) -> None:
        self.group_id = group_id
        self.is_simple_consumer_group = is_simple_consumer_group
        self.members = members
        self.partition_assignor = partition_assignor
        self.state = state
        self.coordinator = coordinator
        self.authorized_operations = authorized_operations
        self.type = type

    def __repr__(self) -> str:
        return (
            f"ConsumerGroupDescription({self.group_id!r}, {self.state}, "
            f"assignor={self.partition_assignor!r}, {len(self.members)} members)"
        )


class OffsetSpec:
    """Which offset ``list_offsets`` finds: ``OffsetSpec.earliest()``, ``latest()``,
    ``max_timestamp()`` or ``for_timestamp(ms)`` (the first offset whose timestamp is at or
    after ms)."""

    _EARLIEST = -2
    _LATEST = -1
    _MAX_TIMESTAMP = -3

    def __init__(self, index: int) -> None:
        if not isinstance(index, int):
            raise TypeError("OffsetSpec takes an int")
        if index < self._MAX_TIMESTAMP:
            raise ValueError(f"invalid OffsetSpec {index}: a timestamp must be >= 0")
        self._value = index

    @classmethod
    def earliest(cls) -> OffsetSpec:
        return cls(cls._EARLIEST)

    @classmethod
    def latest(cls) -> OffsetSpec:
        return cls(cls._LATEST)

    @classmethod
    def max_timestamp(cls) -> OffsetSpec:
        return cls(cls._MAX_TIMESTAMP)

    @classmethod
    def for_timestamp(cls, index: int) -> OffsetSpec:
        if not isinstance(index, int) or index < 0:
            raise ValueError("for_timestamp takes a timestamp in milliseconds, >= 0")
        return cls(index)

    def __repr__(self) -> str:
        names = {self._EARLIEST: "earliest", self._LATEST: "latest", self._MAX_TIMESTAMP: "max"}
        return f"OffsetSpec({names.get(self._value, self._value)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OffsetSpec) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)


class ListOffsetsResultInfo:
    """``list_offsets()``'s answer for one partition: the offset, the timestamp of the record
    found (-1 for earliest and latest) and its leader epoch (None when not known)."""

    def __init__(self, offset: int, timestamp: int, leader_epoch: int | None) -> None:
        self.offset = offset
        self.timestamp = timestamp
        self.leader_epoch = leader_epoch if leader_epoch is None or leader_epoch >= 0 else None

    def __repr__(self) -> str:
        return (
            f"ListOffsetsResultInfo(offset={self.offset}, timestamp={self.timestamp}, "
            f"leader_epoch={self.leader_epoch})"
        )


class ConsumerGroupLag:
    """One row of a group's lag (``AdminClient.list_consumer_group_lag``, ``shoal
    consumer-groups --describe``): a partition the group consumes or committed, its committed
    offset (None: nothing committed), the log end offset, the lag (None when nothing is
    committed, as Kafka's tool prints "-"), and the member that owns it now (None: no member)."""

    def __init__(
        self,
        group_id: str,
        topic: str,
        partition: int,
        current_offset: int | None,
        log_end_offset: int,
        member_id: str | None = None,
        client_id: str | None = None,
        host: str | None = None,
        group_instance_id: str | None = None,
    ) -> None:
        self.group_id = group_id
        self.topic = topic
        self.partition = partition
        self.current_offset = current_offset
        self.log_end_offset = log_end_offset
        self.lag = None if current_offset is None else max(0, log_end_offset - current_offset)
        self.member_id = member_id
        self.client_id = client_id
        self.host = host
        self.group_instance_id = group_instance_id

    def __repr__(self) -> str:
        return (
            f"ConsumerGroupLag({self.group_id!r}, {self.topic}[{self.partition}], "
            f"current={self.current_offset}, end={self.log_end_offset}, lag={self.lag}, "
            f"member={self.member_id!r})"
        )


# ---- configs ----


class ConfigSource(Enum):
    """Where a config's value comes from (librdkafka's rd_kafka_ConfigSource_t)."""

    UNKNOWN_CONFIG = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
    GROUP_CONFIG = 8


class AlterConfigOpType(Enum):
    """An incremental change: SET a value, DELETE it (back to the default), APPEND to or
    SUBTRACT from a list config."""

    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ConfigEntry:
    """A config's name and value, with where it comes from; in ConfigResource.incremental_configs,
    a change (``incremental_operation``)."""

    def __init__(
        self,
        name: str,
        value: str | None,
        source: ConfigSource = ConfigSource.UNKNOWN_CONFIG,
        is_read_only: bool = False,
        is_default: bool = False,
        is_sensitive: bool = False,
        is_synonym: bool = False,
        synonyms: list[ConfigEntry] | dict[str, ConfigEntry] | None = None,
        incremental_operation: AlterConfigOpType | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.source = source
        self.is_read_only = bool(is_read_only)
        self.is_default = bool(is_default)
        self.is_sensitive = bool(is_sensitive)
        self.is_synonym = bool(is_synonym)
        self.synonyms = synonyms if synonyms is not None else []
        self.incremental_operation = incremental_operation

    def __repr__(self) -> str:
        return f"ConfigEntry({self.name}={self.value})"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ConfigResource:
    """A resource with configs: ``ConfigResource(ConfigResource.Type.TOPIC, "t")`` or
    ``ConfigResource("broker", "1")`` (a broker id; "" for the cluster-wide dynamic defaults).
    ``set_config(name, value)`` builds a legacy full set; ``add_incremental_config(entry)``
    the changes for ``incremental_alter_configs``."""

    class Type(Enum):
        UNKNOWN = 0
        ANY = 1
        TOPIC = 2
        GROUP = 3
        BROKER = 4
        BROKER_LOGGER = 8

        def __lt__(self, other: object) -> bool:
            if not isinstance(other, ConfigResource.Type):
                return NotImplemented
            return self.value < other.value

    def __init__(
        self,
        restype: ConfigResource.Type | str | int,
        name: str,
        set_config: dict[str, str] | None = None,
        described_configs: dict[str, ConfigEntry] | None = None,
        error: Any = None,
        incremental_configs: list[ConfigEntry] | None = None,
    ) -> None:
        if name is None:
            raise ValueError("Expected resource name to be a string")
        if isinstance(restype, str):
            try:
                restype = ConfigResource.Type[restype.upper()]
            except KeyError:
                raise ValueError(f"Unknown resource type '{restype}'") from None
        elif isinstance(restype, int):
            restype = ConfigResource.Type(restype)
        if not isinstance(restype, ConfigResource.Type):
            raise TypeError("restype must be a ConfigResource.Type, str or int")
        self.restype = restype
        self.restype_int = restype.value
        self.name = name
        self.set_config_dict = dict(set_config or {})
        self.incremental_configs = list(incremental_configs or [])
        self.configs = described_configs
        self.error = error

    def __repr__(self) -> str:
        if self.error is not None:
            return f"ConfigResource({self.restype},{self.name},{self.error!r})"
        return f"ConfigResource({self.restype},{self.name})"

    def __hash__(self) -> int:
        return hash((self.restype, self.name))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ConfigResource)
            and self.restype == other.restype
            and self.name == other.name
        )

    def __lt__(self, other: ConfigResource) -> bool:
        return (self.restype.value, self.name) < (other.restype.value, other.name)

    def __len__(self) -> int:
        return len(self.set_config_dict)

    def set_config(self, name: str, value: str, overwrite: bool = True) -> None:
        if not overwrite and name in self.set_config_dict:
            return
        self.set_config_dict[name] = value

    def add_incremental_config(self, config_entry: ConfigEntry) -> None:
        if not isinstance(config_entry, ConfigEntry):
            raise TypeError("Expected a ConfigEntry")
        if config_entry.incremental_operation is None:
            raise ValueError("incremental_operation must be set on the ConfigEntry")
        self.incremental_configs.append(config_entry)


# ---- topics, cluster, records, elections ----


class Uuid:
    """A topic id, as Kafka's: 128 bits (two signed 64-bit halves), printed in URL-safe base64.
    Every broker gives a topic the same id, which changes only when the topic is re-created."""

    def __init__(self, most_significant_bits: int, least_significant_bits: int) -> None:
        self._msb = most_significant_bits
        self._lsb = least_significant_bits

    def get_most_significant_bits(self) -> int:
        return self._msb

    def get_least_significant_bits(self) -> int:
        return self._lsb

    def __str__(self) -> str:
        import base64

        raw = (self._msb & (2**64 - 1)).to_bytes(8, "big") + (self._lsb & (2**64 - 1)).to_bytes(
            8, "big"
        )
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def __repr__(self) -> str:
        return f"Uuid({self})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Uuid) and (self._msb, self._lsb) == (other._msb, other._lsb)

    def __hash__(self) -> int:
        return hash((self._msb, self._lsb))


class TopicCollection:
    """Topic names for ``describe_topics``."""

    def __init__(self, topic_names: list[str]) -> None:
        if not isinstance(topic_names, list) or not all(isinstance(t, str) for t in topic_names):
            raise TypeError("Expected list of topic names (str)")
        self.topic_names = topic_names


class TopicPartitionInfo:
    """A partition in a TopicDescription: its id, leader, replicas and in-sync replicas."""

    def __init__(self, id: int, leader: Node | None, replicas: list[Node], isr: list[Node]) -> None:
        self.id = id
        self.leader = leader
        self.replicas = replicas
        self.isr = isr

    def __repr__(self) -> str:
        return f"TopicPartitionInfo({self.id}, leader={self.leader})"


class TopicDescription:
    """``describe_topics()``'s answer for one topic."""

    def __init__(
        self,
        name: str,
        topic_id: Uuid | None,
        is_internal: bool,
        partitions: list[TopicPartitionInfo],
        authorized_operations: list[Any] | None = None,
    ) -> None:
        self.name = name
        self.topic_id = topic_id
        self.is_internal = is_internal
        self.partitions = partitions
        self.authorized_operations = authorized_operations

    def __repr__(self) -> str:
        return f"TopicDescription({self.name}, {len(self.partitions)} partitions)"


class DescribeClusterResult:
    """``describe_cluster()``'s answer: the controller, the brokers and the cluster id."""

    def __init__(
        self,
        controller: Node | None,
        nodes: list[Node],
        cluster_id: str | None = None,
        authorized_operations: list[Any] | None = None,
    ) -> None:
        self.controller = controller
        self.nodes = nodes
        self.cluster_id = cluster_id
        self.authorized_operations = authorized_operations

    def __repr__(self) -> str:
        return f"DescribeClusterResult({self.cluster_id}, controller={self.controller})"


class DeletedRecords:
    """``delete_records()``'s answer for one partition: its new log start offset."""

    def __init__(self, low_watermark: int) -> None:
        self.low_watermark = low_watermark

    def __repr__(self) -> str:
        return f"DeletedRecords(low_watermark={self.low_watermark})"


class ElectionType(Enum):
    """``elect_leaders()``: the PREFERRED replica back as leader, or an UNCLEAN election of any
    live replica for a partition without a leader (records it lacks are lost)."""

    PREFERRED = 0
    UNCLEAN = 1
