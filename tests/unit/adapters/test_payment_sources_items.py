"""Exactly what the store writes: the attributes readers rely on (the read API, the recovery and reconciliation
indexes, the push filter), beyond the status rules themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lean_webhooks.adapters.dynamodb.keys import beneficiary_sk, customer_pk, payment_source_sk
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table, from_item, key
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from local.aws.resources import local_app_id
from local.harness import samples

NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
EXPIRY = NOW + timedelta(hours=20)


def store_of(aws) -> DynamoPaymentSources:
    return DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))


def raw(aws, pk: str, sk: str) -> dict:
    item = aws["clients"]["dynamodb"].get_item(TableName=aws["refs"]["Table"], Key=key(pk, sk), ConsistentRead=True)
    return from_item(item["Item"])


def item_key(identity: BeneficiaryIdentity) -> tuple[str, str]:
    """The (pk, sk) of a beneficiary's item."""
    return customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id)


def new_beneficiary() -> tuple[BeneficiaryIdentity, str, str]:
    """A fresh beneficiary's identity, with its item's key (pk, sk)."""
    flow = samples.ids()
    identity = BeneficiaryIdentity(flow["customer_id"], flow["payment_source_id"], flow["beneficiary_id"])
    return identity, *item_key(identity)


def write(identity, status, **extra) -> BeneficiaryWrite:
    return BeneficiaryWrite(
        identity=identity,
        decision=StatusDecision(status=status, cool_off_seen=status == AWAITING_COOL_OFF),
        event_id="e-" + status,
        event_type="payment_source.beneficiary.updated",
        recheck_at=extra.pop("recheck_at", EXPIRY),
        **extra,
    )


def test_the_payment_source_item_holds_lean_s_fields_and_no_empty_ones(aws):
    flow = samples.ids()
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    store_of(aws).put_payment_source(LeanPaymentSource.model_validate(data), NOW)
    item = raw(aws, customer_pk(flow["customer_id"]), payment_source_sk(flow["payment_source_id"]))
    assert item["app_id"] == local_app_id().upper() and item["bank_identifier"] == "ENBD_UAE"
    [account] = item["accounts"]
    assert account["iban"] == "AE340260001015528812001" and account["balance"] == 15000.5
    assert "balance_last_updated" not in account  # None in Lean's answer: not stored as an empty value
    assert item["fetched_at"] == iso(NOW) and len(item["content_hash"]) == 64


def test_a_changed_app_or_bank_is_rewritten(aws):
    flow = samples.ids()
    store = store_of(aws)
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW) is True
    data["bank_identifier"] = "ADCB_UAE"
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW + timedelta(seconds=1)) is True
    data["app_id"] = "YOUR_APP_ID"
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW + timedelta(seconds=2)) is True
    item = raw(aws, customer_pk(flow["customer_id"]), payment_source_sk(flow["payment_source_id"]))
    assert (item["bank_identifier"], item["app_id"]) == ("ADCB_UAE", "YOUR_APP_ID")


def test_a_deleted_payment_source_is_not_even_tried_again(aws):
    flow = samples.ids()
    store_of(aws).mark_payment_source_deleted(flow["customer_id"], flow["payment_source_id"], "test", NOW)
    recording = Recording(aws["clients"]["dynamodb"])
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], recording))
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW) is False
    assert "put_item" not in recording.calls  # a write whose condition fails is still billed


def test_an_unchanged_payment_source_is_checked_with_an_eventually_consistent_read(aws):
    """Half a read unit: a stale answer only costs a rewrite that changes nothing (the write's condition keeps
    the newer read)."""
    flow = samples.ids()
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    recording = Recording(aws["clients"]["dynamodb"])
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], recording))
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW) is True
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), NOW + timedelta(seconds=1)) is False
    assert recording.reads and all(read["ConsistentRead"] is False for read in recording.reads)


