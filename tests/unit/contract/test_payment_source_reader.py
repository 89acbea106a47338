"""PaymentSourceReader contract: a customer's payment sources with their beneficiaries nested, deleted ones left
out, accounts as DynamoDB gives them back."""

from __future__ import annotations

from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from tests.unit.contract.conftest import CUSTOMER, NOW, OTHER_CUSTOMER, SOURCE, Backend, identity, source, write

SECOND = "9e8d7c6b-5a49-4837-a625-140f0e0d0c0b"


def test_a_customer_without_anything_stored_has_no_payment_sources(backend: Backend):
    assert backend.payment_sources.list_for_customer(CUSTOMER) == []


def test_payment_sources_come_with_their_beneficiaries_and_accounts(backend: Backend):
    store = backend.payment_sources
    store.put_payment_source(source(balance=15000.0), NOW)
    store.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity("b1")), NOW)
    store.apply_beneficiary(write(ACTIVE, who=identity("b2")), NOW)
    (stored,) = store.list_for_customer(CUSTOMER)
    assert (stored.customer_id, stored.payment_source_id, stored.bank_identifier) == (CUSTOMER, SOURCE, "ENBD_UAE")
    assert (stored.fetched_at, stored.deleted_at) == (iso(NOW), None)
    assert stored.accounts == [
        {
            "id": "acc-1",
            "account_name": "CURRENT ACCOUNT",
            "account_number": "1015528812001",
            "iban": "AE340260001015528812001",
            "currency": "AED",
            "balance": 15000,
        }
    ]
    assert type(stored.accounts[0]["balance"]) is int  # a whole number comes back as an int (an API answer shows it)
    assert sorted((b.beneficiary_id, b.status) for b in stored.beneficiaries) == [
        ("b1", AWAITING_COOL_OFF),
        ("b2", ACTIVE),
    ]


def test_only_the_customers_own_payment_sources_are_listed(backend: Backend):
    store = backend.payment_sources
    store.put_payment_source(source(), NOW)
    store.put_payment_source(source(customer_id=OTHER_CUSTOMER, payment_source_id=SECOND), NOW)
    assert [s.payment_source_id for s in store.list_for_customer(CUSTOMER)] == [SOURCE]
    assert [s.payment_source_id for s in store.list_for_customer(OTHER_CUSTOMER)] == [SECOND]


def test_deleted_payment_sources_are_left_out(backend: Backend):
    store = backend.payment_sources
    store.put_payment_source(source(), NOW)
    store.put_payment_source(source(payment_source_id=SECOND), NOW)
    store.apply_beneficiary(write(ACTIVE, who=identity("b1", payment_source_id=SECOND)), NOW)
    store.mark_payment_source_deleted(CUSTOMER, SECOND, "USER_REQUESTED", NOW)
    assert [s.payment_source_id for s in store.list_for_customer(CUSTOMER)] == [SOURCE]


def test_a_beneficiary_stored_without_its_payment_source_is_shown_under_it(backend: Backend):
    store = backend.payment_sources
    store.apply_beneficiary(write(AWAITING_COOL_OFF, bank_identifier="RAK_UAE"), NOW)
    (stored,) = store.list_for_customer(CUSTOMER)
    assert (stored.payment_source_id, stored.bank_identifier, stored.accounts) == (SOURCE, "RAK_UAE", [])
    assert [b.status for b in stored.beneficiaries] == [AWAITING_COOL_OFF]
