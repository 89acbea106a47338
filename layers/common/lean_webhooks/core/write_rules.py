"""The write rules of payment sources and beneficiaries, in one place: each write as a `WritePlan` (what it sets,
keeps and removes) under the condition its stored item must meet. Storage only carries plans out: the DynamoDB
adapter renders each as one conditional write, the tests' in-memory table evaluates it.

- A stored status never goes back: `ACTIVE` and `DELETED` are final for a webhook or a read; `REMOVED` too, unless
  the read lists the beneficiary again. Marking `REMOVED` or `DELETED` is the one way back (`DELETED` stays).
- An `ACTIVE` item stored without evidence of a cool-off takes that evidence once, late: the activation is then
  push-worthy, and indexed for the push reconciliation.
- A revival (a read lists a beneficiary marked `REMOVED` that was active before) restores `ACTIVE` and keeps the
  activation it had: no new `activated_at`, no activations-index entry, so no second push and no second
  `Beneficiary Chargeable` (`status_rules.is_revival`, `is_first_activation`), however much later. The one new
  activation such a beneficiary can still take is the evidence of a cool-off its activation lacked (never pushed).
- A write that changes no stored state (status, expiry, cool-off evidence, index membership, destination, bank) is
  refused by its condition: no item rewrite, no index write, no stream record. `updated_at`, `last_event_id` and
  `last_event_type` are written only with a change, so `updated_at` is when the stored state last changed.

Index membership is named in domain terms (`RECHECK_AT`: in the recovery index until then; `UNSETTLED_ACTIVATION`:
in the activations index); the table's layout maps each to its index keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED
from lean_webhooks.models.timestamps import iso
from lean_webhooks.models.write_plan import (
    AllOf,
    AnyOf,
    AtMost,
    Condition,
    Equals,
    Exists,
    In,
    ItemExists,
    Not,
    WritePlan,
    missing,
)

if TYPE_CHECKING:
    from lean_webhooks.models.beneficiary import BeneficiaryWrite

RECHECK_AT = "recheck_at"  # the recovery index: when to look at a beneficiary still awaiting its cool-off again
UNSETTLED_ACTIVATION = "unsettled_activation"  # the activations index: an activation whose pushes are not settled
_BACKOFF = ("recheck_failures", "recheck_parked_at")  # a fresh read ends any recovery backoff


def beneficiary_plans(write: BeneficiaryWrite, now: datetime) -> tuple[WritePlan, ...]:
    """The writes of one beneficiary decision, the first whose condition holds to be made (none: refused)."""
    decision, identity = write.decision, write.identity
    stamps = {
        "customer_id": identity.customer_id,
        "payment_source_id": identity.payment_source_id,
        "beneficiary_id": identity.beneficiary_id,
        "updated_at": iso(now),
        "last_event_id": write.event_id,
        "last_event_type": write.event_type,
    }
    lean_says: dict[str, Any] = {"status": decision.status}
    for name in ("payment_destination_id", "bank_identifier"):  # optional in Lean's payloads: kept when absent
        if getattr(write, name):
            lean_says[name] = getattr(write, name)
    if write.cool_off_expiry is not None:
        lean_says["cool_off_expiry"] = iso(write.cool_off_expiry)
    final = (ACTIVE, DELETED) if write.seen_in_api else (ACTIVE, DELETED, REMOVED)
    not_final = AnyOf((missing("status"), Not(In("status", final))))
    removes = (*_BACKOFF, "status_reason")
    if decision.status != ACTIVE:
        if decision.status == AWAITING_COOL_OFF and write.recheck_at is not None:
            sets = {**lean_says, "cool_off_seen": True, RECHECK_AT: iso(write.recheck_at)}
            return (WritePlan(not_final, sets, removes=removes, stamps=stamps),)
        return (WritePlan(not_final, lean_says, removes=(*removes, RECHECK_AT), stamps=stamps),)
    return _activation_plans(write, now, lean_says, not_final, removes, stamps)


def _activation_plans(
    write: BeneficiaryWrite,
    now: datetime,
    lean_says: Mapping[str, Any],
    not_final: Condition,
    removes: tuple[str, ...],
    stamps: Mapping[str, Any],
) -> tuple[WritePlan, ...]:
    """An `ACTIVE` decision: a new activation, or (a read listing a beneficiary it had marked `REMOVED`) a revival."""
    evidence = write.decision.cool_off_seen
    # Revived without a new activation: it was active before (then REMOVED, and whatever a read stored since), and
    # this decision brings no evidence of a cool-off it lacked.
    was_active = (Not(Equals("status", ACTIVE)), Exists("activated_at"))
    revival = AllOf(was_active + ((Equals("cool_off_seen", True),) if evidence else ()))
    when: Condition = AllOf((not_final, Not(revival)))
    if evidence:  # late evidence of a cool-off for an item stored ACTIVE without it
        when = AnyOf((when, AllOf((Equals("status", ACTIVE), Equals("cool_off_seen", False)))))
    sets = {**lean_says, "activated_at": iso(now), UNSETTLED_ACTIVATION: iso(now)}
    keeps: dict[str, Any] = {}
    if evidence:
        sets["cool_off_seen"] = True
    else:
        keeps["cool_off_seen"] = False  # an earlier `true` (set while awaiting) is kept
    activation = WritePlan(when, sets, keeps, (*removes, RECHECK_AT), stamps)
    if not write.seen_in_api:
        return (activation,)
    revived = WritePlan(AllOf((not_final, revival)), lean_says, removes=(*removes, RECHECK_AT), stamps=stamps)
    return activation, revived


def marking_plan(status: str, reason: str, now: datetime) -> WritePlan:
    """`REMOVED` or `DELETED`, out of both indexes: the one way a stored status, `ACTIVE` included, goes back. A
    `DELETED` beneficiary stays deleted; one already marked `status` is left as it is."""
    when = AllOf((Exists("status"), Not(Equals("status", DELETED)), Not(Equals("status", status))))
    return WritePlan(
        when,
        {"status": status},
        removes=(RECHECK_AT, UNSETTLED_ACTIVATION),
        stamps={"status_reason": reason, "updated_at": iso(now)},
    )


def recheck_plan(failures: int, recheck_at: datetime | None, now: datetime) -> WritePlan:
    """After a failed recovery re-read: look again at `recheck_at`, or (None) park the beneficiary out of the
    recovery index. Only while it still awaits its cool-off."""
    when = Equals("status", AWAITING_COOL_OFF)
    if recheck_at is None:
        return WritePlan(
            when, {"recheck_failures": failures}, removes=(RECHECK_AT,), stamps={"recheck_parked_at": iso(now)}
        )
    return WritePlan(when, {"recheck_failures": failures, RECHECK_AT: iso(recheck_at)})


def settling_plan(now: datetime, activated_at: str | None, abandoned: bool) -> WritePlan:
    """Out of the activations index: only while the item still holds the activation pushed (`activated_at`) when
    given; `abandoned` (it left the reconciliation window unsettled) only while it is in the index."""
    when: Condition = ItemExists()
    if activated_at is not None:
        when = Equals(UNSETTLED_ACTIVATION, activated_at)
    elif abandoned:
        when = Exists(UNSETTLED_ACTIVATION)
    stamp = "pushes_abandoned_at" if abandoned else "pushes_settled_at"
    return WritePlan(when, removes=(UNSETTLED_ACTIVATION,), stamps={stamp: iso(now)})


def payment_source_plan(content: Mapping[str, Any], content_hash: str, fetched_at: datetime) -> WritePlan:
    """The payment source as read (whole), unless its content is unchanged, it is deleted, or a newer read is
    stored. Most events re-read an unchanged payment source: a look first (half a read unit) saves a rewrite."""
    at = iso(fetched_at)
    when = AnyOf((Not(ItemExists()), AllOf((AtMost("fetched_at", at), missing("deleted_at")))))
    return WritePlan(
        when,
        {"content_hash": content_hash},
        stamps={**content, "fetched_at": at},
        replace=True,
        look_first=True,
    )


def payment_source_deleted_plan(customer_id: str, payment_source_id: str, reason: str, now: datetime) -> WritePlan:
    """The payment source recorded deleted (created so if it was never stored); the first deletion's time and
    reason are kept."""
    return WritePlan(
        keeps={"deleted_at": iso(now), "deleted_reason": reason},
        stamps={"customer_id": customer_id, "payment_source_id": payment_source_id},
    )
