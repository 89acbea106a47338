"""One beneficiary, as the domain speaks of it: its identity, the status decided for it, the write that
stores the decision, and the activation a push announces. Plain dataclasses (no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BeneficiaryIdentity:
    """Which beneficiary of which payment source of which customer (Lean ids, lower case)."""

    customer_id: str
    payment_source_id: str
    beneficiary_id: str


@dataclass(frozen=True)
class BeneficiaryReport:
    """What a webhook (or, for recovery, the stored item) says about one beneficiary."""

    identity: BeneficiaryIdentity
    status: str
    is_update: bool
    payment_destination_id: str | None = None
    bank_identifier: str | None = None


@dataclass(frozen=True)
class StatusDecision:
    """What to write for one beneficiary event."""

    status: str
    cool_off_seen: bool


@dataclass(frozen=True)
class BeneficiaryWrite:
    """One beneficiary event to apply: the identity plus the status decision and what Lean said alongside."""

    identity: BeneficiaryIdentity
    decision: StatusDecision
    event_id: str
    event_type: str
    recheck_at: datetime | None  # when the cool-off recovery looks again (used while awaiting)
    cool_off_expiry: datetime | None = None
    payment_destination_id: str | None = None
    bank_identifier: str | None = None
    seen_in_api: bool = True  # Lean's answer listed the beneficiary: it may revive one marked REMOVED


@dataclass(frozen=True)
class BeneficiaryActivation:
    """What a push says: this beneficiary of this payment source became chargeable."""

    identity: BeneficiaryIdentity
    bank_identifier: str = ""
