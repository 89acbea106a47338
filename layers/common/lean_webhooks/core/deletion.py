"""Delete one payment source at the customer's request: at Lean first (`USER_REQUESTED`), then here.

Lean's DELETE is the only way Lean learns of it (no webhook announces a deletion). If Lean fails or refuses,
nothing changes here; Lean's 404 means it was deleted before. Here the payment source is marked deleted and its
beneficiaries `DELETED`: not chargeable, out of the recovery index, left out of what the app reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import LeanCustomerApi, SyncWrites

USER_REQUESTED = "USER_REQUESTED"


@dataclass(frozen=True)
class DeletionOutcome:
    deleted_at_lean_now: bool  # False: Lean no longer knew it (deleted before)
    beneficiaries: int  # beneficiaries marked DELETED here


class PaymentSourceDeletion:
    def __init__(
        self,
        lean: LeanCustomerApi,
        store: SyncWrites,
        deadline_s: float,
        clock: Clock = utc_now,
    ):
        self._lean, self._store, self._deadline_s, self._clock = lean, store, deadline_s, clock

    def delete(self, customer_id: str, payment_source_id: str) -> DeletionOutcome:
        """Raises Lean's error (`models.errors.LeanApiError`) when Lean fails or refuses: nothing changed here."""
        lean = self._lean
        with lean.within(self._deadline_s):
            deleted_now = lean.delete_payment_source(customer_id, payment_source_id)
        changed = self._store.mark_payment_source_deleted(customer_id, payment_source_id, USER_REQUESTED, self._clock())
        return DeletionOutcome(deleted_now, changed)
