"""Topics as ``describe_topics`` gives them, and their ids."""

from __future__ import annotations

from typing import Any

from shoal.admin._cluster import Node

__all__ = ["TopicCollection", "TopicDescription", "TopicPartitionInfo", "Uuid"]


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
