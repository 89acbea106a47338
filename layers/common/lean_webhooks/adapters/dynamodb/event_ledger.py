"""Event ledger: one item per Lean `event_id` the sync path finished (stored or dead-lettered), and the
Events-API reconciliation checkpoint. Kept longer than Lean's 90 days of event history.

It is also the sync's dedupe: one read before the work and one conditional write after it, where a
claim-then-complete idempotency record costs two writes per event on top of the ledger's own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lean_webhooks.adapters.dynamodb.keys import CHECKPOINT, EVENT, event_pk, ledger_item
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.timestamps import from_iso, iso


class DynamoEventLedger:
    """Which Lean events were already processed, so that a replay from Lean's Events API runs only the missing."""

    def __init__(self, table: Table):
        self._table = table

    def synced(self, event_id: str) -> bool:
        """Whether `event_id` was already synced (a dead-lettered event is not: a redrive must run it again).
        An eventually consistent read (half the cost): a duplicate that slips past it is absorbed by the
        conditional writes, at the price of one more Lean read."""
        item = self._table.get(key(event_pk(event_id), EVENT), consistent=False, projection="outcome")
        return bool(item) and item["outcome"] == SYNCED

    def record(self, event_id: str, event_type: str, outcome: str, now: datetime) -> bool:
        """Remember that `event_id` was processed (`outcome`: synced, dead_lettered:<reason>, ...); a `synced`
        entry is final (a later delivery's outcome never replaces it). Returns whether the entry was written."""
        return self._table.put_if(
            ledger_item(event_id, event_type, outcome, now),
            "attribute_not_exists(pk) OR outcome <> :synced",
            ExpressionAttributeValues=to_values({":synced": SYNCED}),
        )

    def processed(self, event_ids: Iterable[str]) -> set[str]:
        """The subset of `event_ids` already in the ledger (BatchGetItem, unprocessed keys retried)."""
        keys = [key(event_pk(e), EVENT) for e in dict.fromkeys(event_ids)]
        return {item["event_id"] for item in self._table.batch_get(keys, projection="event_id")}

    def checkpoint(self, name: str) -> datetime | None:
        """When the named reconciliation last covered Lean's events up to (None: never ran)."""
        item = self._table.get(key(f"{CHECKPOINT}#{name}", CHECKPOINT))
        return from_iso(item["covered_until"]) if item else None

    def save_checkpoint(self, name: str, covered_until: datetime) -> None:
        self._table.put(
            {"pk": f"{CHECKPOINT}#{name}", "sk": CHECKPOINT, "entity": CHECKPOINT, "covered_until": iso(covered_until)}
        )
