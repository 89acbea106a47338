"""Which domain events a stored change makes: pure rules over the item before and after it (no AWS).

One event per stored transition, and only then: a duplicated or reordered webhook that changes no status writes
nothing new (the write rules), and a rewrite that keeps a status (a recheck, a settled push) is no transition.
Every delivery of one stream record makes the same `event_id`s, so the bus's consumers deduplicate on it.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from lean_webhooks.core.status_rules import is_first_activation
from lean_webhooks.models.domain_events import (
    BENEFICIARY_ADDED,
    BENEFICIARY_CHARGEABLE,
    BENEFICIARY_REMOVED,
    CUSTOMER_ERASED,
    PAYMENT_SOURCE_DELETED,
    BeneficiaryAdded,
    BeneficiaryChargeable,
    BeneficiaryRemoved,
    CustomerErased,
    DomainEvent,
    PaymentSourceDeleted,
)
from lean_webhooks.models.items import StoredBeneficiary, StoredChange, StoredErasure, StoredPaymentSource
from lean_webhooks.models.statuses import ACTIVE, ERASURE_REASON, REMOVED
from lean_webhooks.models.timestamps import from_iso
from lean_webhooks.models.webhook_types import BENEFICIARY_CREATED

if TYPE_CHECKING:
    from lean_webhooks.core.ports import DomainEventBus, Erasures
    from lean_webhooks.models.erasure import ErasureRecord

logger = logging.getLogger(__name__)

EVENT_IDS = uuid.UUID("6f0c1d52-7a43-4c8e-9d55-1b7f4f1c2a90")  # the namespace of domain event ids


def event_id(change: StoredChange, detail_type: str) -> str:
    """The same for every delivery of one change (its stream record), different for every other change."""
    return str(uuid.uuid5(EVENT_IDS, f"{change.record_id}/{detail_type}"))


def domain_events(change: StoredChange) -> list[DomainEvent]:
    """The events of one stored change, in the order they happened (added before chargeable)."""
    new = change.new
    if change.kind not in ("INSERT", "MODIFY") or new is None:
        return []  # deletions (erasure, expiry) announce nothing themselves
    if isinstance(new, StoredBeneficiary):
        old = change.old if change.kind == "MODIFY" and isinstance(change.old, StoredBeneficiary) else None
        return _beneficiary_events(change, old, new)
    if isinstance(new, StoredPaymentSource):
        old_source = change.old if isinstance(change.old, StoredPaymentSource) else None
        return _payment_source_events(change, old_source, new)
    before = change.old if isinstance(change.old, StoredErasure) else None
    if isinstance(new, StoredErasure) and new.erasure_id != (before.erasure_id if before else None):  # one begun
        detail = CustomerErased(
            event_id=new.erasure_id, occurred_at=_at(change, new.started_at), customer_id=new.customer_id
        )
        return [DomainEvent(CUSTOMER_ERASED, detail)]
    return []


def _beneficiary_events(
    change: StoredChange, old: StoredBeneficiary | None, new: StoredBeneficiary
) -> list[DomainEvent]:
    previous = old.status if old else None
    status = new.status
    common = {
        "occurred_at": _at(change, new.updated_at),
        "customer_id": new.customer_id,
        "payment_source_id": new.payment_source_id,
        "beneficiary_id": new.beneficiary_id,
        "payment_destination_id": new.payment_destination_id,
        "bank_identifier": new.bank_identifier,
        "status": status,
        "previous_status": previous,
        "cool_off_expiry": new.cool_off_expiry,
    }
    events = []
    if old is None:
        events.append(DomainEvent(BENEFICIARY_ADDED, BeneficiaryAdded(event_id(change, BENEFICIARY_ADDED), **common)))
    if status == ACTIVE and previous != ACTIVE and is_first_activation(old.activated_at if old else None):
        detail = BeneficiaryChargeable(
            event_id(change, BENEFICIARY_CHARGEABLE), **common, after_cool_off=_cool_off(new)
        )
        events.append(DomainEvent(BENEFICIARY_CHARGEABLE, detail))
    if status == REMOVED and previous != REMOVED:
        events.append(
            DomainEvent(BENEFICIARY_REMOVED, BeneficiaryRemoved(event_id(change, BENEFICIARY_REMOVED), **common))
        )
    return events


def _cool_off(new: StoredBeneficiary) -> bool | None:
    """Whether the customer waited for a cool-off before this activation: true on evidence of one, false when
    Lean's creation webhook said `ACTIVE` (as the API did), None when a read stored it `ACTIVE` first (a refresh,
    a payment source re-sync): Lean's webhooks may still report a cool-off, and the push follows that report."""
    if new.cool_off_seen is True:
        return True
    return False if new.last_event_type == BENEFICIARY_CREATED else None


