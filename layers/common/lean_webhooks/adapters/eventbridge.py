"""The domain events' bus (EventBridge): PutEvents, 10 entries a call, failed entries put again.

PutEvents answers 200 even when some entries failed (`FailedEntryCount`): those are put again, twice at most
within the call, then `EventsNotPut` is raised so that the stream record is retried (every retry carries the same
`event_id`s, and consumers deduplicate on them)."""

from __future__ import annotations

import json
import time
from typing import Any

from lean_webhooks.adapters.aws import client
from lean_webhooks.models.domain_events import SOURCE, DomainEvent

MAX_ENTRIES = 10  # PutEvents' limit per call
ATTEMPTS = 3
BACKOFF_S = 0.2


class EventsNotPut(Exception):
    """Some events could not be put on the bus after every attempt."""


class EventBridgeBus:
    def __init__(self, bus_name: str, events: Any = None, sleep: Any = time.sleep):
        self._bus, self._given, self._sleep = bus_name, events, sleep

    def publish(self, events: list[DomainEvent]) -> None:
        for start in range(0, len(events), MAX_ENTRIES):
            self._put([self._entry(e) for e in events[start : start + MAX_ENTRIES]])

    def _put(self, entries: list[dict[str, Any]]) -> None:
        codes: list[str] = []
        for attempt in range(ATTEMPTS):
            answer = (self._given or client("events")).put_events(Entries=entries)
            if not answer.get("FailedEntryCount"):
                return
            results = answer.get("Entries", [])
            failed = [entry for entry, result in zip(entries, results, strict=False) if result.get("ErrorCode")]
            codes = sorted({str(r.get("ErrorCode")) for r in results if r.get("ErrorCode")})
            entries = failed or entries
            if attempt + 1 < ATTEMPTS:
                self._sleep(BACKOFF_S * 2**attempt)
        raise EventsNotPut(f"{len(entries)} event(s) not put on the bus: {', '.join(codes)}")

    def _entry(self, event: DomainEvent) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": event.detail_type,
            "Detail": json.dumps(event.detail_dict(), separators=(",", ":")),
            "EventBusName": self._bus,
        }
