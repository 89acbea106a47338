"""core/sync.py: a beneficiary event read from Lean and stored under the write rules; `payment_source.updated`
re-syncs the whole payment source and removes what Lean stopped listing after the grace; 404 within and after the
grace; payment sources of another application or another id refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.domain_events import domain_events
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.core.sync import GONE_REASON, NOT_FOUND_GRACE, NOT_LISTED_REASON, PaymentSourceSync
from lean_webhooks.models.errors import LeanNotFound, LeanServerError, PermanentSyncError
from lean_webhooks.models.items import ItemKind
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, GONE, REMOVED
from lean_webhooks.models.timestamps import iso
from tests.core.builders import (
    BENEFICIARY,
    CUSTOMER,
    DESTINATION,
    OTHER_BENEFICIARY,
    OTHER_CUSTOMER,
    OTHER_SOURCE,
    SOURCE,
    beneficiary_event,
    lean_lists,
    updated_event,
)
from tests.support.fakes import APP_ID, FakeClock, InMemoryStores, ScriptedLean, lean_source


@pytest.fixture
def sync(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> PaymentSourceSync:
    return PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock)


def stored(stores: InMemoryStores) -> dict[str, str]:
    return {b.beneficiary_id: b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)}


def pushes(stores: InMemoryStores) -> int:
    return sum(is_push_worthy_activation(c.old, c.new) for c in stores.table.changes)


# ---------- beneficiary events ----------
def test_a_created_beneficiary_awaiting_its_cool_off_waits_in_the_recovery_index(sync, lean, stores, clock):
    expiry = clock.now + timedelta(hours=20)
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, expiry))
    outcome = sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    assert (outcome.status, outcome.cool_off_seen, outcome.beneficiary_written, outcome.beneficiary_in_api) == (
        AWAITING_COOL_OFF,
        True,
        True,
        True,
    )
    (ben,) = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)
    assert (ben.cool_off_expiry, ben.payment_destination_id) == (iso(expiry), DESTINATION)
    assert ben.bank_identifier == "ENBD_UAE"
    assert stores.payment_sources.awaiting_past_expiry(expiry - timedelta(seconds=1), 10) == []
    assert [b.beneficiary_id for b in stores.payment_sources.awaiting_past_expiry(expiry, 10)] == [BENEFICIARY]
    (source,) = stores.payment_sources.list_for_customer(CUSTOMER)
    assert source.fetched_at == iso(clock.now) and source.accounts[0]["currency"] == "AED"


def test_without_an_expiry_from_lean_the_cool_off_is_looked_at_again_after_a_day(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    assert stores.payment_sources.awaiting_past_expiry(clock.now + timedelta(hours=23), 10) == []
    assert len(stores.payment_sources.awaiting_past_expiry(clock.now + timedelta(hours=24), 10)) == 1


def test_created_then_updated_is_one_push_worthy_activation(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=20)))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    clock.advance(hours=20)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert outcome.status == ACTIVE and outcome.beneficiary_written
    assert stored(stores) == {BENEFICIARY: ACTIVE} and pushes(stores) == 1
    assert stores.payment_sources.awaiting_past_expiry(clock.now + timedelta(days=2), 10) == []


def test_an_update_to_active_that_came_first_is_pushed(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert outcome.cool_off_seen is True and pushes(stores) == 1
    late = sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now - timedelta(minutes=1)))
    assert (late.status, late.beneficiary_written) == (ACTIVE, False)  # the API's ACTIVE outranks it anyway
    assert stored(stores) == {BENEFICIARY: ACTIVE} and pushes(stores) == 1


def test_a_beneficiary_active_at_creation_is_not_pushed(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = sync.handle(beneficiary_event("created", ACTIVE, clock.now))
    assert (outcome.status, outcome.cool_off_seen) == (ACTIVE, False)
    assert pushes(stores) == 0


def test_a_late_awaiting_webhook_never_undoes_an_activation(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))  # a stale read as well
    outcome = sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    assert (outcome.status, outcome.beneficiary_written) == (AWAITING_COOL_OFF, False)  # decided, refused by the store
    assert stored(stores) == {BENEFICIARY: ACTIVE}


def test_duplicates_make_no_transition_after_the_first(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=1)))
    event = beneficiary_event("created", AWAITING_COOL_OFF, clock.now)
    for _ in range(3):
        sync.handle(event)
        clock.advance(seconds=10)
    transitions = [e.detail_type for change in stores.table.changes for e in domain_events(change)]
    assert transitions == ["Beneficiary Added"]
    assert stored(stores) == {BENEFICIARY: AWAITING_COOL_OFF}


def test_a_beneficiary_lean_does_not_list_yet_is_stored_with_the_webhooks_status(sync, lean, stores, clock):
    lean_lists(lean, (OTHER_BENEFICIARY, ACTIVE, None))
    outcome = sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    assert (outcome.status, outcome.beneficiary_in_api, outcome.beneficiary_written) == (AWAITING_COOL_OFF, False, True)
    assert stored(stores) == {BENEFICIARY: AWAITING_COOL_OFF}


def test_a_removed_beneficiary_is_revived_only_when_lean_lists_it(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    stores.payment_sources.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, NOT_LISTED_REASON, clock.now)
    lean_lists(lean)  # a late webhook while Lean lists nothing
    assert sync.handle(beneficiary_event("updated", ACTIVE, clock.now)).beneficiary_written is False
    assert stored(stores) == {BENEFICIARY: REMOVED}
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    assert sync.handle(beneficiary_event("updated", ACTIVE, clock.now)).beneficiary_written is True
    assert stored(stores) == {BENEFICIARY: ACTIVE}


def test_a_beneficiary_revived_by_a_read_is_neither_pushed_nor_announced_chargeable_again(sync, lean, stores, clock):
    """Activated after its cool-off (one push, one `Beneficiary Chargeable`), marked REMOVED by a re-sync that no
    longer lists it, listed again by a re-sync 40 days later (its push markers long expired): ACTIVE again, with
    nothing new to push or announce."""
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    activated_at = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)[0].activated_at
    clock.advance(minutes=20)
    lean_lists(lean)
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 1
    clock.advance(days=40)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(updated_event(clock.now))
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))  # and a late webhook saying the same
    (revived,) = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)
    assert (revived.status, revived.activated_at) == (ACTIVE, activated_at)
    transitions = [e.detail_type for change in stores.table.changes for e in domain_events(change)]
    assert transitions.count("Beneficiary Chargeable") == 1 and pushes(stores) == 1
    assert stores.payment_sources.unsettled_activations(clock.now - timedelta(days=1), clock.now, 10) == []


def test_a_beneficiary_removed_before_its_activation_is_activated_when_listed_again(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    clock.advance(minutes=20)
    lean_lists(lean)
    sync.handle(updated_event(clock.now))
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(updated_event(clock.now))
    transitions = [e.detail_type for change in stores.table.changes for e in domain_events(change)]
    assert transitions.count("Beneficiary Chargeable") == 1 and pushes(stores) == 1  # its first activation


# ---------- payment_source.updated ----------
def test_an_update_resyncs_every_beneficiary_lean_lists(sync, lean, stores, clock):
    expiry = clock.now + timedelta(hours=3)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None), (OTHER_BENEFICIARY, AWAITING_COOL_OFF, expiry))
    outcome = sync.handle(updated_event(clock.now))
    assert (outcome.status, outcome.beneficiaries_synced, outcome.beneficiaries_removed) == ("RESYNCED", 2, 0)
    assert stored(stores) == {BENEFICIARY: ACTIVE, OTHER_BENEFICIARY: AWAITING_COOL_OFF}
    assert pushes(stores) == 0  # Lean's status stands for a `created` webhook: ACTIVE at creation
    assert [b.beneficiary_id for b in stores.payment_sources.awaiting_past_expiry(expiry, 10)] == [OTHER_BENEFICIARY]


def test_a_beneficiary_lean_stopped_listing_is_removed_only_after_the_grace(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None), (OTHER_BENEFICIARY, ACTIVE, None))
    sync.handle(updated_event(clock.now))
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    clock.advance(seconds=NOT_FOUND_GRACE.total_seconds() - 1)
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 0  # Lean's API may lag
    clock.advance(seconds=1)
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 1
    assert stored(stores) == {BENEFICIARY: ACTIVE, OTHER_BENEFICIARY: REMOVED}
    (removed,) = [b for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE) if b.status == REMOVED]
    assert removed.status_reason == NOT_LISTED_REASON
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 0  # once


def test_the_removal_grace_runs_from_the_last_change_stored(sync, lean, stores, clock):
    """`updated_at` is written only with a change: a duplicate that changes nothing leaves the grace where the
    beneficiary's state was stored."""
    lean_lists(lean)  # Lean's API lags its webhook
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    stored_at = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)[0].updated_at
    clock.advance(minutes=10)
    assert sync.handle(beneficiary_event("updated", ACTIVE, clock.now)).beneficiary_written is False
    assert stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)[0].updated_at == stored_at
    clock.advance(seconds=NOT_FOUND_GRACE.total_seconds() - 600 - 1)
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 0
    clock.advance(seconds=1)
    assert sync.handle(updated_event(clock.now)).beneficiaries_removed == 1


