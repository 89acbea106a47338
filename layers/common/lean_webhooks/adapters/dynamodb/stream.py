"""The table's stream, decoded once: a DynamoDB stream record becomes a `StoredChange` of typed values.

Lambda hands a function its records with the images in DynamoDB JSON (`dynamodb.NewImage`, `OldImage`, `Keys`),
and the local stack's stream poller delivers the same form (`local/aws/pollers.py`, its
`ApproximateCreationDateTime` in epoch seconds as Lambda sends it). The readers (the notifier, the domain events'
publisher) and the core see only what this returns: no key, no index attribute, no item kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lean_webhooks.adapters.dynamodb.keys import item_ref, stored_value
from lean_webhooks.adapters.dynamodb.table import from_item
from lean_webhooks.models.items import StoredChange
from lean_webhooks.models.timestamps import Clock, iso, utc_now


def change_of(record: Mapping[str, Any], clock: Clock = utc_now) -> StoredChange:
    """One stream record (Lambda's event form) as the change its readers use; `clock` dates a record that
    carries no `ApproximateCreationDateTime`."""
    images: Mapping[str, Any] = record.get("dynamodb") or {}
    old = from_item(images["OldImage"]) if images.get("OldImage") else None
    new = from_item(images["NewImage"]) if images.get("NewImage") else None
    created = images.get("ApproximateCreationDateTime")
    keys = from_item(images.get("Keys") or {})  # the item's table keys: in every record, whatever its images
    return StoredChange(
        record_id=str(record.get("eventID") or ""),
        kind=str(record.get("eventName") or ""),
        old=stored_value(old),
        new=stored_value(new),
        approximate_at=iso(datetime.fromtimestamp(float(created), UTC) if created else clock()),
        item=item_ref(str(keys.get("pk", "")), str(keys.get("sk", ""))),
    )
