"""Push reconciliation: activations whose pushes the stream path did not finish are pushed, exactly once.

The stream's retries run back to back, so a short SNS outage (or a notifier killed mid-push, whose lease then
outlives the retries) can leave an activation unpushed, its record in the failure queue. This run re-reads the
recent unsettled activations (a sparse index) after a grace period for the stream path, and hands each to the
same activation push as the stream: the push markers make every device get one push, whoever sends it.

An activation still unsettled when it leaves the window (`lookback`) is never tried again: it is counted
(`abandoned`, which alarms), logged and taken out of the index, never dropped silently. Knows nothing of Lambda.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.core.activation_notifier import PushFailed
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.activation_push import ActivationPush
    from lean_webhooks.core.ports import ActivationIndex

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=5)  # the stream path's turn first
LOOKBACK = timedelta(hours=48)
ABANDON_SCAN = timedelta(days=7)  # how far before the window each run looks for activations that left it


@dataclass
class PushReconcileOutcome:
    checked: int = 0
    settled: int = 0
    pushed: int = 0
    still_failing: int = 0
    possible_duplicates: int = 0
    abandoned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class PushReconciler:
    def __init__(
        self,
        activations: ActivationIndex,
        push: ActivationPush,
        clock: Clock = utc_now,
        grace: timedelta = GRACE,
        lookback: timedelta = LOOKBACK,
    ):
        self._activations, self._push, self._clock = activations, push, clock
        self._grace, self._lookback = grace, lookback

    def run(self, limit: int = 200, seconds_left: Callable[[], float] = lambda: float("inf")) -> PushReconcileOutcome:
        outcome = PushReconcileOutcome()
        now = self._clock()
        outcome.abandoned = self._abandon(now - self._lookback - ABANDON_SCAN, now - self._lookback, limit)
        for ben in self._activations.unsettled_activations(now - self._lookback, now - self._grace, limit):
            outcome.checked += 1
            if ben.status != ACTIVE or not ben.cool_off_seen:  # active at creation: nothing to push
                self._activations.settle_activation(ben.identity, now)
                outcome.settled += 1
                continue
            try:
                activation = BeneficiaryActivation(ben.identity, ben.bank_identifier or "")
                result = self._push.push(activation, seconds_left, ben.activated_at)
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
            outcome.settled += 1
        return outcome

    def _abandon(self, since: datetime, until: datetime, limit: int) -> int:
        """Activations that left the window unsettled: out of the index, marked abandoned, counted and logged."""
        abandoned = 0
        for ben in self._activations.unsettled_activations(since, until, limit):
            if self._activations.settle_activation(ben.identity, self._clock(), abandoned=True):
                abandoned += 1
                logger.error(
                    "activation left the push reconciliation window unsettled",
                    extra={"beneficiary_id": ben.beneficiary_id, "activated_at": ben.activated_at},
                )
        return abandoned