# ---------- Lean's 404 ----------
def test_a_404_within_the_grace_is_retried_and_stores_nothing(sync, stores, clock):
    event = beneficiary_event("created", AWAITING_COOL_OFF, clock.now - NOT_FOUND_GRACE + timedelta(seconds=1))
    with pytest.raises(LeanNotFound):
        sync.handle(event)
    with pytest.raises(LeanNotFound):
        sync.handle(updated_event(clock.now))
    assert stores.table.items == {}


def test_a_404_after_the_grace_records_the_payment_source_gone(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    lean.remove(CUSTOMER, SOURCE)
    clock.advance(minutes=30)
    outcome = sync.handle(beneficiary_event("updated", ACTIVE, clock.now - NOT_FOUND_GRACE))
    assert outcome.status == GONE
    assert stored(stores) == {BENEFICIARY: DELETED}
    assert stores.payment_sources.list_for_customer(CUSTOMER) == []
    (item,) = [i for i in stores.customer_records.items_of(CUSTOMER) if i.kind is ItemKind.PAYMENT_SOURCE]
    assert item.deleted_at == iso(clock.now)
    assert stores.table.get(f"CUSTOMER#{CUSTOMER}", f"PAYMENT_SOURCE#{SOURCE}")["deleted_reason"] == GONE_REASON


def test_other_lean_failures_propagate_and_store_nothing(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    lean.fail_next("get_payment_source", LeanServerError("Lean API 503", http_status=503))
    with pytest.raises(LeanServerError):
        sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert stores.table.items == {}


# ---------- not ours ----------
def test_a_payment_source_of_another_application_is_refused_for_good(sync, lean, stores, clock):
    lean.put(lean_source(CUSTOMER, SOURCE, app_id="another-app"))
    with pytest.raises(PermanentSyncError) as refused:
        sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert refused.value.reason == "app_id_mismatch"
    assert stores.table.items == {}


def test_the_app_id_is_compared_trimmed_and_in_any_case(sync, lean, stores, clock):
    lean.put(lean_source(CUSTOMER, SOURCE, app_id=f"  {APP_ID.upper()} "))
    assert sync.handle(updated_event(clock.now)).status == "RESYNCED"


@pytest.mark.parametrize(("customer_id", "payment_source_id"), [(OTHER_CUSTOMER, SOURCE), (CUSTOMER, OTHER_SOURCE)])
def test_lean_answering_for_another_payment_source_is_refused_for_good(
    sync, lean, stores, clock, customer_id, payment_source_id
):
    lean.put(lean_source(customer_id, payment_source_id), customer_id=CUSTOMER, payment_source_id=SOURCE)
    with pytest.raises(PermanentSyncError) as refused:
        sync.handle(updated_event(clock.now))
    assert refused.value.reason == "id_mismatch"
    assert stores.table.items == {}


def test_an_activation_a_refresh_stored_first_is_pushed_once_when_the_updated_webhook_follows(
    sync, lean, stores, clock
):
    """The refresh sees the beneficiary ACTIVE before any webhook arrived (it cannot tell a cool-off happened);
    Lean's `beneficiary.updated` that follows says one did: one push-worthy activation, whatever comes after."""
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.store_whole(lean.get_payment_source(CUSTOMER, SOURCE), "refresh:1", "refresh", clock.now)
    assert stored(stores) == {BENEFICIARY: ACTIVE} and pushes(stores) == 0
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert pushes(stores) == 1
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))  # another delivery, another event
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))  # a late created
    assert pushes(stores) == 1 and stored(stores) == {BENEFICIARY: ACTIVE}
