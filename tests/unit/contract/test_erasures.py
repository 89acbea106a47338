"""The erasure guard, on both backends: a write given `read_at` (when the Lean read it stores began) never creates
an item of a customer whose erasure is under way, or finished after `read_at`; it raises `CustomerErased` and
writes nothing. Writes of reads made after the erasure finished are served normally; writes to items that exist
are not refused (the erasure deletes every item after writing its record, and a deleted item cannot come back);
writes given no `read_at` (the erasure's own) are not guarded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lean_webhooks.models.errors import CustomerErased
from lean_webhooks.models.push import Claim
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED
from tests.unit.contract.conftest import BENEFICIARY, CUSTOMER, NOW, OTHER_CUSTOMER, SOURCE, Backend, source, write

BEFORE, LATER = NOW - timedelta(seconds=1), NOW + timedelta(minutes=5)
LEASE = timedelta(seconds=35)


def creations(backend: Backend) -> dict[str, Callable[..., object]]:
    """Every guarded write that creates an item of CUSTOMER, given `read_at`."""
    stores = backend
    return {
        "payment_source": lambda at: stores.payment_sources.put_payment_source(source(), at, read_at=at),
        "beneficiary": lambda at: stores.payment_sources.apply_beneficiary(write(AWAITING_COOL_OFF), at, read_at=at),
        "deleted_record": lambda at: stores.payment_sources.mark_payment_source_deleted(
            CUSTOMER, SOURCE, "lean_not_found", at, read_at=at
        ),
        "push_claim": lambda at: stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", at, LEASE, read_at=at),
        "refresh_claim": lambda at: stores.refresh_markers.claim(CUSTOMER, at, timedelta(seconds=10)),
    }


WRITES = ["payment_source", "beneficiary", "deleted_record", "push_claim", "refresh_claim"]


@pytest.mark.parametrize("name", WRITES)
def test_nothing_is_created_while_an_erasure_is_under_way(backend: Backend, name: str):
    backend.customer_records.begin_erasure(CUSTOMER, NOW)
    with pytest.raises(CustomerErased):
        creations(backend)[name](LATER)
    assert [i.kind.name for i in backend.customer_records.items_of(CUSTOMER)] == ["ERASURE"]


@pytest.mark.parametrize("name", WRITES)
def test_a_read_made_before_the_erasure_finished_creates_nothing_after_it(backend: Backend, name: str):
    erasure_id = backend.customer_records.begin_erasure(CUSTOMER, NOW)
    backend.customer_records.complete_erasure(CUSTOMER, erasure_id, NOW + timedelta(seconds=2))
    with pytest.raises(CustomerErased):
        creations(backend)[name](NOW + timedelta(seconds=1))  # the push and refresh claims: `now` is their read
    assert [i.kind.name for i in backend.customer_records.items_of(CUSTOMER)] == ["ERASURE"]


@pytest.mark.parametrize("name", WRITES)
def test_what_lean_says_after_the_erasure_is_served_normally(backend: Backend, name: str):
    erasure_id = backend.customer_records.begin_erasure(CUSTOMER, NOW)
    backend.customer_records.complete_erasure(CUSTOMER, erasure_id, NOW + timedelta(seconds=2))
    with pytest.raises(CustomerErased):
        creations(backend)[name](NOW + timedelta(seconds=2))  # the same instant: taken as before the end
    creations(backend)[name](NOW + timedelta(seconds=2, microseconds=1))
    assert len(backend.customer_records.items_of(CUSTOMER)) == 2


@pytest.mark.parametrize("name", WRITES)
def test_another_customer_and_a_customer_never_erased_are_not_refused(backend: Backend, name: str):
    backend.customer_records.begin_erasure(OTHER_CUSTOMER, NOW)
    creations(backend)[name](BEFORE)
    assert len(backend.customer_records.items_of(CUSTOMER)) == 1


def test_an_item_that_exists_takes_its_update_while_the_erasure_runs(backend: Backend):
    """The erasure deletes it after writing its record: the update changes nothing the erasure leaves."""
    stores = backend.payment_sources
    stores.apply_beneficiary(write(AWAITING_COOL_OFF), BEFORE, read_at=BEFORE)
    backend.customer_records.begin_erasure(CUSTOMER, NOW)
    assert stores.apply_beneficiary(write(ACTIVE, cool_off_seen=True), LATER, read_at=BEFORE) is True
    assert stores.beneficiaries_of(CUSTOMER, SOURCE)[0].status == ACTIVE


def test_a_push_marker_that_exists_is_claimed_as_it_would_be_while_the_erasure_runs(backend: Backend):
    """A claim is created first (a marker is most often new): one that finds its marker takes it or reads it as it
    would with no erasure, on both backends."""
    markers = backend.push_markers
    first = markers.claim(CUSTOMER, BENEFICIARY, "phone", BEFORE, LEASE, read_at=BEFORE)
    tablet = markers.claim(CUSTOMER, BENEFICIARY, "tablet", BEFORE, LEASE, read_at=BEFORE)
    assert markers.sent(CUSTOMER, BENEFICIARY, "tablet", tablet.claim_id, BEFORE)
    backend.customer_records.begin_erasure(CUSTOMER, NOW)
    again = markers.claim(CUSTOMER, BENEFICIARY, "phone", BEFORE + LEASE * 2, LEASE, read_at=BEFORE)
    assert again.claim is Claim.RECLAIMED and again.claim_id != first.claim_id
    assert markers.claim(CUSTOMER, BENEFICIARY, "tablet", NOW, LEASE, read_at=BEFORE).claim is Claim.SENT


def test_an_item_the_erasure_deleted_never_comes_back(backend: Backend):
    stores = backend.payment_sources
    stores.put_payment_source(source(), BEFORE, read_at=BEFORE)
    stores.apply_beneficiary(write(AWAITING_COOL_OFF), BEFORE, read_at=BEFORE)
    erasure_id = backend.customer_records.begin_erasure(CUSTOMER, NOW)
    for item in backend.customer_records.items_of(CUSTOMER):
        if item.kind.name != "ERASURE":
            backend.customer_records.delete(item)
    backend.customer_records.complete_erasure(CUSTOMER, erasure_id, LATER)
    for create in creations(backend).values():
        with pytest.raises(CustomerErased):
            create(BEFORE)
    assert stores.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, DELETED, "x", LATER) is False  # update-only
    assert [i.kind.name for i in backend.customer_records.items_of(CUSTOMER)] == ["ERASURE"]


def test_the_erasures_own_mark_shows_an_existing_payment_source_deleted_and_creates_none(backend: Backend):
    stores = backend.payment_sources
    stores.put_payment_source(source(), BEFORE, read_at=BEFORE)
    stores.apply_beneficiary(write(ACTIVE), BEFORE, read_at=BEFORE)
    backend.customer_records.begin_erasure(CUSTOMER, NOW)
    assert stores.mark_payment_source_deleted(CUSTOMER, SOURCE, "customer_erasure", NOW, read_at=NOW) == 1
    assert stores.list_for_customer(CUSTOMER) == []
    with pytest.raises(CustomerErased):
        stores.mark_payment_source_deleted(CUSTOMER, "never-stored", "customer_erasure", NOW, read_at=NOW)


def test_a_write_without_a_read_time_is_not_guarded(backend: Backend):
    backend.customer_records.begin_erasure(CUSTOMER, NOW)
    assert backend.payment_sources.put_payment_source(source(), LATER) is True
