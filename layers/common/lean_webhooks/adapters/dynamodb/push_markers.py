"""Push markers: one conditional item per (beneficiary activation, device) makes each push happen once.

A marker is `CLAIMED` with a lease (until just after the claimant's own deadline) while its publish is under way,
and `SENT` once SNS answered. A claim whose lease ran out means the notifier died before SNS answered, or SNS's
answer was lost (the notifier then ends the lease at once): the next delivery takes the claim over
(`RECLAIMED`, a publish that may duplicate one SNS accepted) and publishes, so a push is never lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from lean_webhooks.adapters.dynamodb.erasures import guard_of
from lean_webhooks.adapters.dynamodb.keys import PUSH, customer_pk, push_sk
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.models.push import Claim, ClaimResult
from lean_webhooks.models.timestamps import from_iso, iso

MARKER_TTL = timedelta(days=30)
CLAIMED, SENT = "CLAIMED", "SENT"
_STATE = {"#state": "state"}


class DynamoPushMarkers:
    """Claim (with a lease) before publishing, mark `SENT` after, release if the publish failed."""

    def __init__(self, table: Table):
        self._table = table

    def claim(
        self,
        customer_id: str,
        beneficiary_id: str,
        device_id: str,
        now: datetime,
        lease: timedelta,
        read_at: datetime | None = None,
    ) -> ClaimResult:
        """Claim the push to one device: CLAIMED or RECLAIMED (with this claim's id), SENT or IN_FLIGHT. With
        `read_at` (when the activation was stored), refused by the customer's erasure (`CustomerErased`)."""
        claim_id = str(uuid.uuid4())
        claimed, replaced = self._table.replace_if(
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
            guard=guard_of(customer_id, read_at),
            create_first=True,  # one marker per activation and device: a reclaim after a lost lease is the rare case
            token=claim_id,
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values({":claimed": CLAIMED, ":now": iso(now)}),
        )
        if claimed:
            return ClaimResult(Claim.RECLAIMED if replaced else Claim.CLAIMED, claim_id)
        marker = self._get(customer_id, beneficiary_id, device_id)
        if marker is None:  # released between the two calls: the next delivery claims it
            return ClaimResult(Claim.IN_FLIGHT, lease_until=now)
        if "lease_until" not in marker:  # SENT (which ends the lease), or written before leases: published
            return ClaimResult(Claim.SENT)
        lease_until = from_iso(marker["lease_until"])
        # Expired between the two calls: the next claim takes it over.
        return ClaimResult(Claim.IN_FLIGHT, lease_until=max(lease_until, now))

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

    def outcome_unknown(
        self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime
    ) -> bool:
        """SNS may have accepted this claim's publish (its answer was lost): end the lease now, keeping the claim,
        so that the next delivery takes it over as RECLAIMED and counts its publish as a possible duplicate."""
        return self._table.update_if(
            key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)),
            "SET lease_until = :now, outcome_unknown = :yes",
            "#state = :claimed AND claim_id = :claim_id",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values(
                {":claimed": CLAIMED, ":claim_id": claim_id, ":now": iso(now - timedelta(microseconds=1)), ":yes": True}
            ),
        )

    def _get(self, customer_id: str, beneficiary_id: str, device_id: str) -> dict | None:
        return self._table.get(key(customer_pk(customer_id), push_sk(beneficiary_id, device_id)))
