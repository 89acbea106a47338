"""Erase one customer: the right to erasure of the UAE's and KSA's data protection laws, for what this service
stores (payment sources with their accounts, beneficiaries, devices and their push endpoints, push markers, index
entries, refresh markers).

Lean keeps its own copy: first, every payment source still active here is deleted at Lean (`USER_REQUESTED`;
Lean's 404 means already deleted), within one deadline. If Lean fails, nothing here changes (the caller retries).
Then every item of the customer is deleted, each push endpoint a device owns with it. An erasure marker, written
before the deletions and deleted after them, announces the erasure on the table's stream (`Customer Erased`): a
crash midway leaves the marker, which the retry reuses, so the erasure is announced once. A second erasure finds
nothing and changes nothing. The event ledger keeps only event ids (it never held a customer's data).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lean_webhooks.models.items import ItemKind, StoredItem
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import CustomerRecords, Devices, LeanCustomerApi, PushPlatform

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
    event_id: str | None = None  # the `Customer Erased` event's id; None when nothing was stored


class CustomerErasure:
    def __init__(
        self,
        lean: LeanCustomerApi,
        records: CustomerRecords,
        devices: Devices,
        platform: PushPlatform,
        deadline_s: float,
        clock: Clock = utc_now,
    ):
        self._lean, self._records, self._devices, self._platform = lean, records, devices, platform
        self._deadline_s, self._clock = deadline_s, clock

    def erase(self, customer_id: str) -> ErasureOutcome:
        """Delete at Lean what is still active there, then everything stored here; raises Lean's error (nothing
        changed here) when Lean fails."""
        items = self._records.items_of(customer_id)
        if not items:
            return ErasureOutcome(deleted={name: 0 for name in COUNTED_AS.values()})
        deleted_at_lean = self._delete_at_lean(customer_id, items)
        erasure_id = self._records.begin_erasure(customer_id, self._clock())
        counts: Counter[str] = Counter({name: 0 for name in COUNTED_AS.values()})
        endpoints = 0
        for item in items:
            if item.kind is ItemKind.ERASURE:
                continue  # the marker of an erasure that crashed: reused, deleted last
            if item.endpoint_arn and item.device_id:
                endpoints += self._release(item)
            if self._records.delete(item):
                counts[COUNTED_AS.get(item.kind, "other")] += 1
        self._records.end_erasure(customer_id)
        logger.info("customer erased", extra={"deleted_at_lean": deleted_at_lean, **counts})
        return ErasureOutcome(deleted_at_lean, dict(counts), endpoints, erasure_id)

    def _delete_at_lean(self, customer_id: str, items: list[StoredItem]) -> int:
        sources = {i.payment_source_id: i for i in items if i.kind is ItemKind.PAYMENT_SOURCE}
        active = {psid for psid, i in sources.items() if psid and not i.deleted_at}
        # a beneficiary stored before its payment source item (a failed put): its payment source is active too
        active |= {
            i.payment_source_id for i in items if i.kind is ItemKind.BENEFICIARY and i.payment_source_id not in sources
        }
        active.discard(None)
        if not active:
            return 0
        lean = self._lean
        with lean.within(self._deadline_s):
            return sum(lean.delete_payment_source(customer_id, psid) for psid in sorted(active))

    def _release(self, item: StoredItem) -> int:
        """The device's endpoint goes with it, unless it moved on to another device (a phone that changed hands)."""
        assert item.endpoint_arn is not None and item.device_id is not None
        if not self._devices.release_endpoint(item.endpoint_arn, item.customer_id, item.device_id):
            return 0
        self._platform.delete_endpoint(item.endpoint_arn)
        return 1
