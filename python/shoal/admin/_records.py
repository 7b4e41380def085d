"""``delete_records`` and ``elect_leaders``: their results and election types."""

from __future__ import annotations

from enum import Enum

__all__ = ["DeletedRecords", "ElectionType"]


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
