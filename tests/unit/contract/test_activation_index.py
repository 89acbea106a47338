"""ActivationIndex contract: activations whose pushes are not settled, one index partition per UTC day, settled
(or abandoned) out of it; settling one activation spares a later one of the same beneficiary."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED
from lean_webhooks.models.timestamps import iso
from tests.unit.contract.conftest import BENEFICIARY, CUSTOMER, NOW, SOURCE, Backend, identity, write

HOUR = timedelta(hours=1)
MIDNIGHT = NOW.replace(hour=0) + timedelta(days=1)  # 2026-11-26T00:00Z


def activate(backend: Backend, name: str, at, payment_source_id: str = SOURCE) -> None:
    who = identity(name, payment_source_id=payment_source_id)
    backend.payment_sources.apply_beneficiary(write(AWAITING_COOL_OFF, who=who), at - HOUR)
    backend.payment_sources.apply_beneficiary(write(ACTIVE, cool_off_seen=True, who=who), at)


def unsettled(backend: Backend, since, until, limit: int = 100) -> list[str]:
    return [b.beneficiary_id for b in backend.payment_sources.unsettled_activations(since, until, limit)]


def test_an_activation_is_unsettled_until_settled(backend: Backend):
    activate(backend, BENEFICIARY, NOW)
    (ben,) = backend.payment_sources.unsettled_activations(NOW - HOUR, NOW + HOUR, 10)
    assert (ben.customer_id, ben.payment_source_id, ben.status, ben.cool_off_seen) == (CUSTOMER, SOURCE, ACTIVE, True)
    assert ben.activated_at == iso(NOW)
    assert backend.payment_sources.settle_activation(identity(), NOW + HOUR) is True
    assert unsettled(backend, NOW - HOUR, NOW + HOUR) == []


def test_the_window_includes_its_bounds_and_nothing_outside(backend: Backend):
    activate(backend, BENEFICIARY, NOW)
    assert unsettled(backend, NOW, NOW) == [BENEFICIARY]
    assert unsettled(backend, NOW - HOUR, NOW - timedelta(microseconds=1)) == []
    assert unsettled(backend, NOW + timedelta(microseconds=1), NOW + HOUR) == []


def test_an_active_beneficiary_is_indexed_whatever_its_cool_off(backend: Backend):
    backend.payment_sources.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW)  # active at creation
    (ben,) = backend.payment_sources.unsettled_activations(NOW - HOUR, NOW, 10)
    assert ben.cool_off_seen is False  # the reconciler settles it without a push


def test_each_utc_day_is_its_own_partition_and_every_day_of_the_window_is_read(backend: Backend):
    activate(backend, "before-midnight", MIDNIGHT - timedelta(minutes=30))
    activate(backend, "after-midnight", MIDNIGHT + timedelta(minutes=30))
    activate(backend, "two-days-later", MIDNIGHT + timedelta(days=1, hours=5))
    everything = unsettled(backend, MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=2))
    assert everything == ["before-midnight", "after-midnight", "two-days-later"]  # day by day, oldest first
    assert unsettled(backend, MIDNIGHT, MIDNIGHT + HOUR) == ["after-midnight"]
    assert unsettled(backend, MIDNIGHT - HOUR, MIDNIGHT - timedelta(microseconds=1)) == ["before-midnight"]


def test_the_limit_counts_across_days(backend: Backend):
    activate(backend, "day1-a", MIDNIGHT - 2 * HOUR)
    activate(backend, "day1-b", MIDNIGHT - HOUR)
    activate(backend, "day2-a", MIDNIGHT + HOUR)
    window = (MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=1))
    assert unsettled(backend, *window, limit=2) == ["day1-a", "day1-b"]
    assert unsettled(backend, *window, limit=3) == ["day1-a", "day1-b", "day2-a"]
    assert unsettled(backend, *window, limit=0) == []


def test_settling_a_beneficiary_never_stored_changes_nothing(backend: Backend):
    assert backend.payment_sources.settle_activation(identity(), NOW) is False
    assert backend.payment_sources.settle_activation(identity(), NOW, abandoned=True) is False
    assert backend.payment_sources.settle_activation(identity(), NOW, activated_at=iso(NOW)) is False
    assert backend.payment_sources.beneficiaries_of(CUSTOMER, SOURCE) == []


def test_settling_the_pushed_activation_spares_a_later_one(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW)  # a refresh saw it active first
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), NOW + 2 * HOUR)  # late evidence: a new activation
    assert store.settle_activation(identity(), NOW + 3 * HOUR, activated_at=iso(NOW)) is False
    assert unsettled(backend, NOW, NOW + 3 * HOUR) == [BENEFICIARY]
    assert store.settle_activation(identity(), NOW + 3 * HOUR, activated_at=iso(NOW + 2 * HOUR)) is True
    assert unsettled(backend, NOW, NOW + 3 * HOUR) == []


def test_a_revival_keeps_its_activation_and_stays_out_of_the_index(backend: Backend):
    """A read lists again a beneficiary it had marked REMOVED after its activation was pushed: ACTIVE again, with
    the activation it had; nothing for the push reconciliation to push, however much later."""
    store = backend.payment_sources
    activate(backend, BENEFICIARY, NOW)
    assert store.settle_activation(identity(), NOW + HOUR, activated_at=iso(NOW)) is True  # pushed
    store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", NOW + HOUR)
    revived_at = NOW + timedelta(days=40)  # past the push markers' 30 days
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), revived_at) is True
    (ben,) = store.beneficiaries_of(CUSTOMER, SOURCE)
    assert (ben.status, ben.activated_at, ben.status_reason) == (ACTIVE, iso(NOW), None)
    assert unsettled(backend, revived_at - HOUR, revived_at + HOUR) == []
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), revived_at + HOUR) is False  # and once


def test_a_revival_bringing_the_evidence_its_activation_lacked_is_a_new_activation(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW)  # never pushed: no evidence of a cool-off
    store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", NOW + HOUR)
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW + 2 * HOUR) is True  # revived as it was
    (ben,) = store.beneficiaries_of(CUSTOMER, SOURCE)
    assert (ben.status, ben.activated_at, ben.cool_off_seen) == (ACTIVE, iso(NOW), False)
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), NOW + 3 * HOUR) is True  # then the evidence
    (ben,) = store.beneficiaries_of(CUSTOMER, SOURCE)
    assert (ben.activated_at, ben.cool_off_seen) == (iso(NOW + 3 * HOUR), True)
    assert unsettled(backend, NOW + 3 * HOUR, NOW + 3 * HOUR) == [BENEFICIARY]


def test_an_abandoned_activation_leaves_the_index_once(backend: Backend):
    store = backend.payment_sources
    activate(backend, BENEFICIARY, NOW)
    assert store.settle_activation(identity(), NOW + HOUR, abandoned=True) is True
    assert unsettled(backend, NOW - HOUR, NOW + HOUR) == []
    assert store.settle_activation(identity(), NOW + 2 * HOUR, abandoned=True) is False  # counted once


def test_a_settled_activation_is_never_abandoned(backend: Backend):
    store = backend.payment_sources
    activate(backend, BENEFICIARY, NOW)
    assert store.settle_activation(identity(), NOW + HOUR) is True
    assert store.settle_activation(identity(), NOW + 2 * HOUR, abandoned=True) is False


def test_removal_and_deletion_take_an_activation_out_of_the_index(backend: Backend):
    store = backend.payment_sources
    activate(backend, "removed", NOW)
    activate(backend, "deleted", NOW, payment_source_id="gone")
    store.mark_beneficiary(CUSTOMER, SOURCE, "removed", REMOVED, "not_listed_by_lean", NOW)
    store.mark_payment_source_deleted(CUSTOMER, "gone", "lean_not_found", NOW)
    assert unsettled(backend, NOW - HOUR, NOW + HOUR) == []
    assert [b.status for b in store.beneficiaries_of(CUSTOMER, "gone")] == [DELETED]
