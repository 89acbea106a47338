"""Push markers: one conditional item per (beneficiary activation, device) makes each push happen once."""

from __future__ import annotations

from datetime import datetime, timedelta

from lean_webhooks.aws import error_code
from lean_webhooks.store.payment_sources import iso
from lean_webhooks.store.table import PUSH, Table, customer_pk, key, push_sk, to_item, to_values

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
        try:
            self._table.dynamodb.put_item(
                TableName=self._table.name,
                Item=to_item(
                    {
                        "pk": customer_pk(customer_id),
                        "sk": push_sk(beneficiary_id, device_id),
                        "entity": PUSH,
                        "state": "CLAIMED",
                        "claimed_at": iso(now),
                        "expires_at": int((now + MARKER_TTL).timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, customer_id: str, beneficiary_id: str, device_id: str) -> None:
        """Drop a claim whose publish failed, so the redelivered record can try again."""
        self._table.dynamodb.delete_item(
            TableName=self._table.name,
            Key=key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            ConditionExpression="#state = :claimed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_values({":claimed": "CLAIMED"}),
        )
