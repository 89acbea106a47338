"""A refresh marker: when Lean was last asked for a customer's payment sources, and how that call went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class RefreshState(Enum):
    NONE = "none"  # Lean never asked (or long ago): the caller claimed the call
    CALLING = "calling"  # a refresh is calling Lean now
    DONE = "done"  # Lean answered and what it listed is stored
    FAILED = "failed"  # Lean failed: no new call before `retry_at`


@dataclass(frozen=True)
class RefreshClaim:
    """What claiming (or reading) a customer's refresh marker found. `claim_id` is set when this caller claimed
    the call to Lean; otherwise the marker's state says what the last claimant's call is doing or did."""

    state: RefreshState
    claim_id: str | None = None
    called_at: datetime | None = None
    retry_at: datetime | None = None

    @property
    def claimed(self) -> bool:
        return self.claim_id is not None