def test_awaiting_then_active_moves_the_beneficiary_between_the_indexes(aws):
    store = store_of(aws)
    identity, pk, sk = new_beneficiary()
    awaiting = write(
        identity, AWAITING_COOL_OFF, cool_off_expiry=EXPIRY, payment_destination_id="d-1", bank_identifier="ENBD_UAE"
    )
    assert store.apply_beneficiary(awaiting, NOW) is True
    item = raw(aws, pk, sk)
    assert (item["gsi1pk"], item["gsi1sk"]) == ("AWAITING_COOL_OFF", iso(EXPIRY))
    assert item["cool_off_expiry"] == iso(EXPIRY) and item["cool_off_seen"] is True
    assert (item["payment_destination_id"], item["bank_identifier"]) == ("d-1", "ENBD_UAE")
    assert "gsi2pk" not in item

    assert store.defer_recheck(identity, 3, NOW + timedelta(hours=4), NOW) is True  # a failed recovery re-read
    item = raw(aws, pk, sk)
    assert item["recheck_failures"] == 3 and item["gsi1sk"] == iso(NOW + timedelta(hours=4))  # still indexed

    later = NOW + timedelta(hours=1)  # the next UTC day: the activations index is partitioned by day
    assert store.apply_beneficiary(write(identity, ACTIVE, recheck_at=None), later) is True
    item = raw(aws, pk, sk)
    assert item["status"] == ACTIVE and item["cool_off_seen"] is True  # kept from the awaiting write
    assert "gsi1pk" not in item and "gsi1sk" not in item  # out of the recovery index
    assert "recheck_failures" not in item and "recheck_parked_at" not in item  # a fresh read ends the backoff
    assert (item["gsi2pk"], item["gsi2sk"]) == ("ACTIVATED#2026-11-26", iso(later))
    assert item["activated_at"] == iso(later)
    assert (item["payment_destination_id"], item["bank_identifier"]) == ("d-1", "ENBD_UAE")  # not cleared


def test_an_unknown_status_is_stored_as_is_outside_both_indexes(aws):
    store = store_of(aws)
    identity, pk, sk = new_beneficiary()
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF), NOW)
    assert store.defer_recheck(identity, 2, NOW + timedelta(hours=2), NOW) is True  # backed off, still indexed
    assert {"gsi1pk", "gsi1sk"} <= set(raw(aws, pk, sk))
    assert store.apply_beneficiary(write(identity, "SUSPENDED", recheck_at=EXPIRY), NOW) is True
    item = raw(aws, pk, sk)
    assert item["status"] == "SUSPENDED"
    assert not {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"} & set(item)
    assert "recheck_failures" not in item  # a fresh read ends the backoff


def test_a_parked_beneficiary_leaves_the_backoff_on_its_next_fresh_read(aws):
    store = store_of(aws)
    identity, pk, sk = new_beneficiary()
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF), NOW)
    assert store.defer_recheck(identity, 8, None, NOW) is True  # parked after failed re-reads: out of the index
    item = raw(aws, pk, sk)
    assert item["recheck_parked_at"] == iso(NOW) and "gsi1pk" not in item
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF), NOW + timedelta(minutes=1))  # Lean answered again
    item = raw(aws, pk, sk)
    assert "recheck_parked_at" not in item and "recheck_failures" not in item and item["gsi1pk"] == "AWAITING_COOL_OFF"


def test_awaiting_without_a_recheck_time_stays_out_of_the_recovery_index(aws):
    store = store_of(aws)
    identity, pk, sk = new_beneficiary()
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF, recheck_at=None), NOW)
    item = raw(aws, pk, sk)
    assert item["status"] == AWAITING_COOL_OFF and "gsi1pk" not in item and "cool_off_expiry" not in item


def test_an_account_s_balance_time_is_stored_as_text(aws):
    flow = samples.ids()
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    data["accounts"][0]["balance_last_updated"] = "2026-11-25T10:00:00.5Z"
    store_of(aws).put_payment_source(LeanPaymentSource.model_validate(data), NOW)
    item = raw(aws, customer_pk(flow["customer_id"]), payment_source_sk(flow["payment_source_id"]))
    assert item["accounts"][0]["balance_last_updated"].startswith("2026-11-25T10:00:00.5")


def test_a_beneficiary_stored_before_its_payment_source_is_listed_under_it(aws):
    """A failed payment-source put (or a stale read skipped) must not hide the beneficiary from the read API."""
    flow = samples.ids()
    store = store_of(aws)
    identity = BeneficiaryIdentity(flow["customer_id"], flow["payment_source_id"], flow["beneficiary_id"])
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF, bank_identifier="ENBD_UAE"), NOW)
    [source] = store.list_for_customer(flow["customer_id"])
    assert (source.payment_source_id, source.bank_identifier) == (flow["payment_source_id"], "ENBD_UAE")
    assert [b.beneficiary_id for b in source.beneficiaries] == [flow["beneficiary_id"]]


def activate(store, at: datetime) -> BeneficiaryIdentity:
    identity, _, _ = new_beneficiary()
    store.apply_beneficiary(write(identity, AWAITING_COOL_OFF), at - timedelta(hours=1))
    store.apply_beneficiary(write(identity, ACTIVE, recheck_at=None), at)
    return identity


