"""A customer's erasure record, as the guard and the domain-event publisher read it: ids and times only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ErasureRecord:
    erasure_id: str
    started_at: datetime
    completed_at: datetime | None = None  # None while the erasure is under way (or after it failed midway)

    def refuses(self, read_at: datetime) -> bool:
        """Whether a write of what Lean said at `read_at` is refused: the erasure is under way, or finished after
        that read, or at the same instant (taken as after)."""
        return self.completed_at is None or read_at <= self.completed_at
