"""Missed-webhook recovery: re-read beneficiaries still awaiting their cool-off after its expiry.

If Lean's `beneficiary.updated` was lost after all of Lean's retries, this is what still stores the
activation (and so, through the stream, pushes it once). Knows nothing of Lambda or schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lean_webhooks.core.ports import PaymentSourceRepository
from lean_webhooks.core.status_rules import RECHECK_EVERY
from lean_webhooks.core.sync import GONE, BeneficiaryReport, PaymentSourceSync
from lean_webhooks.models.errors import LeanApiError, PermanentSyncError
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.runtime.observability import logger

RECOVERY_EVENT = "recovery.cool_off_recheck"


@dataclass
class RecoveryOutcome:
    checked: int = 0
    activated: int = 0
    still_waiting: int = 0
    gone: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class CoolOffRecovery:
    """Query the sparse AwaitingCoolOff index (not a scan) and re-sync each overdue beneficiary from Lean."""

    def __init__(
        self,
        sync: PaymentSourceSync,
        store: PaymentSourceRepository,
        recheck_every: timedelta = RECHECK_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._sync, self._store = sync, store
        self._recheck_every, self._clock = recheck_every, clock

    def run(self, limit: int = 100) -> RecoveryOutcome:
        outcome = RecoveryOutcome()
        for item in self._store.awaiting_past_expiry(self._clock(), limit):
            outcome.checked += 1
            try:
                result = self._sync.sync_beneficiary(
                    BeneficiaryReport(
                        identity=item.identity,
                        status=item.status,
                        is_update=False,
                        payment_destination_id=item.payment_destination_id,
                        bank_identifier=item.bank_identifier,
                    ),
                    RECOVERY_EVENT,
                    RECOVERY_EVENT,
                    recheck_at=self._clock() + self._recheck_every,
                )
            except (LeanApiError, PermanentSyncError) as exc:
                outcome.failed += 1  # left in the index: the next run tries again
                logger.warning(
                    "recovery re-read failed", extra={"reason": exc.reason, "beneficiary_id": item.beneficiary_id}
                )
                continue
            if result.status == ACTIVE:
                outcome.activated += 1
            elif result.status == GONE:
                outcome.gone += 1  # Lean answers 404: recorded as deleted, out of the index
            else:
                outcome.still_waiting += 1
        return outcome
