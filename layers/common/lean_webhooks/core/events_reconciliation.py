"""Recovery from Lean's Events API: events whose every webhook delivery failed are put into the sync path.

Lean keeps every event it created (and sent over webhooks) for 90 days. Each run reads the window from the
last checkpoint (minus an overlap, so nothing at a page or time boundary is missed; the first run reads the
last 24 h) to now, for each event type the sync path acts on, and enqueues every valid event whose `event_id`
the ledger does not know. The sync path's own dedupe on `event_id` makes a replay of an event that is still
in flight harmless. Knows nothing of Lambda or schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lean_webhooks.models.timestamps import Clock, utc_now
from lean_webhooks.models.webhook import (
    SYNC_TYPES,
    BeneficiaryEvent,
    PaymentSourceUpdatedEvent,
    events_api_envelope,
    parse_webhook,
)

if TYPE_CHECKING:
    from lean_webhooks.core.ports import EventLedger, LeanEvents, SyncQueue

CHECKPOINT_NAME = "lean-events"
FIRST_WINDOW = timedelta(hours=24)
OVERLAP = timedelta(hours=1)
PAGE_SIZE = 100


@dataclass
class ReconcileOutcome:
    seen: int = 0
    already_processed: int = 0
    replayed: int = 0
    invalid: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class EventsReconciler:
    """Replays the events of known types that never reached the end of the sync path."""

    def __init__(
        self,
        lean: LeanEvents,
        ledger: EventLedger,
        queue: SyncQueue,
        clock: Clock = utc_now,
        max_pages: int = 50,
    ):
        self._lean, self._ledger, self._queue = lean, ledger, queue
        self._clock, self._max_pages = clock, max_pages

    def run(self) -> ReconcileOutcome:
        until = self._clock()
        checkpoint = self._ledger.checkpoint(CHECKPOINT_NAME)
        since = (checkpoint - OVERLAP) if checkpoint else until - FIRST_WINDOW
        outcome = ReconcileOutcome()
        raw = [data for event_type in SYNC_TYPES for data in self._read(event_type, since, until)]
        events = self._valid(raw, outcome)
        done = self._ledger.processed(e.event_id for e in events)
        outcome.seen = len(events)
        for event in events:
            if event.event_id in done:
                outcome.already_processed += 1
                continue
            self._queue.send(event)
            outcome.replayed += 1
        self._ledger.save_checkpoint(CHECKPOINT_NAME, until)  # only after every type was read and enqueued
        return outcome

    def _read(self, event_type: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        raw: list[dict[str, Any]] = []
        lean = self._lean
        for page in range(self._max_pages):
            answer = lean.list_events(event_type, since, until, page=page, size=PAGE_SIZE)
            raw.extend(answer.events)
            if not answer.has_next:
                return raw
        raise RuntimeError(f"more than {self._max_pages} pages of {event_type} events: run again with a larger cap")

    @staticmethod
    def _valid(raw: list[dict[str, Any]], outcome: ReconcileOutcome) -> list[Any]:
        """Events of the sync path's types, each once, bare or wrapped; unreadable ones are counted (an alarm
        watches the count), never replayed."""
        events: dict[str, Any] = {}
        for item in raw:
            data = events_api_envelope(item)
            try:
                if not isinstance(data, dict):
                    raise TypeError("not an object")
                event = parse_webhook(data)
            except (ValidationError, TypeError):
                outcome.invalid += 1
                continue
            if isinstance(event, BeneficiaryEvent | PaymentSourceUpdatedEvent):
                events.setdefault(event.event_id, event)
        return list(events.values())
