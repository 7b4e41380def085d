"""Brokers as the admin API names them, and ``describe_cluster``."""

from __future__ import annotations

from typing import Any

__all__ = ["DescribeClusterResult", "Node"]


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
