"""Every item of one customer's partition, for erasure, and the erasure marker that announces it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from lean_webhooks.adapters.dynamodb.keys import ERASURE, customer_pk, erasure_marker_item, stored_item
from lean_webhooks.adapters.dynamodb.table import Table, key

if TYPE_CHECKING:
    from lean_webhooks.models.items import StoredItem


class DynamoCustomerRecords:
    def __init__(self, table: Table):
        self._table = table

    def items_of(self, customer_id: str) -> list[StoredItem]:
        return [stored_item(customer_id, item) for item in self._table.query_customer(customer_id)]

    def delete(self, item: StoredItem) -> bool:
        return self._table.delete(key(customer_pk(item.customer_id), item.sk)) is not None

    def begin_erasure(self, customer_id: str, now: datetime) -> str:
        """Write the erasure marker (its stream record announces the erasure), or reuse the one a crashed erasure
        left; returns the erasure's id (the `Customer Erased` event's id)."""
        erasure_id = str(uuid.uuid4())
        marker = erasure_marker_item(customer_id, erasure_id, now)
        if self._table.put_if(marker, "attribute_not_exists(pk)"):
            return erasure_id
        existing = self._table.get(key(customer_pk(customer_id), ERASURE))
        return str(existing["erasure_id"]) if existing else self.begin_erasure(customer_id, now)

    def end_erasure(self, customer_id: str) -> None:
        self._table.delete(key(customer_pk(customer_id), ERASURE))
