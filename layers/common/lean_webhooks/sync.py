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
        self._app_id = app_id.lower()
        self._clock = clock

    def sync(self, event: BeneficiaryEvent) -> SyncOutcome:
        payload = event.payload
        source = self._lean.get_payment_source(payload.customer_id, payload.payment_source_id)
        if source.app_id != self._app_id:
            raise PermanentSyncError("app_id_mismatch", "payment source belongs to another Lean application")
        if source.customer_id != payload.customer_id or source.id != payload.payment_source_id:
            raise PermanentSyncError("id_mismatch", "Lean returned a different payment source than requested")
        now = self._clock()
        self._store.put_payment_source(source, now)
        api_beneficiary = source.beneficiary(payload.id)
        decision = decide_status(
            is_update=event.is_update,
            webhook_status=payload.status,
            api_status=api_beneficiary.status if api_beneficiary else None,
        )
        written = self._store.apply_beneficiary(
            BeneficiaryWrite(
                customer_id=payload.customer_id,
                payment_source_id=payload.payment_source_id,
                beneficiary_id=payload.id,
                payment_destination_id=payload.payment_destination_id,
                bank_identifier=payload.payment_source_bank_identifier,
                decision=decision,
                cool_off_expiry=api_beneficiary.beneficiary_cool_off_expiry if api_beneficiary else None,
                event_id=event.event_id,
                event_type=event.type,
            ),
            now,
        )
        return SyncOutcome(
            status=decision.status,
            cool_off_seen=decision.cool_off_seen,
            beneficiary_written=written,
            beneficiary_in_api=api_beneficiary is not None,
        )
