"""Consumer groups: their states, types, listings, descriptions and lag rows."""

from __future__ import annotations

from enum import Enum
from typing import Any

from shoal._model import TopicPartition
from shoal.admin._cluster import Node
from shoal.error import KafkaException

__all__ = [
    "ConsumerGroupDescription",
    "ConsumerGroupLag",
    "ConsumerGroupListing",
    "ConsumerGroupState",
    "ConsumerGroupTopicPartitions",
    "ConsumerGroupType",
    "ListConsumerGroupsResult",
    "MemberAssignment",
    "MemberDescription",
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
