"""RecoveryIndex contract: the sparse index of beneficiaries awaiting their cool-off, by when to look again, and
the recovery's back-off and parking."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, REMOVED
from tests.unit.contract.conftest import CUSTOMER, NOW, SOURCE, Backend, identity, write

HOUR = timedelta(hours=1)


def due(backend: Backend, at=NOW, limit: int = 100) -> list[str]:
    return [b.beneficiary_id for b in backend.payment_sources.awaiting_past_expiry(at, limit)]


def test_an_awaiting_beneficiary_is_due_once_its_recheck_time_has_come(backend: Backend):
    backend.payment_sources.apply_beneficiary(write(AWAITING_COOL_OFF, recheck_at=NOW + HOUR), NOW)
    assert due(backend, NOW) == []
    assert due(backend, NOW + HOUR) == ["c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"]  # at the recheck time itself
    (item,) = backend.payment_sources.awaiting_past_expiry(NOW + 2 * HOUR, 10)
    assert (item.customer_id, item.payment_source_id, item.status) == (CUSTOMER, SOURCE, AWAITING_COOL_OFF)


def test_due_items_come_oldest_first_up_to_the_limit(backend: Backend):
    for name, hours in (("late", 3), ("early", 1), ("middle", 2)):
        backend.payment_sources.apply_beneficiary(
            write(AWAITING_COOL_OFF, who=identity(name), recheck_at=NOW - hours * HOUR), NOW - 5 * HOUR
        )
    assert due(backend) == ["late", "middle", "early"]
    assert due(backend, limit=2) == ["late", "middle"]
    assert due(backend, limit=0) == []


def test_only_awaiting_beneficiaries_with_a_recheck_time_are_in_the_index(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity("no-recheck"), recheck_at=None), NOW - HOUR)
    store.apply_beneficiary(write("SUSPENDED_BY_BANK", who=identity("unknown"), recheck_at=NOW - HOUR), NOW - HOUR)
    store.apply_beneficiary(write(ACTIVE, who=identity("active"), recheck_at=NOW - HOUR), NOW - HOUR)
    assert due(backend) == []


def test_leaving_awaiting_takes_the_beneficiary_out_of_the_index(backend: Backend):
    store = backend.payment_sources
    for name in ("activated", "unknown", "removed", "deleted"):
        store.apply_beneficiary(
            write(AWAITING_COOL_OFF, who=identity(name, payment_source_id=name), recheck_at=NOW - HOUR), NOW - HOUR
        )
    assert sorted(due(backend)) == ["activated", "deleted", "removed", "unknown"]
    store.apply_beneficiary(write(ACTIVE, True, who=identity("activated", payment_source_id="activated")), NOW)
    store.apply_beneficiary(write("SUSPENDED_BY_BANK", who=identity("unknown", payment_source_id="unknown")), NOW)
    store.mark_beneficiary(CUSTOMER, "removed", "removed", REMOVED, "not_listed_by_lean", NOW)
    store.mark_payment_source_deleted(CUSTOMER, "deleted", "lean_not_found", NOW)
    assert due(backend, NOW + 48 * HOUR) == []


def test_a_failed_recheck_moves_the_beneficiary_back_in_the_index(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, recheck_at=NOW - HOUR), NOW - HOUR)
    assert store.defer_recheck(identity(), 1, NOW + 2 * HOUR, NOW) is True
    assert due(backend, NOW + HOUR) == []
    (item,) = store.awaiting_past_expiry(NOW + 2 * HOUR, 10)
    assert item.recheck_failures == 1


def test_a_beneficiary_parked_after_its_last_failure_leaves_the_index_until_a_fresh_write(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, recheck_at=NOW - HOUR), NOW - HOUR)
    assert store.defer_recheck(identity(), 8, None, NOW) is True
    assert due(backend, NOW + 1000 * HOUR) == []
    (parked,) = store.beneficiaries_of(CUSTOMER, SOURCE)
    assert (parked.status, parked.recheck_failures) == (AWAITING_COOL_OFF, 8)
    store.apply_beneficiary(write(AWAITING_COOL_OFF, recheck_at=NOW + HOUR), NOW)  # a webhook: back in, fresh
    (item,) = store.awaiting_past_expiry(NOW + HOUR, 10)
    assert item.recheck_failures == 0


def test_a_recheck_is_deferred_only_while_the_beneficiary_awaits(backend: Backend):
    store = backend.payment_sources
    assert store.defer_recheck(identity(), 1, NOW + HOUR, NOW) is False  # never stored
    assert store.beneficiaries_of(CUSTOMER, SOURCE) == []
    store.apply_beneficiary(write(ACTIVE, True), NOW)
    assert store.defer_recheck(identity(), 1, NOW + HOUR, NOW) is False
    assert store.defer_recheck(identity(), 8, None, NOW) is False
    (ben,) = store.beneficiaries_of(CUSTOMER, SOURCE)
    assert (ben.status, ben.recheck_failures) == (ACTIVE, 0)
    assert due(backend, NOW + 1000 * HOUR) == []
