"""core/deletion.py: a payment source deleted at the customer's request, at Lean first (within the deadline), then
here (not chargeable, out of the indexes, left out of what the app reads); nothing changes here when Lean fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.deletion import USER_REQUESTED, PaymentSourceDeletion
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.errors import LeanAuthError, LeanServerError
from lean_webhooks.models.items import ItemKind
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED
from tests.core.builders import BENEFICIARY, CUSTOMER, OTHER_BENEFICIARY, SOURCE, lean_lists
from tests.support.fakes import APP_ID, FakeClock, InMemoryStores, ScriptedLean

DEADLINE_S = 20.0


@pytest.fixture
def deletion(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> PaymentSourceDeletion:
    return PaymentSourceDeletion(lean, stores.payment_sources, DEADLINE_S, clock)


@pytest.fixture
def stored(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> None:
    """A payment source with an active beneficiary and one awaiting its cool-off."""
    lean_lists(lean, (BENEFICIARY, ACTIVE, None), (OTHER_BENEFICIARY, AWAITING_COOL_OFF, clock.now))
    PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock).store_whole(
        lean.get_payment_source(CUSTOMER, SOURCE), "e1", "payment_source.updated", clock.now
    )


@pytest.mark.usefixtures("stored")
def test_a_deletion_goes_to_lean_first_then_marks_everything_here(deletion, lean, stores, clock):
    outcome = deletion.delete(CUSTOMER, SOURCE)
    assert (outcome.deleted_at_lean_now, outcome.beneficiaries) == (True, 2)
    assert lean.calls_of("delete_payment_source") == [("delete_payment_source", CUSTOMER, SOURCE)]
    assert lean.budgets == [DEADLINE_S]
    assert {b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)} == {DELETED}
    assert stores.payment_sources.list_for_customer(CUSTOMER) == []
    assert stores.payment_sources.awaiting_past_expiry(clock.now + timedelta(days=10), 10) == []
    item = stores.table.get(f"CUSTOMER#{CUSTOMER}", f"PAYMENT_SOURCE#{SOURCE}")
    assert item is not None and item["deleted_reason"] == USER_REQUESTED


@pytest.mark.usefixtures("stored")
def test_a_payment_source_lean_no_longer_knows_is_deleted_here_all_the_same(deletion, lean, stores):
    lean.remove(CUSTOMER, SOURCE)
    outcome = deletion.delete(CUSTOMER, SOURCE)
    assert (outcome.deleted_at_lean_now, outcome.beneficiaries) == (False, 2)
    assert stores.payment_sources.list_for_customer(CUSTOMER) == []


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("error", [LeanServerError("503", http_status=503), LeanAuthError("403", http_status=403)])
def test_nothing_changes_here_when_lean_fails_or_refuses(deletion, lean, stores, error):
    before = {k: dict(v) for k, v in stores.table.items.items()}
    lean.fail_next("delete_payment_source", error)
    with pytest.raises(type(error)):
        deletion.delete(CUSTOMER, SOURCE)
    assert stores.table.items == before


@pytest.mark.usefixtures("stored")
def test_deleting_twice_changes_nothing_more(deletion, stores):
    deletion.delete(CUSTOMER, SOURCE)
    changes = len(stores.table.changes)
    again = deletion.delete(CUSTOMER, SOURCE)
    assert (again.deleted_at_lean_now, again.beneficiaries) == (False, 0)
    assert len(stores.table.changes) == changes


def test_a_payment_source_never_stored_here_is_recorded_deleted(deletion, lean, stores):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = deletion.delete(CUSTOMER, SOURCE)
    assert (outcome.deleted_at_lean_now, outcome.beneficiaries) == (True, 0)
    (item,) = stores.customer_records.items_of(CUSTOMER)
    assert item.kind is ItemKind.PAYMENT_SOURCE and item.deleted_at is not None
