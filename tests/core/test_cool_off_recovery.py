"""core/cool_off_recovery.py on the fakes: an overdue beneficiary re-read from Lean is activated, still waits (an
hour later), or is gone; failing re-reads back off and are parked after the last one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.cool_off_recovery import MAX_RECHECK_FAILURES, CoolOffRecovery
from lean_webhooks.core.domain_events import domain_events
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.domain_events import PAYMENT_SOURCE_DELETED
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED
from lean_webhooks.models.timestamps import iso
from tests.core.builders import BENEFICIARY, CUSTOMER, IDENTITY, SOURCE, lean_lists
from tests.support.fakes import APP_ID, FakeClock, InMemoryStores, ScriptedLean

HOUR = timedelta(hours=1)


@pytest.fixture
def recovery(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> CoolOffRecovery:
    return CoolOffRecovery(
        PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock), stores.payment_sources, clock=clock
    )


@pytest.fixture
def overdue(stores: InMemoryStores, clock: FakeClock) -> None:
    """A beneficiary whose cool-off expired an hour ago, its `beneficiary.updated` lost."""
    write = BeneficiaryWrite(
        IDENTITY, StatusDecision(AWAITING_COOL_OFF, True), "e1", "created", recheck_at=clock.now - HOUR
    )
    stores.payment_sources.apply_beneficiary(write, clock.now - 24 * HOUR)


def due(stores: InMemoryStores, at) -> list[str]:
    return [b.beneficiary_id for b in stores.payment_sources.awaiting_past_expiry(at, 10)]


def the_beneficiary(stores: InMemoryStores):
    (ben,) = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)
    return ben


@pytest.mark.usefixtures("overdue")
def test_a_beneficiary_lean_now_lists_active_is_activated_and_push_worthy(recovery, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = recovery.run()
    assert (outcome.checked, outcome.activated) == (1, 1)
    assert the_beneficiary(stores).status == ACTIVE and due(stores, clock.now + 100 * HOUR) == []
    assert sum(is_push_worthy_activation(c.old, c.new) for c in stores.table.changes) == 1


@pytest.mark.usefixtures("overdue")
def test_a_beneficiary_still_awaiting_is_looked_at_again_an_hour_later(recovery, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now - 2 * HOUR))  # Lean's expiry already past
    assert recovery.run().still_waiting == 1
    assert due(stores, clock.now + HOUR - timedelta(seconds=1)) == []
    assert due(stores, clock.now + HOUR) == [BENEFICIARY]


@pytest.mark.usefixtures("overdue")
def test_a_payment_source_lean_no_longer_has_is_recorded_gone(recovery, stores, clock):
    outcome = recovery.run()
    assert (outcome.checked, outcome.gone) == (1, 1)
    assert the_beneficiary(stores).status == DELETED and due(stores, clock.now + 100 * HOUR) == []
    events = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == PAYMENT_SOURCE_DELETED]
    assert [(e.detail.payment_source_id, e.detail.reason) for e in events] == [(SOURCE, "lean_not_found")]
    assert recovery.run().checked == 0  # out of the index: read once


@pytest.mark.usefixtures("overdue")
def test_a_failing_reread_backs_off_without_blocking_the_index(recovery, lean, stores, clock):
    lean.fail_next("get_payment_source", LeanServerError("Lean API 503", http_status=503), times=2)
    assert recovery.run().failed == 1
    assert the_beneficiary(stores).recheck_failures == 1
    assert due(stores, clock.now + HOUR - timedelta(seconds=1)) == [] and due(stores, clock.now + HOUR) == [BENEFICIARY]
    clock.advance(hours=1)
    assert recovery.run().failed == 1
    assert the_beneficiary(stores).recheck_failures == 2
    assert due(stores, clock.now + 2 * HOUR) == [BENEFICIARY]  # doubled
    clock.advance(hours=2)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    assert recovery.run().activated == 1


@pytest.mark.usefixtures("overdue")
def test_a_beneficiary_failing_its_last_reread_is_parked_out_of_the_index(recovery, lean, stores, clock):
    stores.payment_sources.defer_recheck(IDENTITY, MAX_RECHECK_FAILURES - 1, clock.now - HOUR, clock.now)
    lean.fail_next("get_payment_source", LeanServerError("Lean API 503", http_status=503))
    outcome = recovery.run()
    assert (outcome.failed, outcome.parked) == (1, 1)
    assert due(stores, clock.now + 1000 * HOUR) == []
    parked = stores.table.get(f"CUSTOMER#{CUSTOMER}", f"PAYMENT_SOURCE#{SOURCE}#BENEFICIARY#{BENEFICIARY}")
    assert parked is not None and parked["recheck_parked_at"] == iso(clock.now)
    assert the_beneficiary(stores).recheck_failures == MAX_RECHECK_FAILURES


def test_the_limit_bounds_a_run(recovery, lean, stores, clock):
    for n in range(3):
        identity = BeneficiaryIdentity(CUSTOMER, SOURCE, f"b{n}")
        write = BeneficiaryWrite(identity, StatusDecision(AWAITING_COOL_OFF, True), "e", "created", clock.now - HOUR)
        stores.payment_sources.apply_beneficiary(write, clock.now - HOUR)
    assert recovery.run(limit=2).checked == 2