def _payment_source_events(
    change: StoredChange, old: StoredPaymentSource | None, new: StoredPaymentSource
) -> list[DomainEvent]:
    if not new.deleted_at or (old is not None and old.deleted_at):
        return []
    detail = PaymentSourceDeleted(
        event_id=event_id(change, PAYMENT_SOURCE_DELETED),
        occurred_at=_at(change, new.deleted_at),
        customer_id=new.customer_id,
        payment_source_id=new.payment_source_id,
        bank_identifier=new.bank_identifier,
        reason=str(new.deleted_reason or "unknown"),
    )
    return [DomainEvent(PAYMENT_SOURCE_DELETED, detail)]


def _at(change: StoredChange, stamp: Any) -> str:
    return stamp if isinstance(stamp, str) and stamp else change.approximate_at


def after_erasure(change: StoredChange, events: list[DomainEvent], erasure: ErasureRecord | None) -> list[DomainEvent]:
    """What may still be published of a customer's change given the customer's last erasure: everything when the
    change was recorded after the erasure finished; otherwise only the erasure's own events (`Customer Erased`,
    and `Payment Source Deleted` of what a half-failed erasure had Lean delete). A stream record's time is whole
    seconds: a record of the second the erasure finished in counts as before it."""
    if erasure is None:
        return events
    recorded = from_iso(change.approximate_at)
    if erasure.completed_at is not None and recorded > erasure.completed_at:
        return events
    return [e for e in events if e.detail_type == CUSTOMER_ERASED or _erasure_deletion(change, e)]


def _erasure_deletion(change: StoredChange, event: DomainEvent) -> bool:
    new = change.new
    return (
        event.detail_type == PAYMENT_SOURCE_DELETED
        and isinstance(new, StoredPaymentSource)
        and new.deleted_reason == ERASURE_REASON
    )


class DomainEventPublisher:
    """Put the events of one stored change on the bus (raises, for another try, when the bus refused any). With
    `erasures`, the events of a customer's change recorded before the customer's erasure finished are withheld
    (`after_erasure`)."""

    def __init__(self, bus: DomainEventBus, erasures: Erasures | None = None):
        self._bus, self._erasures = bus, erasures

    def publish(self, change: StoredChange) -> list[DomainEvent]:
        events = domain_events(change)
        customer_id = getattr(change.new, "customer_id", None)
        if events and self._erasures is not None and customer_id:
            kept = after_erasure(change, events, self._erasures.erasure_of(str(customer_id)))
            if len(kept) < len(events):
                logger.info("events of an erased customer withheld", extra={"withheld": len(events) - len(kept)})
            events = kept
        if events:
            self._bus.publish(events)
        return events


class WaitsForEarlierChange(Exception):
    """An earlier change of the same item failed in this batch: this one is not published before it."""


class InStreamOrder:
    """One batch of stream records, published so that each item's events reach the bus in stream order.

    Once a change of an item fails, every later change of that item in the batch fails too, unpublished: the retry
    starts at the first failure and publishes them in order. Changes of other items still publish (a retry
    publishes them again with the same `event_id`s)."""

    def __init__(self, publisher: DomainEventPublisher):
        self._publisher = publisher
        self._failed: set[str] = set()

    def publish(self, change: StoredChange) -> list[DomainEvent]:
        if change.item in self._failed:
            raise WaitsForEarlierChange("an earlier change of this item is not published yet")
        try:
            return self._publisher.publish(change)
        except Exception:
            self._failed.add(change.item)
            raise
