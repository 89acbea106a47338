"""Erase one customer: the right to erasure of the UAE's and KSA's data protection laws, for what this service
stores (payment sources with their accounts, beneficiaries, devices and their push endpoints, push markers, index
entries, refresh markers), and for what Lean holds of the customer's payment sources.

1. The erasure record is written first (`begin_erasure`): from then on the storage's erasure guard refuses every
   write of what Lean said before the erasure finishes (in-flight syncs, refreshes and recoveries, late or
   replayed webhooks, redrives, the Events API reconciliation) and every push claim of an activation stored before
   it. A new record's `erasure_id` on the stream announces the erasure (`Customer Erased`), once: a concurrent or
   repeated erasure joins the one under way.
2. Lean is asked which payment sources it holds for the customer (its list, not only what is stored here: a
   payment source whose webhook was lost is deleted too), and each is deleted there (`USER_REQUESTED`; Lean's 404
   means already deleted), with those stored here and not yet deleted, within one deadline.
3. Every item of the customer is deleted, each push endpoint a device owns with it.
4. The record is completed (`completed_at`): what Lean says from then on is served normally. The record (ids and
   times) stays `ErasureHoldDays`, the longest a message read before the erasure can still arrive.

If Lean fails midway, what Lean already deleted is marked deleted here (not chargeable, `Payment Source Deleted`)
and `ErasureIncomplete` is raised: the record stays under way (writes stay refused) until a repeat completes it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lean_webhooks.models.errors import CustomerErased, ErasureIncomplete, LeanApiError, LeanNotFound
from lean_webhooks.models.items import ItemKind, StoredItem
from lean_webhooks.models.statuses import DELETED, ERASURE_REASON
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import CustomerRecords, Devices, LeanCustomerApi, PushPlatform, SyncWrites

logger = logging.getLogger(__name__)

# item kind -> the count it is reported under
COUNTED_AS = {
    ItemKind.PAYMENT_SOURCE: "payment_sources",
    ItemKind.BENEFICIARY: "beneficiaries",
    ItemKind.DEVICE: "devices",
    ItemKind.PUSH_MARKER: "push_markers",
    ItemKind.REFRESH_MARKER: "refresh_markers",
}


@dataclass(frozen=True)
class ErasureOutcome:
    deleted_at_lean: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    push_endpoints: int = 0
    event_id: str | None = None  # the `Customer Erased` event's id; None when there was nothing to erase


class CustomerErasure:
    def __init__(
        self,
        lean: LeanCustomerApi,
        records: CustomerRecords,
        store: SyncWrites,
        devices: Devices,
        platform: PushPlatform,
        deadline_s: float,
        clock: Clock = utc_now,
    ):
        self._lean, self._records, self._store = lean, records, store
        self._devices, self._platform = devices, platform
        self._deadline_s, self._clock = deadline_s, clock

    def erase(self, customer_id: str) -> ErasureOutcome:
        """Erase at Lean and here; raises `ErasureIncomplete` when Lean fails (see the module's docstring)."""
        zeros = {name: 0 for name in COUNTED_AS.values()}
        lean = self._lean
        with lean.within(self._deadline_s):
            if self._nothing_to_erase(lean, customer_id):
                return ErasureOutcome(deleted=zeros)
            erasure_id = self._records.begin_erasure(customer_id, self._clock())
            items = [i for i in self._records.items_of(customer_id) if i.kind is not ItemKind.ERASURE]
            deleted_at_lean = self._delete_at_lean(lean, customer_id, items)
        counts: Counter[str] = Counter(zeros)
        endpoints = 0
        for item in items:
            if item.endpoint_arn and item.device_id:
                endpoints += self._release(item)
            if self._records.delete(item):
                counts[COUNTED_AS.get(item.kind, "other")] += 1
        self._records.complete_erasure(customer_id, erasure_id, self._clock())
        logger.info("customer erased", extra={"deleted_at_lean": deleted_at_lean, **counts})
        return ErasureOutcome(deleted_at_lean, dict(counts), endpoints, erasure_id)

    def _nothing_to_erase(self, lean: LeanCustomerApi, customer_id: str) -> bool:
        """No erasure under way, nothing stored, and Lean holds nothing: a repeat of a finished erasure."""
        record = self._records.erasure_of(customer_id)
        if record is not None and record.completed_at is None:
            return False
        if any(i.kind is not ItemKind.ERASURE for i in self._records.items_of(customer_id)):
            return False
        try:
            return not self._held_at_lean(lean, customer_id)
        except LeanApiError as exc:
            raise ErasureIncomplete(exc, 0) from None

    def _delete_at_lean(self, lean: LeanCustomerApi, customer_id: str, items: list[StoredItem]) -> int:
        """Delete at Lean what Lean lists and what is stored here, not yet deleted; on a failure, mark what Lean
        no longer holds as deleted here, then raise `ErasureIncomplete`."""
        gone: list[str] = []  # no longer held by Lean: deleted now, or before (404)
        deleted_now = 0
        try:
            for psid in sorted(self._held_at_lean(lean, customer_id) | _active_here(items)):
                deleted_now += lean.delete_payment_source(customer_id, psid)
                gone.append(psid)
        except LeanApiError as exc:
            self._mark_gone(customer_id, gone)
            raise ErasureIncomplete(exc, deleted_now) from None
        return deleted_now

    @staticmethod
    def _held_at_lean(lean: LeanCustomerApi, customer_id: str) -> set[str]:
        try:
            listed = lean.list_payment_sources(customer_id)
        except LeanNotFound:
            return set()  # Lean knows no payment source of the customer
        return {source.id.lower() for source in listed if source.customer_id.lower() == customer_id}

    def _mark_gone(self, customer_id: str, payment_source_ids: list[str]) -> None:
        """Show what Lean deleted as deleted (only items stored here: the guard refuses creating any)."""
        now = self._clock()
        for psid in payment_source_ids:
            try:
                self._store.mark_payment_source_deleted(customer_id, psid, ERASURE_REASON, now, read_at=now)
            except CustomerErased:  # no payment source item here: its beneficiaries, if any were stored
                for ben in self._store.beneficiaries_of(customer_id, psid):
                    self._store.mark_beneficiary(customer_id, psid, ben.beneficiary_id, DELETED, ERASURE_REASON, now)

    def _release(self, item: StoredItem) -> int:
        """The device's endpoint goes with it, unless it moved on to another device (a phone that changed hands)."""
        assert item.endpoint_arn is not None and item.device_id is not None
        if not self._devices.release_endpoint(item.endpoint_arn, item.customer_id, item.device_id):
            return 0
        self._platform.delete_endpoint(item.endpoint_arn)
        return 1


def _active_here(items: list[StoredItem]) -> set[str]:
    """Payment sources stored here and not deleted (a beneficiary stored before its payment source item counts)."""
    sources = {i.payment_source_id: i for i in items if i.kind is ItemKind.PAYMENT_SOURCE}
    active = {psid for psid, i in sources.items() if psid and not i.deleted_at}
    orphans = (i for i in items if i.kind is ItemKind.BENEFICIARY and i.payment_source_id not in sources)
    active |= {i.payment_source_id for i in orphans}
    return {psid for psid in active if psid}
