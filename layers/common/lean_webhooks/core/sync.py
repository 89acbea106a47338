"""Sync the payment source an event names: read it from Lean, then store it under the write rules.

`beneficiary.*` events write one beneficiary; `payment_source.updated` re-syncs every beneficiary Lean lists
and marks the stored ones Lean no longer lists as removed. A payment source Lean keeps answering 404 for
past a grace period (Lean's API can lag its webhooks) is recorded as gone instead of being retried forever.

Every write carries when what it stores was known: the event's first delivery (Lean's `timestamp`) or the start
of the call to Lean, whichever came first. The storage's erasure guard refuses it (`CustomerErased`) when the
customer's erasure is under way or finished after that: the event is then done (`ERASED`), nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.core.status_rules import decide_status, recheck_time
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryReport, BeneficiaryWrite
from lean_webhooks.models.errors import CustomerErased, LeanNotFound, PermanentSyncError
from lean_webhooks.models.statuses import ERASED, GONE, GONE_REASON, REMOVED
from lean_webhooks.models.timestamps import Clock, from_iso, utc_now
from lean_webhooks.models.webhook_types import PAYMENT_SOURCE_UPDATED

if TYPE_CHECKING:
    from lean_webhooks.core.ports import Erasures, LeanReader, SyncWrites
    from lean_webhooks.models.payment_source import LeanPaymentSource
    from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent

NOT_FOUND_GRACE = timedelta(minutes=15)
NOT_LISTED_REASON = "not_listed_by_lean"


@dataclass(frozen=True)
class SyncOutcome:
    status: str
    cool_off_seen: bool = False
    beneficiary_written: bool = False
    beneficiary_in_api: bool = False
    beneficiaries_synced: int = 0
    beneficiaries_removed: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class PaymentSourceSync:
    """Fetch, check and store the payment source an event names."""

    def __init__(
        self,
        lean: LeanReader,
        store: SyncWrites,
        app_id: str,
        clock: Clock = utc_now,
        not_found_grace: timedelta = NOT_FOUND_GRACE,
        erasures: Erasures | None = None,
    ):
        self._lean = lean
        self._erasures = erasures  # read only on a 404 within the grace period
        self._store = store
        self._app_id = app_id
        self._clock = clock
        self._grace = not_found_grace

    def handle(self, event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> SyncOutcome:
        """Apply one event from the sync queue."""
        if event.type == PAYMENT_SOURCE_UPDATED:
            return self.sync_payment_source(event.payload.customer_id, event.payload.payment_source_id, event)
        payload = event.payload
        report = BeneficiaryReport(
            identity=BeneficiaryIdentity(payload.customer_id, payload.payment_source_id, payload.id),
            status=payload.status,
            is_update=event.is_update,
            payment_destination_id=payload.payment_destination_id,
            bank_identifier=payload.payment_source_bank_identifier,
        )
        return self.sync_beneficiary(report, event.event_id, event.type, first_seen=event.timestamp)

    def sync_beneficiary(
        self,
        report: BeneficiaryReport,
        event_id: str,
        event_type: str,
        recheck_at: datetime | None = None,
        first_seen: datetime | None = None,
    ) -> SyncOutcome:
        """Read the payment source from Lean, check it is ours, store it and the beneficiary's decided status."""
        read_at = self._read_at(first_seen)
        try:
            return self._sync_beneficiary(report, event_id, event_type, recheck_at, first_seen, read_at)
        except CustomerErased:
            return SyncOutcome(status=ERASED)

    def _sync_beneficiary(
        self,
        report: BeneficiaryReport,
        event_id: str,
        event_type: str,
        recheck_at: datetime | None,
        first_seen: datetime | None,
        read_at: datetime,
    ) -> SyncOutcome:
        identity = report.identity
        source = self._fetch(identity.customer_id, identity.payment_source_id, first_seen, read_at)
        if source is None:
            return SyncOutcome(status=GONE)
        now = self._clock()
        self._store.put_payment_source(source, now, read_at=read_at)
        listed = source.beneficiary(identity.beneficiary_id)
        decision = decide_status(
            is_update=report.is_update,
            webhook_status=report.status,
            api_status=listed.status if listed else None,
        )
        expiry = listed.beneficiary_cool_off_expiry if listed else None
        destination = report.payment_destination_id or (listed.payment_destination_id if listed else None)
        written = self._store.apply_beneficiary(
            BeneficiaryWrite(
                identity=identity,
                decision=decision,
                event_id=event_id,
                event_type=event_type,
                recheck_at=recheck_at or recheck_time(now, expiry),
                cool_off_expiry=expiry,
                payment_destination_id=destination,
                bank_identifier=report.bank_identifier or source.bank_identifier,
                seen_in_api=listed is not None,
            ),
            now,
            read_at=read_at,
        )
        return SyncOutcome(
            status=decision.status,
            cool_off_seen=decision.cool_off_seen,
            beneficiary_written=written,
            beneficiary_in_api=listed is not None,
        )

    def sync_payment_source(
        self, customer_id: str, payment_source_id: str, event: PaymentSourceUpdatedEvent
    ) -> SyncOutcome:
        """Re-read the payment source and store all of it (`store_whole`)."""
        read_at = self._read_at(event.timestamp)
        try:
            source = self._fetch(customer_id, payment_source_id, event.timestamp, read_at)
            if source is None:
                return SyncOutcome(status=GONE)
            return self.store_whole(source, event.event_id, event.type, read_at)
        except CustomerErased:
            return SyncOutcome(status=ERASED)

    def store_whole(self, source: LeanPaymentSource, event_id: str, event_type: str, read_at: datetime) -> SyncOutcome:
        """Store a payment source Lean answered with: every beneficiary it lists under the same write and push
        rules as their own webhooks (Lean's status standing for the webhook's), and the stored ones it no longer
        lists marked removed. The caller checked that the payment source is ours. `read_at`: when the call to
        Lean that answered began; raises `CustomerErased` when the customer's erasure refuses the writes."""
        customer_id, payment_source_id = source.customer_id, source.id
        now = self._clock()
        self._store.put_payment_source(source, now, read_at=read_at)
        for ben in source.beneficiaries:
            self._store.apply_beneficiary(
                BeneficiaryWrite(
                    identity=BeneficiaryIdentity(customer_id, payment_source_id, ben.id),
                    decision=decide_status(is_update=False, webhook_status=ben.status, api_status=ben.status),
                    event_id=event_id,
                    event_type=event_type,
                    recheck_at=recheck_time(now, ben.beneficiary_cool_off_expiry),
                    cool_off_expiry=ben.beneficiary_cool_off_expiry,
                    payment_destination_id=ben.payment_destination_id,
                    bank_identifier=source.bank_identifier,
                ),
                now,
                read_at=read_at,
            )
        listed = {ben.id for ben in source.beneficiaries}
        removed = sum(
            self._store.mark_beneficiary(
                customer_id, payment_source_id, stored.beneficiary_id, REMOVED, NOT_LISTED_REASON, now
            )
            for stored in self._store.beneficiaries_of(customer_id, payment_source_id)
            if stored.beneficiary_id not in listed and self._past_grace(stored.updated_at, now)
        )
        return SyncOutcome(status="RESYNCED", beneficiaries_synced=len(listed), beneficiaries_removed=removed)

    def is_ours(self, source: LeanPaymentSource) -> bool:
        """Whether the payment source belongs to this service's Lean application."""
        return source.belongs_to(self._app_id)

    def _read_at(self, first_seen: datetime | None) -> datetime:
        """When what a sync stores was known: now (before the call to Lean), or the event's first delivery."""
        now = self._clock()
        return min(now, first_seen) if first_seen is not None else now

    def _fetch(
        self, customer_id: str, payment_source_id: str, first_seen: datetime | None, read_at: datetime
    ) -> LeanPaymentSource | None:
        """The payment source, or None once Lean answered 404 past the grace period (then recorded as gone).
        `first_seen` is when Lean first sent the event; None (recovery of a stored item) means long ago."""
        try:
            source = self._lean.get_payment_source(customer_id, payment_source_id)
        except LeanNotFound:
            now = self._clock()
            if first_seen is not None and now - first_seen < self._grace:
                if self._erased_since(customer_id, read_at):
                    raise CustomerErased("Lean deleted it in the customer's erasure") from None  # no retry
                raise  # Lean's API may not know it yet: retried with backoff
            self._store.mark_payment_source_deleted(customer_id, payment_source_id, GONE_REASON, now, read_at=read_at)
            return None
        if not self.is_ours(source):
            raise PermanentSyncError("app_id_mismatch", "payment source belongs to another Lean application")
        if source.customer_id != customer_id or source.id != payment_source_id:
            raise PermanentSyncError("id_mismatch", "Lean returned a different payment source than requested")
        return source

    def _erased_since(self, customer_id: str, read_at: datetime) -> bool:
        """Whether the customer's erasure refuses what was known at `read_at` (then Lean's 404 is the erasure's)."""
        erasure = self._erasures.erasure_of(customer_id) if self._erasures is not None else None
        return erasure is not None and erasure.refuses(read_at)

    def _past_grace(self, stamp: str | None, now: datetime) -> bool:
        """A beneficiary stored within the grace period may simply not be listed by Lean's API yet."""
        return not stamp or now - from_iso(stamp) >= self._grace
