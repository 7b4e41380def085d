"""``list_offsets``: what to ask for (``OffsetSpec``, ``IsolationLevel``) and what comes back."""

from __future__ import annotations

from enum import Enum

__all__ = ["IsolationLevel", "ListOffsetsResultInfo", "OffsetSpec"]


class IsolationLevel(Enum):
    """Which records list_offsets and consumers see. Shoal has no transactions, so both
    levels see the same records and the last stable offset is the high watermark."""

    READ_UNCOMMITTED = 0
    READ_COMMITTED = 1

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, IsolationLevel):
            return NotImplemented
        return self.value < other.value


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
