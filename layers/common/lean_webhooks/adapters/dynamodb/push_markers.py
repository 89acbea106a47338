"""Push markers: one conditional item per (beneficiary activation, device) makes each push happen once.

A marker is `CLAIMED` with a lease (beyond the notifier's timeout) while its publish is under way, and `SENT`
once SNS answered. A claim whose lease ran out means the notifier died before SNS answered: the next delivery
of the record claims it again and publishes, so a push is never lost to a crash.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from lean_webhooks.adapters.dynamodb.table import PUSH, Table, customer_pk, from_item, key, push_sk, to_values
from lean_webhooks.models.push import Claim
from lean_webhooks.models.timestamps import from_iso, iso

MARKER_TTL = timedelta(days=30)
CLAIMED, SENT = "CLAIMED", "SENT"
_STATE = {"#state": "state"}


class PushMarkers:
    """Claim (with a lease) before publishing, mark `SENT` after, release if the publish failed."""

    def __init__(self, table: Table):
        self._table = table

    def claim(
        self, customer_id: str, beneficiary_id: str, device_id: str, now: datetime, lease: timedelta
    ) -> tuple[Claim, str]:
        """Claim the push to one device; returns the outcome and this claim's id (for `sent` / `release`)."""
        claim_id = str(uuid.uuid4())
        claimed = self._table.put_if(
            {
                "pk": customer_pk(customer_id),
                "sk": push_sk(beneficiary_id, device_id),
                "entity": PUSH,
                "state": CLAIMED,
                "claim_id": claim_id,
                "claimed_at": iso(now),
                "lease_until": iso(now + lease),
                "expires_at": int((now + MARKER_TTL).timestamp()),
            },
            "attribute_not_exists(pk) OR (#state = :claimed AND lease_until < :now)",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values({":claimed": CLAIMED, ":now": iso(now)}),
        )
        if claimed:
            return Claim.CLAIMED, claim_id
        marker = self._get(customer_id, beneficiary_id, device_id)
        if marker is None:  # released between the two calls: the next delivery claims it
            return Claim.IN_FLIGHT, ""
        if marker.get("state") == SENT or "lease_until" not in marker:
            return Claim.SENT, ""
        return (Claim.IN_FLIGHT if from_iso(marker["lease_until"]) >= now else Claim.SENT), ""

    def sent(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime) -> bool:
        """SNS accepted the publish of this claim."""
        return self._table.update_if(
            key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            "SET #state = :sent, sent_at = :now REMOVE lease_until",
            "claim_id = :claim_id",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values({":sent": SENT, ":now": iso(now), ":claim_id": claim_id}),
        )

    def release(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str) -> bool:
        """Drop this claim after a failed publish, so the redelivered record can try again."""
        return self._table.delete_if(
            key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            "#state = :claimed AND claim_id = :claim_id",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values({":claimed": CLAIMED, ":claim_id": claim_id}),
        )

    def _get(self, customer_id: str, beneficiary_id: str, device_id: str) -> dict | None:
        item = self._table.dynamodb.get_item(
            TableName=self._table.name,
            Key=key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None
