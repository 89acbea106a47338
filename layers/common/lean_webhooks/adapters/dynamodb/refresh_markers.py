"""Refresh markers: one item per customer saying when Lean was last asked for the customer's payment sources, so
that concurrent and repeated refreshes make one Lean call per interval (a conditional write, not a lock)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from lean_webhooks.adapters.dynamodb.erasures import ErasureGuard
from lean_webhooks.adapters.dynamodb.keys import REFRESH, customer_pk, refresh_claim, refresh_marker_item
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.models.refresh import RefreshClaim, RefreshState
from lean_webhooks.models.timestamps import iso

_STATE = {"#state": "state"}


class DynamoRefreshMarkers:
    def __init__(self, table: Table):
        self._table = table

    def claim(self, customer_id: str, now: datetime, min_interval: timedelta) -> RefreshClaim:
        """Claim the call to Lean unless another claim is younger than `min_interval`, or a failed call said to
        wait: until the time it gave (`retry_at`, only on a failed call), never longer, never shorter. Otherwise
        read what that claim is doing or did. Under the erasure guard (the claim comes before the call to Lean):
        refused, with `CustomerErased`, while the customer's erasure is under way."""
        claim_id = str(uuid.uuid4())
        claimed = self._table.put_if(
            refresh_marker_item(customer_id, claim_id, RefreshState.CALLING.value, now),
            "attribute_not_exists(pk) OR retry_at <= :now OR (called_at < :cutoff AND attribute_not_exists(retry_at))",
            guard=ErasureGuard(customer_id, now),
            ExpressionAttributeValues=to_values({":cutoff": iso(now - min_interval), ":now": iso(now)}),
        )
        if claimed:
            return RefreshClaim(RefreshState.CALLING, claim_id, called_at=now)
        return self.current(customer_id)

    def finish(
        self,
        customer_id: str,
        claim_id: str,
        failed: bool,
        retry_at: datetime | None,
        now: datetime,
        retryable: bool = True,
    ) -> None:
        """The claimant's call ended: done (its answer stored), or failed (no new call before `retry_at`;
        `retryable` False when trying again cannot help until something is fixed)."""
        state = RefreshState.FAILED if failed else RefreshState.DONE
        values: dict[str, object] = {":state": state.value, ":claim": claim_id, ":now": iso(now)}
        update = "SET #state = :state, finished_at = :now"
        if retry_at is not None:
            update += ", retry_at = :retry_at"
            values[":retry_at"] = iso(retry_at)
        if failed:
            update += ", retryable = :retryable"
            values[":retryable"] = retryable
        self._table.update_if(
            key(customer_pk(customer_id), REFRESH),
            update,
            "claim_id = :claim",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=to_values(values),
        )

    def current(self, customer_id: str) -> RefreshClaim:
        return refresh_claim(self._table.get(key(customer_pk(customer_id), REFRESH)))
