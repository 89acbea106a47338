"""Sync one beneficiary event: read the payment source from Lean, then store it under the write rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lean_webhooks.activation import decide_status
from lean_webhooks.lean.client import LeanClient
from lean_webhooks.models.webhook import BeneficiaryEvent
from lean_webhooks.store.payment_sources import BeneficiaryWrite, PaymentSourceStore


class PermanentSyncError(Exception):
    """Retrying cannot fix this message: it goes to the dead-letter queue with `reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class BeneficiaryReport:
    """What a webhook (or, for recovery, the stored item) says about one beneficiary."""

    customer_id: str
    payment_source_id: str
    beneficiary_id: str
    payment_destination_id: str
    bank_identifier: str
    status: str
    is_update: bool


@dataclass(frozen=True)
class SyncOutcome:
    status: str
    cool_off_seen: bool
    beneficiary_written: bool
    beneficiary_in_api: bool

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class PaymentSourceSync:
    """Fetch, check and store the payment source a beneficiary webhook names."""

    def __init__(
        self,
        lean: LeanClient,
        store: PaymentSourceStore,
        app_id: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._lean = lean
        self._store = store
        self._app_id = app_id
        self._clock = clock

    def sync(self, event: BeneficiaryEvent) -> SyncOutcome:
        payload = event.payload
        report = BeneficiaryReport(
            customer_id=payload.customer_id,
            payment_source_id=payload.payment_source_id,
            beneficiary_id=payload.id,
            payment_destination_id=payload.payment_destination_id,
            bank_identifier=payload.payment_source_bank_identifier,
            status=payload.status,
            is_update=event.is_update,
        )
        return self.apply(report, event.event_id, event.type)

    def apply(
        self, report: BeneficiaryReport, event_id: str, event_type: str, recheck_at: datetime | None = None
    ) -> SyncOutcome:
        """Read the payment source from Lean, check it is ours, store it and the beneficiary's decided status."""
        source = self._lean.get_payment_source(report.customer_id, report.payment_source_id)
        if not source.belongs_to(self._app_id):
            raise PermanentSyncError("app_id_mismatch", "payment source belongs to another Lean application")
        if source.customer_id != report.customer_id or source.id != report.payment_source_id:
            raise PermanentSyncError("id_mismatch", "Lean returned a different payment source than requested")
        now = self._clock()
        self._store.put_payment_source(source, now)
        api_beneficiary = source.beneficiary(report.beneficiary_id)
        decision = decide_status(
            is_update=report.is_update,
            webhook_status=report.status,
            api_status=api_beneficiary.status if api_beneficiary else None,
        )
        written = self._store.apply_beneficiary(
            BeneficiaryWrite(
                customer_id=report.customer_id,
                payment_source_id=report.payment_source_id,
                beneficiary_id=report.beneficiary_id,
                payment_destination_id=report.payment_destination_id,
                bank_identifier=report.bank_identifier,
                decision=decision,
                cool_off_expiry=api_beneficiary.beneficiary_cool_off_expiry if api_beneficiary else None,
                event_id=event_id,
                event_type=event_type,
                recheck_at=recheck_at,
            ),
            now,
        )
        return SyncOutcome(
            status=decision.status,
            cool_off_seen=decision.cool_off_seen,
            beneficiary_written=written,
            beneficiary_in_api=api_beneficiary is not None,
        )