def test_unsettled_activations_span_utc_days_within_the_window_up_to_the_limit(aws):
    store = store_of(aws)
    day_one = activate(store, NOW)  # 23:30 on the 25th
    day_two = activate(store, NOW + timedelta(hours=1))  # 00:30 on the 26th
    settled = activate(store, NOW + timedelta(minutes=40))
    store.settle_activation(settled, NOW + timedelta(minutes=50))
    too_early = activate(store, NOW - timedelta(hours=3))
    too_late = activate(store, NOW + timedelta(hours=3))
    since, until = NOW - timedelta(minutes=30), NOW + timedelta(hours=2)
    found = {b.beneficiary_id for b in store.unsettled_activations(since, until, 10)}
    assert found == {day_one.beneficiary_id, day_two.beneficiary_id}
    assert too_early.beneficiary_id not in found and too_late.beneficiary_id not in found
    assert [b.beneficiary_id for b in store.unsettled_activations(since, until, limit=1)] == [day_one.beneficiary_id]
    two_days = store.unsettled_activations(NOW - timedelta(days=1), NOW + timedelta(days=1), limit=2)
    assert len(two_days) == 2


def test_awaiting_past_expiry_finds_only_what_is_due_up_to_the_limit(aws):
    store = store_of(aws)
    due = []
    for hours in (1, 2, 3):
        flow = samples.ids()
        identity = BeneficiaryIdentity(flow["customer_id"], flow["payment_source_id"], flow["beneficiary_id"])
        store.apply_beneficiary(write(identity, AWAITING_COOL_OFF, recheck_at=NOW - timedelta(hours=hours)), NOW)
        due.append(identity.beneficiary_id)
    flow = samples.ids()
    later = BeneficiaryIdentity(flow["customer_id"], flow["payment_source_id"], flow["beneficiary_id"])
    store.apply_beneficiary(write(later, AWAITING_COOL_OFF, recheck_at=NOW + timedelta(minutes=1)), NOW)
    assert {b.beneficiary_id for b in store.awaiting_past_expiry(NOW, 10)} == set(due)
    assert [b.beneficiary_id for b in store.awaiting_past_expiry(NOW, limit=2)] == [due[2], due[1]]  # oldest first


class Recording:
    """A DynamoDB client that names each call it passes on, and keeps the arguments of its reads."""

    def __init__(self, real) -> None:
        self.real, self.calls, self.reads = real, [], []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.real, name)

    def get_item(self, **kwargs):
        self.calls.append("get_item")
        self.reads.append(kwargs)
        return self.real.get_item(**kwargs)


class QueryCounter:
    """The table's client, counting Query calls."""

    def __init__(self, real) -> None:
        self.real, self.queries = real, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def query(self, **kwargs):
        self.queries += 1
        return self.real.query(**kwargs)


def test_unsettled_activations_make_one_query_a_day_and_none_once_the_limit_is_reached(aws):
    counter = QueryCounter(aws["clients"]["dynamodb"])
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], counter))
    first = [activate(store, NOW - timedelta(minutes=m)) for m in (1, 2)]  # two on the 25th
    second = [activate(store, NOW + timedelta(hours=1, minutes=m)) for m in (1, 2, 3)]  # three on the 26th
    window = (NOW - timedelta(hours=1), NOW + timedelta(hours=2))
    counter.queries = 0
    found = store.unsettled_activations(*window, limit=3)
    assert len(found) == 3 and counter.queries == 2  # both days, never more than asked
    assert {b.beneficiary_id for b in found} > {b.beneficiary_id for b in first}
    counter.queries = 0
    assert len(store.unsettled_activations(*window, limit=2)) == 2 and counter.queries == 1  # the 26th not read
    counter.queries = 0
    one_day = store.unsettled_activations(NOW + timedelta(hours=1), NOW + timedelta(hours=2), limit=10)
    assert {b.beneficiary_id for b in one_day} == {b.beneficiary_id for b in second} and counter.queries == 1


def test_settling_for_an_activation_time_spares_a_later_activation(aws):
    store = store_of(aws)
    identity = activate(store, NOW)
    pk, sk = item_key(identity)
    assert not store.settle_activation(identity, NOW, activated_at=iso(NOW - timedelta(hours=1)))  # an older one
    assert raw(aws, pk, sk)["gsi2sk"] == iso(NOW)
    assert store.settle_activation(identity, NOW, activated_at=iso(NOW))
    item = raw(aws, pk, sk)
    assert "gsi2pk" not in item and "gsi2sk" not in item and item["pushes_settled_at"] == iso(NOW)


def test_an_abandoned_activation_is_stamped_as_abandoned_not_settled(aws):
    store = store_of(aws)
    identity = activate(store, NOW)
    assert store.settle_activation(identity, NOW + timedelta(days=8), abandoned=True)
    item = raw(aws, *item_key(identity))
    assert item["pushes_abandoned_at"] == iso(NOW + timedelta(days=8)) and "pushes_settled_at" not in item
    assert "gsi2pk" not in item
