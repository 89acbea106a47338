"""Push markers: one conditional item per (beneficiary activation, device) makes each push happen once."""

from __future__ import annotations

from datetime import datetime, timedelta

from lean_webhooks.adapters.dynamodb.table import PUSH, Table, customer_pk, key, push_sk, to_values
from lean_webhooks.models.timestamps import iso

MARKER_TTL = timedelta(days=30)


class PushMarkers:
    """Claim before publishing; release if the publish failed so a retry can push.

    A claim that is never released means the push was published (or, if the process died between the two
    calls, may have been): at most one push per activation and device, exactly one when nothing crashes.
    """

    def __init__(self, table: Table):
        self._table = table

    def claim(self, customer_id: str, beneficiary_id: str, device_id: str, now: datetime) -> bool:
        """True if this caller may push to the device; False if a push was already claimed."""
        return self._table.put_if(
            {
                "pk": customer_pk(customer_id),
                "sk": push_sk(beneficiary_id, device_id),
                "entity": PUSH,
                "state": "CLAIMED",
                "claimed_at": iso(now),
                "expires_at": int((now + MARKER_TTL).timestamp()),
            },
            "attribute_not_exists(pk)",
        )

    def release(self, customer_id: str, beneficiary_id: str, device_id: str) -> None:
        """Drop a claim whose publish failed, so the redelivered record can try again."""
        self._table.dynamodb.delete_item(
            TableName=self._table.name,
            Key=key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            ConditionExpression="#state = :claimed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_values({":claimed": "CLAIMED"}),
        )
