"""Missed-webhook recovery: re-read beneficiaries still awaiting their cool-off after its expiry.

If Lean's `beneficiary.updated` was lost after all of Lean's retries, this is what still stores the
activation (and so, through the stream, pushes it once). Knows nothing of Lambda or schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lean_webhooks.activation import decide_status
from lean_webhooks.lean.client import LeanClient
from lean_webhooks.lean.errors import LeanApiError
from lean_webhooks.models.common import ACTIVE
from lean_webhooks.observability import logger
from lean_webhooks.store.payment_sources import BeneficiaryWrite, PaymentSourceStore

RECOVERY_EVENT = "recovery.cool_off_recheck"


@dataclass
class RecoveryOutcome:
    checked: int = 0
    activated: int = 0
    still_waiting: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class CoolOffRecovery:
    """Query the sparse AwaitingCoolOff index (not a scan) and re-read each overdue beneficiary from Lean."""

    def __init__(
        self,
        lean: LeanClient,
        store: PaymentSourceStore,
        app_id: str,
        recheck_every: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._lean, self._store, self._app_id = lean, store, app_id.lower()
        self._recheck_every, self._clock = recheck_every, clock

    def run(self, limit: int = 100) -> RecoveryOutcome:
        outcome = RecoveryOutcome()
        for item in self._store.awaiting_past_expiry(self._clock(), limit):
            outcome.checked += 1
            try:
                activated = self._recheck(item)
            except LeanApiError as exc:
                outcome.failed += 1  # left in the index: the next run tries again
                logger.warning(
                    "recovery re-read failed", extra={"reason": exc.reason, "beneficiary_id": item["beneficiary_id"]}
                )
                continue
            if activated:
                outcome.activated += 1
            else:
                outcome.still_waiting += 1
        return outcome

    def _recheck(self, item: dict[str, Any]) -> bool:
        now = self._clock()
        source = self._lean.get_payment_source(item["customer_id"], item["payment_source_id"])
        if source.app_id != self._app_id:
            raise LeanApiError("payment source belongs to another Lean application", lean_status="app_id_mismatch")
        beneficiary = source.beneficiary(item["beneficiary_id"])
        api_status = beneficiary.status if beneficiary else None
        decision = decide_status(is_update=False, webhook_status=item["status"], api_status=api_status)
        self._store.put_payment_source(source, now)
        self._store.apply_beneficiary(
            BeneficiaryWrite(
                customer_id=item["customer_id"],
                payment_source_id=item["payment_source_id"],
                beneficiary_id=item["beneficiary_id"],
                payment_destination_id=item.get("payment_destination_id", ""),
                bank_identifier=item.get("bank_identifier", ""),
                decision=decision,
                cool_off_expiry=beneficiary.beneficiary_cool_off_expiry if beneficiary else None,
                event_id=RECOVERY_EVENT,
                event_type=RECOVERY_EVENT,
                recheck_at=now + self._recheck_every,
            ),
            now,
        )
        return decision.status == ACTIVE
