"""SyncWrites contract: the write rules of payment sources and beneficiaries (a stored status never goes back but by
an explicit removal or deletion; DELETED is final; REMOVED is revived only by a read that lists the beneficiary)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.models.items import ItemKind
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED
from lean_webhooks.models.timestamps import iso
from tests.unit.contract.conftest import (
    BENEFICIARY,
    CUSTOMER,
    NOW,
    SOURCE,
    Backend,
    identity,
    source,
    write,
)

LATER = NOW + timedelta(minutes=5)


def status_of(backend: Backend, beneficiary_id: str = BENEFICIARY) -> str | None:
    stored = {b.beneficiary_id: b for b in backend.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)}
    return stored[beneficiary_id].status if beneficiary_id in stored else None


def the_beneficiary(backend: Backend):
    (only,) = backend.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)
    return only


# ---------- payment sources ----------
def test_a_payment_source_is_stored_once_per_content(backend: Backend):
    store = backend.payment_sources
    assert store.put_payment_source(source(), NOW) is True
    assert store.put_payment_source(source(), LATER) is False  # unchanged content: not rewritten
    (stored,) = store.list_for_customer(CUSTOMER)
    assert stored.fetched_at == iso(NOW)
    assert store.put_payment_source(source(balance=10.0), LATER) is True
    (stored,) = store.list_for_customer(CUSTOMER)
    assert stored.fetched_at == iso(LATER) and stored.accounts[0]["balance"] == 10


def test_a_payment_source_is_never_written_over_a_newer_read(backend: Backend):
    store = backend.payment_sources
    assert store.put_payment_source(source(balance=2.5), LATER) is True
    assert store.put_payment_source(source(balance=1.5), NOW) is False
    (stored,) = store.list_for_customer(CUSTOMER)
    assert stored.accounts[0]["balance"] == 2.5 and stored.fetched_at == iso(LATER)


def test_a_deleted_payment_source_is_never_written_again(backend: Backend):
    store = backend.payment_sources
    store.put_payment_source(source(), NOW)
    store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", NOW)
    assert store.put_payment_source(source(balance=99.5), LATER) is False
    assert store.list_for_customer(CUSTOMER) == []


def test_deleting_a_payment_source_never_stored_records_it_deleted(backend: Backend):
    store = backend.payment_sources
    assert store.mark_payment_source_deleted(CUSTOMER, SOURCE, "lean_not_found", NOW) == 0
    (item,) = backend.customer_records.items_of(CUSTOMER)
    assert (item.kind, item.payment_source_id, item.deleted_at) == (ItemKind.PAYMENT_SOURCE, SOURCE, iso(NOW))
    assert store.put_payment_source(source(), LATER) is False  # a later read never resurrects it


def test_a_deletion_keeps_its_first_time_and_reason_and_marks_each_beneficiary_once(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF), NOW)
    store.apply_beneficiary(write(ACTIVE, who=identity("b2")), NOW)
    store.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity("b3", payment_source_id="other")), NOW)
    assert store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", NOW) == 2
    assert store.mark_payment_source_deleted(CUSTOMER, SOURCE, "lean_not_found", LATER) == 0
    deleted = [i for i in backend.customer_records.items_of(CUSTOMER) if i.kind is ItemKind.PAYMENT_SOURCE]
    assert [(i.payment_source_id, i.deleted_at) for i in deleted] == [(SOURCE, iso(NOW))]
    assert {b.status for b in store.beneficiaries_of(CUSTOMER, SOURCE)} == {DELETED}
    assert {b.status_reason for b in store.beneficiaries_of(CUSTOMER, SOURCE)} == {"USER_REQUESTED"}
    assert [b.status for b in store.beneficiaries_of(CUSTOMER, "other")] == [AWAITING_COOL_OFF]


# ---------- beneficiaries ----------
def test_a_beneficiary_write_stores_what_the_sync_decided(backend: Backend):
    expiry = NOW + timedelta(hours=20)
    assert backend.payment_sources.apply_beneficiary(
        write(
            AWAITING_COOL_OFF,
            cool_off_expiry=expiry,
            payment_destination_id="dest-1",
            bank_identifier="ENBD_UAE",
        ),
        NOW,
    )
    ben = the_beneficiary(backend)
    assert (ben.customer_id, ben.payment_source_id, ben.beneficiary_id) == (CUSTOMER, SOURCE, BENEFICIARY)
    assert (ben.status, ben.cool_off_seen, ben.cool_off_expiry) == (AWAITING_COOL_OFF, True, iso(expiry))
    assert (ben.payment_destination_id, ben.bank_identifier, ben.updated_at) == ("dest-1", "ENBD_UAE", iso(NOW))
    assert ben.activated_at is None


def test_optional_fields_a_later_write_lacks_are_kept(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, payment_destination_id="dest-1", bank_identifier="ENBD_UAE"), NOW)
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), LATER)
    ben = the_beneficiary(backend)
    assert (ben.payment_destination_id, ben.bank_identifier) == ("dest-1", "ENBD_UAE")
    assert (ben.status, ben.activated_at, ben.updated_at) == (ACTIVE, iso(LATER), iso(LATER))


def test_active_never_regresses(backend: Backend):
    store = backend.payment_sources
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), NOW) is True
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF), LATER) is False  # a late AWAITING webhook
    assert store.apply_beneficiary(write("SUSPENDED_BY_BANK"), LATER) is False
    assert store.apply_beneficiary(write(ACTIVE, event_id="duplicate"), LATER) is False  # a duplicate: no rewrite
    ben = the_beneficiary(backend)
    assert (ben.status, ben.activated_at) == (ACTIVE, iso(NOW))


def test_unknown_statuses_are_stored_as_sent_and_are_not_final(backend: Backend):
    store = backend.payment_sources
    assert store.apply_beneficiary(write("SUSPENDED_BY_BANK"), NOW) is True
    assert status_of(backend) == "SUSPENDED_BY_BANK"
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF), LATER) is True
    assert status_of(backend) == AWAITING_COOL_OFF


def test_deleted_is_final(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF), NOW)
    store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", NOW)
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), LATER) is False
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF), LATER) is False
    assert store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", LATER) is False
    assert status_of(backend) == DELETED


def test_deleted_is_final_for_a_beneficiary_that_was_active(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), NOW)
    store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", NOW)
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), LATER) is False  # a read listing it: no revival
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), LATER) is False
    assert status_of(backend) == DELETED


def test_removal_is_the_one_way_back_from_active(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=True), NOW)
    assert store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", LATER) is True
    ben = the_beneficiary(backend)
    assert (ben.status, ben.status_reason, ben.updated_at) == (REMOVED, "not_listed_by_lean", iso(LATER))
    assert store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "again", LATER) is False  # no change


def test_a_removed_beneficiary_is_revived_only_by_a_read_that_lists_it(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF), NOW)
    store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", NOW)
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True, seen_in_api=False), LATER) is False
    assert status_of(backend) == REMOVED
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True, seen_in_api=True), LATER) is True
    assert status_of(backend) == ACTIVE


def test_marking_a_beneficiary_never_stored_changes_nothing(backend: Backend):
    store = backend.payment_sources
    assert store.mark_beneficiary(CUSTOMER, SOURCE, BENEFICIARY, REMOVED, "not_listed_by_lean", NOW) is False
    assert store.beneficiaries_of(CUSTOMER, SOURCE) == []


def test_a_cool_off_seen_while_awaiting_is_kept_by_the_activation(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF), NOW)
    assert the_beneficiary(backend).cool_off_seen is True
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), LATER)  # a `created` ACTIVE after the AWAITING
    assert the_beneficiary(backend).cool_off_seen is True


def test_an_activation_records_the_events_evidence_of_a_cool_off(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW)  # ACTIVE at creation: no push
    store.apply_beneficiary(write(ACTIVE, cool_off_seen=True, who=identity("b2")), NOW)  # `updated` came first
    seen = {b.beneficiary_id: b.cool_off_seen for b in store.beneficiaries_of(CUSTOMER, SOURCE)}
    assert seen == {BENEFICIARY: False, "b2": True}


def test_a_fresh_write_ends_the_recovery_back_off(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF), NOW)
    store.defer_recheck(identity(), 3, NOW + timedelta(hours=4), NOW)
    assert the_beneficiary(backend).recheck_failures == 3
    store.apply_beneficiary(write(AWAITING_COOL_OFF), LATER)
    assert the_beneficiary(backend).recheck_failures == 0


def test_beneficiaries_of_lists_one_payment_source_only(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity("b2")), NOW)
    store.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity("b1")), NOW)
    store.apply_beneficiary(write(ACTIVE, who=identity("b3", payment_source_id=SOURCE + "0")), NOW)  # id prefix
    store.apply_beneficiary(write(ACTIVE, who=identity("b4", customer_id="someone-else")), NOW)
    store.put_payment_source(source(), NOW)
    assert [b.beneficiary_id for b in store.beneficiaries_of(CUSTOMER, SOURCE)] == ["b1", "b2"]


def test_an_active_beneficiary_stored_without_cool_off_evidence_takes_it_once_and_enters_the_activations(
    backend: Backend,
):
    """A refresh (or a re-sync) saw it ACTIVE first: no evidence of a cool-off, taken as active at creation. A
    `beneficiary.updated` (or an AWAITING read) since says the customer did wait: that evidence is written, once,
    and the activation is indexed for the push reconciliation."""
    store = backend.payment_sources
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), NOW) is True
    assert the_beneficiary(backend).cool_off_seen is False
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=False), LATER) is False  # no evidence: refused
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True, event_id="updated"), LATER) is True
    ben = the_beneficiary(backend)
    assert ben.status == ACTIVE and ben.cool_off_seen is True and ben.activated_at == iso(LATER)
    assert [b.beneficiary_id for b in store.unsettled_activations(LATER, LATER, 10)] == [BENEFICIARY]
    assert store.apply_beneficiary(write(ACTIVE, cool_off_seen=True, event_id="again"), LATER) is False  # once
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF), LATER) is False  # and never back


# ---------- writes that change nothing ----------
AWAITING_AS_READ = {
    "cool_off_expiry": NOW + timedelta(hours=20),
    "recheck_at": NOW + timedelta(hours=20),
    "payment_destination_id": "dest-1",
    "bank_identifier": "ENBD_UAE",
}


def test_a_write_that_changes_nothing_stored_is_not_made(backend: Backend):
    """A refresh stored the beneficiary; the `beneficiary.created` sync that follows decides the same state: its
    write is refused, and the audit fields keep the write that made the state."""
    store = backend.payment_sources
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF, event_id="refresh", **AWAITING_AS_READ), NOW) is True
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF, event_id="created", **AWAITING_AS_READ), LATER) is False
    assert store.apply_beneficiary(write("SUSPENDED_BY_BANK", who=identity("b2")), NOW) is True
    assert store.apply_beneficiary(write("SUSPENDED_BY_BANK", who=identity("b2")), LATER) is False
    assert {b.beneficiary_id: b.updated_at for b in store.beneficiaries_of(CUSTOMER, SOURCE)} == {
        BENEFICIARY: iso(NOW),
        "b2": iso(NOW),
    }
    store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", NOW)
    assert store.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", LATER) == 0


@pytest.mark.parametrize(
    "changed",
    [
        {"cool_off_expiry": NOW + timedelta(hours=21)},
        {"recheck_at": NOW + timedelta(hours=1)},  # the recovery's re-read moves it in the index
        {"payment_destination_id": "dest-2"},
        {"bank_identifier": "OTHER_BANK"},
    ],
)
def test_a_write_that_changes_one_stored_fact_is_made(backend: Backend, changed):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, **AWAITING_AS_READ), NOW)
    assert store.apply_beneficiary(write(AWAITING_COOL_OFF, **{**AWAITING_AS_READ, **changed}), LATER) is True
    assert the_beneficiary(backend).updated_at == iso(LATER)
