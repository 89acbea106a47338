"""A refresh marker: when Lean was last asked for a customer's payment sources, and how that call went; and what
Lean's list of them could be read of."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Lean's pydantic models: the customer API imports this module at its start
    from lean_webhooks.models.payment_source import LeanPaymentSource

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


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
    retryable: bool = True  # a failed call: whether trying again after `retry_at` can help

    @property
    def claimed(self) -> bool:
        return self.claim_id is not None


@dataclass(frozen=True)
class PaymentSourceListing:
    """Lean's list of a customer's payment sources as far as it can be read: the readable ones, and for each one
    that cannot be read its id when that is readable (None otherwise). Never its body: it may carry IBANs."""

    sources: list[LeanPaymentSource] = field(default_factory=list)
    unreadable_ids: list[str | None] = field(default_factory=list)

    def listed_ids(self) -> set[str]:
        """Every id Lean listed that can be read, lower-cased (unreadable items included)."""
        return {s.id.lower() for s in self.sources} | {i.lower() for i in self.unreadable_ids if i}


def readable_id(item: Any) -> str | None:
    """The `id` of a listed item that cannot be read, when it is a Lean id (a UUID), lower-cased; else None."""
    value = item.get("id") if isinstance(item, dict) else None
    return value.lower() if isinstance(value, str) and _UUID.fullmatch(value) else None
