"""Push reconciliation: activations whose pushes the stream path did not finish are pushed, exactly once.

The stream's retries run back to back, so a short SNS outage (or a notifier killed mid-push, whose lease then
outlives the retries) can leave an activation unpushed, its record in the failure queue. This run re-reads the
recent unsettled activations (a sparse index) after a grace period for the stream path, and hands each to the
same notifier: the push markers make every device get one push, whoever sends it. Knows nothing of Lambda.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lean_webhooks.core.activation_notifier import ActivationNotifier, PushFailed
from lean_webhooks.core.ports import PaymentSourceRepository
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.runtime.observability import logger

GRACE = timedelta(minutes=5)  # the stream path's turn first
LOOKBACK = timedelta(hours=48)


@dataclass
class PushReconcileOutcome:
    checked: int = 0
    settled: int = 0
    pushed: int = 0
    still_failing: int = 0
    possible_duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class PushReconciler:
    def __init__(
        self,
        store: PaymentSourceRepository,
        notifier: ActivationNotifier,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        grace: timedelta = GRACE,
        lookback: timedelta = LOOKBACK,
        seconds_left: Callable[[], float] = lambda: float("inf"),
    ):
        self._store, self._notifier, self._clock = store, notifier, clock
        self._grace, self._lookback, self._seconds_left = grace, lookback, seconds_left

    def run(self, limit: int = 200) -> PushReconcileOutcome:
        outcome = PushReconcileOutcome()
        now = self._clock()
        for ben in self._store.unsettled_activations(now - self._lookback, now - self._grace, limit):
            outcome.checked += 1
            if ben.status != ACTIVE or not ben.cool_off_seen:  # active at creation: nothing to push
                self._store.settle_activation(ben.identity, now)
                outcome.settled += 1
                continue
            try:
                result = self._notifier.notify(
                    BeneficiaryActivation(ben.identity, ben.bank_identifier or ""), self._seconds_left
                )
            except PushFailed as exc:
                outcome.still_failing += 1  # stays in the index: the next run tries again
                outcome.pushed += exc.outcome.sent
                outcome.possible_duplicates += exc.outcome.possible_duplicates
                logger.warning(
                    "push reconciliation: not all devices pushed", extra={"beneficiary_id": ben.beneficiary_id}
                )
                continue
            outcome.pushed += result.sent
            outcome.possible_duplicates += result.possible_duplicates
            self._store.settle_activation(ben.identity, now)
            outcome.settled += 1
        return outcome
