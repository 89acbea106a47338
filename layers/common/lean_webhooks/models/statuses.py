"""The beneficiary status vocabulary, in one place: Lean's two documented statuses and our own two."""

from __future__ import annotations

ACTIVE = "ACTIVE"  # Lean: chargeable
AWAITING_COOL_OFF = "AWAITING_BENEFICIARY_COOL_OFF"  # Lean: the bank's cool-off is not over
DELETED = "DELETED"  # ours: the payment source was deleted (customer API, or Lean answers 404)
REMOVED = "REMOVED"  # ours: Lean no longer lists the beneficiary
GONE = "GONE"  # a sync's outcome when Lean no longer has the payment source (stored as DELETED)
GONE_REASON = "lean_not_found"  # the `deleted_reason` of a payment source Lean answers 404 for
ERASURE_REASON = "customer_erasure"  # `deleted_reason` of a payment source a half-failed erasure had Lean delete
ERASED = "ERASED"  # a sync outcome: the customer's erasure refused its writes, nothing stored


def is_chargeable(status: str) -> bool:
    """Only `ACTIVE` beneficiaries can be charged; any other (or unknown) status cannot."""
    return status == ACTIVE
