"""Missed-webhook recovery: re-read beneficiaries still awaiting their cool-off after its expiry.

If Lean's `beneficiary.updated` was lost after all of Lean's retries, this is what still stores the
activation (and so, through the stream, pushes it once). Knows nothing of Lambda or schedules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lean_webhooks.core.status_rules import RECHECK_EVERY
from lean_webhooks.models.beneficiary import BeneficiaryReport
from lean_webhooks.models.errors import LeanApiError, PermanentSyncError
from lean_webhooks.models.statuses import ACTIVE, GONE
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:  # annotations only
    from lean_webhooks.core.ports import RecoveryIndex
    from lean_webhooks.core.sync import PaymentSourceSync
    from lean_webhooks.models.items import StoredBeneficiary

logger = logging.getLogger(__name__)

RECOVERY_EVENT = "recovery.cool_off_recheck"
MAX_RECHECK_FAILURES = 8  # about 5 days of backoff (1, 2, 4 ... 24 h) before an item is parked
MAX_RECHECK_DELAY = timedelta(hours=24)


@dataclass
class RecoveryOutcome:
    checked: int = 0
    activated: int = 0
    still_waiting: int = 0
    gone: int = 0
    failed: int = 0
    parked: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class CoolOffRecovery:
    """Query the sparse AwaitingCoolOff index (not a scan) and re-sync each overdue beneficiary from Lean."""

    def __init__(
        self,
        sync: PaymentSourceSync,
        store: RecoveryIndex,
        recheck_every: timedelta = RECHECK_EVERY,
        clock: Clock = utc_now,
        max_failures: int = MAX_RECHECK_FAILURES,
    ):
        self._sync, self._store = sync, store
        self._recheck_every, self._clock = recheck_every, clock
        self._max_failures = max_failures

    def run(self, limit: int = 100) -> RecoveryOutcome:
        """Re-sync up to `limit` overdue items (most runs find none)."""
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
                outcome.failed += 1
                parked = self._back_off(item)
                outcome.parked += parked
                logger.warning(
                    "recovery re-read failed",
                    extra={"reason": exc.reason, "beneficiary_id": item.beneficiary_id, "parked": parked},
                )
                continue
            if result.status == ACTIVE:
                outcome.activated += 1
            elif result.status == GONE:
                outcome.gone += 1  # Lean answers 404: recorded as deleted, out of the index
            else:
                outcome.still_waiting += 1
        return outcome

    def _back_off(self, item: StoredBeneficiary) -> bool:
        """Move a failing item back in the index (exponential, capped), so that failures never block the head
        of the index; park it out of the index after `max_failures`. Returns whether it was parked."""
        failures = item.recheck_failures + 1
        now = self._clock()
        if failures >= self._max_failures:
            self._store.defer_recheck(item.identity, failures, None, now)
            return True
        delay = min(self._recheck_every * 2 ** (failures - 1), MAX_RECHECK_DELAY)
        self._store.defer_recheck(item.identity, failures, now + delay, now)
        return False
