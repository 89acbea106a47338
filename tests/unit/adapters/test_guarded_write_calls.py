"""The requests a guarded write makes (what it costs): an item known to be new is created in one transaction with
the erasure check, without first being refused as a write of an existing item; an item that exists after all
refuses that creation and takes the write meant for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from lean_webhooks.adapters.dynamodb.customer_records import DynamoCustomerRecords
from lean_webhooks.adapters.dynamodb.keys import customer_pk, push_sk
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.push_markers import DynamoPushMarkers
from lean_webhooks.adapters.dynamodb.table import Table, key
from lean_webhooks.models.push import Claim
from tests.unit.contract.conftest import BENEFICIARY, CUSTOMER, NOW, source

LEASE = timedelta(seconds=35)


@contextmanager
def requests_of(table: Table, dynamodb: Any) -> Iterator[list[str]]:
    """The DynamoDB operations sent through `dynamodb` while the block runs, in order (botocore's event hooks)."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    dynamodb.meta.events.register("before-call.dynamodb", record)
    try:
        yield sent
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb", record)


def test_a_push_claim_of_a_new_marker_is_one_transaction(aws):
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    with requests_of(table, dynamodb) as sent:
        claimed = DynamoPushMarkers(table).claim(CUSTOMER, BENEFICIARY, "phone", NOW, LEASE, read_at=NOW)
    assert claimed.claim is Claim.CLAIMED
    assert sent == ["TransactWriteItems"]


def test_a_reclaim_after_a_lost_lease_is_refused_as_a_creation_then_replaces_the_marker(aws):
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    markers = DynamoPushMarkers(table)
    first = markers.claim(CUSTOMER, BENEFICIARY, "phone", NOW, LEASE, read_at=NOW)
    with requests_of(table, dynamodb) as sent:
        again = markers.claim(CUSTOMER, BENEFICIARY, "phone", NOW + LEASE * 2, LEASE, read_at=NOW)
    assert again.claim is Claim.RECLAIMED and again.claim_id != first.claim_id
    assert sent == ["TransactWriteItems", "PutItem"]


def test_a_payment_source_read_as_absent_is_created_in_one_transaction(aws):
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    with requests_of(table, dynamodb) as sent:
        assert DynamoPaymentSources(table).put_payment_source(source(), NOW, read_at=NOW)
    assert sent == ["GetItem", "TransactWriteItems"]


def test_a_stored_payment_source_that_changed_is_updated_without_a_transaction(aws):
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    sources = DynamoPaymentSources(table)
    assert sources.put_payment_source(source(), NOW, read_at=NOW)
    later = NOW + timedelta(minutes=1)
    with requests_of(table, dynamodb) as sent:
        assert sources.put_payment_source(source(balance=1.0), later, read_at=later)
    assert "TransactWriteItems" not in sent and sent[-1] in ("UpdateItem", "PutItem")


def test_a_reclaim_while_the_customers_erasure_runs_is_the_creation_refused_by_its_marker_then_the_write(aws):
    """Both conditions of the creating transaction fail (the marker exists, the erasure runs): the marker's own
    refusal wins, and the claim is written as one of an existing item, which the erasure guard never refuses."""
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    markers = DynamoPushMarkers(table)
    first = markers.claim(CUSTOMER, BENEFICIARY, "phone", NOW, LEASE, read_at=NOW)
    DynamoCustomerRecords(table).begin_erasure(CUSTOMER, NOW + LEASE)
    with requests_of(table, dynamodb) as sent:
        again = markers.claim(CUSTOMER, BENEFICIARY, "phone", NOW + LEASE * 2, LEASE, read_at=NOW)
    assert again.claim is Claim.RECLAIMED and again.claim_id != first.claim_id
    assert sent == ["TransactWriteItems", "PutItem"]
    marker = table.get(key(customer_pk(CUSTOMER), push_sk(BENEFICIARY, "phone")))
    assert marker is not None and marker["claim_id"] == again.claim_id


def test_a_new_push_claim_carries_its_claim_id_as_the_transactions_client_token(aws):
    """A retried transaction that had succeeded then answers success, not "your own marker exists"."""
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    tokens: list[str | None] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        tokens.append(params.get("ClientRequestToken"))

    dynamodb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    try:
        claimed = DynamoPushMarkers(table).claim(CUSTOMER, BENEFICIARY, "phone", NOW, LEASE, read_at=NOW)
    finally:
        dynamodb.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", record)
    assert tokens == [claimed.claim_id]
