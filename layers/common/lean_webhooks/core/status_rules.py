"""The rules deciding a beneficiary's status and whether its activation is worth a push.

Pure functions: no AWS, no Lambda. Storage enforces the same rules with condition expressions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lean_webhooks.models.beneficiary import StatusDecision
from lean_webhooks.models.items import StoredBeneficiary
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF

# A bank's cool-off lasts up to 24 h: without an expiry from Lean, look again after that.
DEFAULT_COOL_OFF = timedelta(hours=24)
# A beneficiary still awaiting past its expiry is re-read this often by the recovery.
RECHECK_EVERY = timedelta(hours=1)


def rank(status: str | None) -> int:
    """`ACTIVE` is terminal (2); every other status, unknown or none, ranks 1 (a tie the API's read wins)."""
    return 2 if status == ACTIVE else 1


def decide_status(*, is_update: bool, webhook_status: str, api_status: str | None) -> StatusDecision:
    """Combine the webhook's status with a fresh read from Lean's API.

    The higher-ranked status wins (a stale read cannot undo a signed `ACTIVE`); on a tie the API, being
    fresher, wins. A cool-off is evidenced by an `AWAITING...` status from either source, or by a
    `beneficiary.updated` event (Lean only sends it when the cool-off ends), even when it arrives first.
    """
    status = webhook_status if rank(webhook_status) > rank(api_status) else (api_status or webhook_status)
    cool_off_seen = is_update or AWAITING_COOL_OFF in (webhook_status, api_status)
    return StatusDecision(status=status, cool_off_seen=cool_off_seen)


def recheck_time(now: datetime, cool_off_expiry: datetime | None) -> datetime:
    """When the cool-off recovery should first look again at a beneficiary awaiting its cool-off."""
    return cool_off_expiry or now + DEFAULT_COOL_OFF


def is_push_worthy_activation(old: object | None, new: object | None) -> bool:
    """True when a stored beneficiary became `ACTIVE` after a cool-off (the stream's typed values), or an `ACTIVE`
    one stored without evidence of a cool-off (seen active first by a refresh or a re-sync) got that evidence."""
    if not isinstance(new, StoredBeneficiary):
        return False
    was_active = isinstance(old, StoredBeneficiary) and old.status == ACTIVE
    evidence_came_late = was_active and old.cool_off_seen is False  # type: ignore[union-attr]
    return new.status == ACTIVE and new.cool_off_seen is True and (not was_active or evidence_came_late)
