"""Every item of one customer's partition, for erasure, and the customer's erasure record: written before the
erasure deletes anything (a new `erasure_id` on the stream announces it), completed when it ends, kept `hold`
after that (DynamoDB's TTL) so that the erasure guard (`erasures.py`) can judge every late write."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.adapters.dynamodb.keys import (
    ERASURE,
    ERASURE_HOLD,
    customer_pk,
    erasure_record,
    erasure_record_item,
    stored_item,
)
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.models.timestamps import iso

if TYPE_CHECKING:
    from lean_webhooks.models.erasure import ErasureRecord
    from lean_webhooks.models.items import StoredItem


class DynamoCustomerRecords:
    def __init__(self, table: Table, hold: timedelta = ERASURE_HOLD):
        self._table, self._hold = table, hold

    def items_of(self, customer_id: str) -> list[StoredItem]:
        return [stored_item(customer_id, item) for item in self._table.query_customer(customer_id)]

    def delete(self, item: StoredItem) -> bool:
        return self._table.delete(key(customer_pk(item.customer_id), item.sk)) is not None

    def begin_erasure(self, customer_id: str, now: datetime) -> str:
        """Begin an erasure (a new record, over one that finished), or join the one under way (concurrent, or
        left by a crash or a Lean failure); returns its id (the `Customer Erased` event's id)."""
        for _ in range(5):
            erasure_id = str(uuid.uuid4())
            item = erasure_record_item(customer_id, erasure_id, now, self._hold)
            if self._table.put_if(item, "attribute_not_exists(pk) OR attribute_exists(completed_at)"):
                return erasure_id
            under_way = self.erasure_of(customer_id)
            if under_way is not None and under_way.completed_at is None:
                return under_way.erasure_id
        raise RuntimeError("the erasure record kept changing")  # not reached: a finished erasure is replaced

    def complete_erasure(self, customer_id: str, erasure_id: str, now: datetime) -> None:
        """The erasure ended: writes of reads made before `now` stay refused for `hold`. A concurrent erasure of
        the same id that ends later moves `completed_at` on (it refuses more, never less)."""
        self._table.update_if(
            key(customer_pk(customer_id), ERASURE),
            "SET completed_at = :now, expires_at = :expires",
            "erasure_id = :id AND (attribute_not_exists(completed_at) OR completed_at < :now)",
            ExpressionAttributeValues=to_values(
                {":now": iso(now), ":expires": int((now + self._hold).timestamp()), ":id": erasure_id}
            ),
        )

    def erasure_of(self, customer_id: str) -> ErasureRecord | None:
        return erasure_record(self._table.get(key(customer_pk(customer_id), ERASURE)))
