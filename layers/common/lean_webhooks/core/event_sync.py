"""The sync of one queued Lean event, exactly once in effect: skip it if the event ledger says it was synced, else
sync it, then record in the ledger how it ended.

A duplicate delivery (Lean's retries, a redelivery, a replay from the Events API) costs one ledger read. A
duplicate that slips past the read (two deliveries at once) is absorbed by the conditional writes. The ledger
record is best effort: without it, a later replay runs the event again, harmlessly, so a failed record must not
fail a message whose work is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from lean_webhooks.models.ledger import DEAD_LETTERED, SYNCED
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import Attempt, EventLedger
    from lean_webhooks.core.sync import PaymentSourceSync, SyncOutcome
    from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent

logger = logging.getLogger(__name__)


class EventResult(Enum):
    SYNCED = "synced"
    DUPLICATE = "duplicate"  # the ledger has it as synced: nothing done
    DEAD_LETTERED = "dead_lettered"  # given up on (with its reason) by the attempt


@dataclass(frozen=True)
class EventSyncOutcome:
    result: EventResult
    sync: SyncOutcome | None = None
    ledger_write_failed: bool = False


def run_once(work: Callable[[], Any]) -> Any:
    """The attempt outside a queue: run the work, let a failure raise."""
    return work()


class EventSync:
    """Dedupe on `event_id`, sync, record the outcome in the ledger."""

    def __init__(
        self,
        ledger: EventLedger,
        sync: PaymentSourceSync,
        clock: Clock = utc_now,
    ):
        self._ledger, self._sync, self._clock = ledger, sync, clock

    def process(
        self, event: BeneficiaryEvent | PaymentSourceUpdatedEvent, attempt: Attempt = run_once
    ) -> EventSyncOutcome:
        """Sync `event` unless the ledger has it as synced. `attempt` runs each step and decides what a failure
        means (another try later, or the message given up on)."""
        seen = attempt(lambda: self._ledger.synced(event.event_id))  # a failed read backs off like any failure
        if seen is None:
            return EventSyncOutcome(EventResult.DEAD_LETTERED)
        if seen:
            return EventSyncOutcome(EventResult.DUPLICATE)
        outcome = attempt(lambda: self._sync.handle(event))
        result = EventResult.SYNCED if outcome is not None else EventResult.DEAD_LETTERED
        recorded = self._record(event, SYNCED if outcome is not None else DEAD_LETTERED)
        return EventSyncOutcome(result, outcome, ledger_write_failed=not recorded)

    def _record(self, event: BeneficiaryEvent | PaymentSourceUpdatedEvent, outcome: str) -> bool:
        try:
            self._ledger.record(event.event_id, event.type, outcome, self._clock())
        except Exception as exc:  # noqa: BLE001 - best effort, see the module's docstring
            logger.warning("event ledger write failed", extra={"event_id": event.event_id, "error": type(exc).__name__})
            return False
        return True
