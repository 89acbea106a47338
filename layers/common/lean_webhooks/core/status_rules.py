"""The rules deciding a beneficiary's status and whether its activation is worth a push.

Pure functions: no AWS, no Lambda. How a decision is stored is `write_rules`.
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


def is_revival(old_status: str | None, old_activated_at: str | None, new_activated_at: str | None) -> bool:
    """Whether a change made `ACTIVE` again a beneficiary that was active before (a read marked it `REMOVED`, a
    later read lists it): the write rules keep the activation it had, so it is no new one, however much later."""
    return old_status != ACTIVE and old_activated_at is not None and new_activated_at == old_activated_at


def is_first_activation(old_activated_at: str | None) -> bool:
    """Whether becoming `ACTIVE` makes the beneficiary chargeable for the first time: one that was ever `ACTIVE`
    keeps its `activated_at` through `REMOVED` and a revival."""
    return old_activated_at is None


def is_push_worthy_activation(old: object | None, new: object | None) -> bool:
    """True when a stored beneficiary became `ACTIVE` after a cool-off (the stream's typed values), or an `ACTIVE`
    one stored without evidence of a cool-off (seen active first by a refresh or a re-sync) got that evidence; never
    a revival."""
    if not isinstance(new, StoredBeneficiary):
        return False
    before = old if isinstance(old, StoredBeneficiary) else None
    was_active = before is not None and before.status == ACTIVE
    evidence_came_late = was_active and before is not None and before.cool_off_seen is False
    pushed = new.status == ACTIVE and new.cool_off_seen is True and (not was_active or evidence_came_late)
    revived = before is not None and is_revival(before.status, before.activated_at, new.activated_at)
    return pushed and not revived
