"""Write rules of the store, enforced by condition expressions, under any order and duplicates."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lean_webhooks.adapters.dynamodb.keys import beneficiary_sk, customer_pk, stored_value
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table, key
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.errors import PermanentSyncError
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.webhook import BeneficiaryEvent
from local.aws.resources import local_app_id
from local.harness import samples

MISSING = "MISSING"  # Lean's API does not list the beneficiary (yet)


class FakeLean:
    """Answers with a payment source whose beneficiary has the status the test chose for this call (the same answer,
    cool-off expiry included, for every call with that status, as Lean's API gives)."""

    def __init__(self, flow: dict[str, str], app_id: str = local_app_id()):
        self.flow, self.app_id, self.status = flow, app_id, samples.AWAITING
        self._answers: dict[tuple[str, str], dict] = {}

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        answer = (self.app_id, self.status)
        if answer not in self._answers:
            self._answers[answer] = samples.payment_source(self.flow, self.app_id, self.status)
        data = copy.deepcopy(self._answers[answer])
        if self.status == MISSING:
            data["beneficiaries"] = []
        return LeanPaymentSource.model_validate(data)


class Recorder:
    """Runs events through PaymentSourceSync and records each (old, new) image, like the stream would."""

    def __init__(self, aws: dict[str, Any], flow: dict[str, str]):
        self.table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
        self.lean = FakeLean(flow)
        self.sync = PaymentSourceSync(self.lean, DynamoPaymentSources(self.table), local_app_id())
        self.flow = flow
        self.images: list[tuple[dict | None, dict | None]] = []

    def item(self) -> dict | None:
        return self.table.get(
            key(
                customer_pk(self.flow["customer_id"]),
                beneficiary_sk(self.flow["payment_source_id"], self.flow["beneficiary_id"]),
            )
        )

    def apply(self, kind: str, webhook_status: str, api_status: str, event_id: str | None = None) -> None:
        self.lean.status = api_status
        before = self.item()
        event = BeneficiaryEvent.model_validate(samples.beneficiary_webhook(self.flow, kind, webhook_status, event_id))
        self.sync.handle(event)
        after = self.item()
        if after != before:
            self.images.append((before, after))

    @property
    def pushes(self) -> int:
        return sum(is_push_worthy_activation(stored_value(old), stored_value(new)) for old, new in self.images)

    @property
    def statuses(self) -> list[str]:
        return [new["status"] for _, new in self.images]


def test_created_then_updated_gives_one_activation(aws):
    rec = Recorder(aws, samples.ids())
    rec.apply("created", samples.AWAITING, samples.AWAITING)
    item = rec.item()
    assert item["status"] == samples.AWAITING and item["cool_off_seen"] is True
    assert item["gsi1pk"] == "AWAITING_COOL_OFF" and item["gsi1sk"].startswith(str(datetime.now(UTC).year))
    rec.apply("updated", samples.ACTIVE, samples.ACTIVE)
    item = rec.item()
    assert item["status"] == samples.ACTIVE and "gsi1pk" not in item
    assert rec.pushes == 1


def test_active_is_never_overwritten_by_late_awaiting_webhook_or_stale_read(aws):
    rec = Recorder(aws, samples.ids())
    rec.apply("updated", samples.ACTIVE, samples.ACTIVE)
    rec.apply("created", samples.AWAITING, samples.AWAITING)  # late webhook, stale read
    rec.apply("updated", samples.ACTIVE, samples.AWAITING)  # stale read
    assert rec.item()["status"] == samples.ACTIVE and rec.statuses == [samples.ACTIVE]
    assert rec.pushes == 1  # updated-first implies a cool-off: pushed once


def test_active_at_creation_gets_no_push(aws):
    rec = Recorder(aws, samples.ids())
    rec.apply("created", samples.ACTIVE, samples.ACTIVE)
    rec.apply("created", samples.ACTIVE, samples.ACTIVE)
    assert rec.item()["status"] == samples.ACTIVE and rec.item()["cool_off_seen"] is False
    assert rec.pushes == 0


def test_unknown_status_is_stored_as_is_and_not_chargeable(aws):
    rec = Recorder(aws, samples.ids())
    rec.apply("updated", "SUSPENDED", "SUSPENDED")
    assert rec.item()["status"] == "SUSPENDED" and rec.pushes == 0


def test_payment_source_of_another_app_is_refused(aws):
    rec = Recorder(aws, samples.ids())
    rec.lean.app_id = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(PermanentSyncError) as raised:
        rec.apply("created", samples.AWAITING, samples.AWAITING)
    assert raised.value.reason == "app_id_mismatch" and rec.item() is None


def test_payment_source_item_holds_accounts(aws):
    flow = samples.ids()
    rec = Recorder(aws, flow)
    rec.apply("created", samples.AWAITING, samples.AWAITING)
    [source] = DynamoPaymentSources(rec.table).list_for_customer(flow["customer_id"])
    assert source.accounts[0]["iban"] == "AE340260001015528812001"
    assert source.beneficiaries[0].beneficiary_id == flow["beneficiary_id"]


def test_payment_source_is_rewritten_only_when_its_content_changed_and_never_after_deletion(aws):
    flow = samples.ids()
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    data = samples.payment_source(flow, local_app_id(), samples.AWAITING)
    at = [datetime(2026, 11, 25, 10, m, tzinfo=UTC) for m in range(5)]
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), at[0]) is True
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), at[1]) is False  # unchanged: no write
    data["beneficiaries"][0]["status"] = samples.ACTIVE  # beneficiaries live in their own items
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), at[2]) is False
    data["accounts"][0]["account_name"] = "Renamed"
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), at[3]) is True
    [source] = store.list_for_customer(flow["customer_id"])
    assert source.accounts[0]["account_name"] == "Renamed"
    store.mark_payment_source_deleted(flow["customer_id"], flow["payment_source_id"], "test", at[4])
    data["accounts"][0]["account_name"] = "Back again"
    assert store.put_payment_source(LeanPaymentSource.model_validate(data), at[4]) is False
    assert store.list_for_customer(flow["customer_id"]) == []


events = st.sampled_from([("created", samples.AWAITING), ("updated", samples.ACTIVE)])
api = st.sampled_from([samples.AWAITING, samples.ACTIVE, MISSING])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(events, api, st.booleans()), min_size=1, max_size=6))
def test_any_order_any_duplicates_any_stale_read(aws, steps):
    """Cool-off flows: whatever the order, duplicates and API staleness, the status only moves up, and an
    activation (implied by any `updated`, or seen by an AWAITING read) is pushed exactly once."""
    rec = Recorder(aws, samples.ids())
    last_event_id = None
    for (kind, status), api_status, duplicate in steps:
        event_id = last_event_id if duplicate and last_event_id else None
        rec.apply(kind, status, api_status, event_id)
        last_event_id = event_id or last_event_id
    ranks = [2 if s == samples.ACTIVE else 1 for s in rec.statuses]
    assert ranks == sorted(ranks), "a stored status went back"
    assert rec.pushes <= 1
    saw_update = any(kind == "updated" for (kind, _), _, _ in steps)
    saw_active_read = any(a == samples.ACTIVE for _, a, _ in steps)
    final = rec.item()["status"]
    if saw_update or saw_active_read:
        assert final == samples.ACTIVE
        assert rec.pushes == 1  # every step here carries cool-off evidence (AWAITING webhook or an update)
    else:
        assert final == samples.AWAITING and rec.pushes == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(copies=st.integers(1, 4), api_statuses=st.lists(st.sampled_from([samples.ACTIVE, MISSING]), min_size=4))
def test_instant_activation_never_pushes(aws, copies, api_statuses):
    rec = Recorder(aws, samples.ids())
    for i in range(copies):
        rec.apply("created", samples.ACTIVE, api_statuses[i])
    assert rec.item()["status"] == samples.ACTIVE and rec.pushes == 0


@pytest.mark.parametrize("stale", ["AWAITING_BENEFICIARY_COOL_OFF", "SUSPENDED", "SOMETHING_NEW", None])
def test_a_stale_api_read_never_undoes_a_signed_active(stale):
    from lean_webhooks.core.status_rules import decide_status

    assert decide_status(is_update=True, webhook_status="ACTIVE", api_status=stale).status == "ACTIVE"
    # ... and on a tie between two non-active statuses, the fresher API read wins
    assert decide_status(
        is_update=False, webhook_status="SUSPENDED", api_status="AWAITING_BENEFICIARY_COOL_OFF"
    ).status == ("AWAITING_BENEFICIARY_COOL_OFF")


def stream_records(aws) -> list[dict]:
    """The table's stream records so far, read from moto's backend."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    arn = aws["clients"]["dynamodb"].describe_table(TableName=aws["refs"]["Table"])["Table"]["LatestStreamArn"]
    backend = dynamodbstreams_backends["123456789012"]["us-east-1"]
    records: list[dict] = []
    for shard in backend.describe_stream(arn)["Shards"]:
        iterator = backend.get_shard_iterator(arn, shard["ShardId"], "TRIM_HORIZON")
        records += backend.get_records(iterator.arn, 1000)["Records"]
    return records


def test_a_sync_that_changes_nothing_stored_makes_no_write_and_no_stream_record(aws):
    """After a refresh stored the beneficiary, the `beneficiary.created` sync (and Lean's retries of it) read the
    same state: the beneficiary's write is refused, so no item rewrite, no index write and no stream record."""
    rec = Recorder(aws, samples.ids())
    first = str(uuid.uuid4())
    rec.apply("created", samples.AWAITING, samples.AWAITING, event_id=first)
    item, records = rec.item(), len(stream_records(aws))
    rec.apply("created", samples.AWAITING, samples.AWAITING)  # Lean's retry, or the Events API's copy
    rec.apply("created", samples.AWAITING, samples.AWAITING)
    assert rec.item() == item and item["last_event_id"] == first
    assert len(stream_records(aws)) == records
    rec.apply("updated", samples.ACTIVE, samples.ACTIVE)  # a change is written, and streamed
    assert rec.item()["status"] == samples.ACTIVE and len(stream_records(aws)) == records + 1


class CountingClient:
    """A DynamoDB client that records the writes made through it."""

    def __init__(self, client: Any):
        self.client, self.writes = client, []

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.client, name)
        if name not in ("update_item", "put_item"):
            return call

        def recorded(**kwargs: Any) -> Any:
            self.writes.append(name)
            return call(**kwargs)

        return recorded


def test_a_refused_write_is_one_request_and_a_revival_two(aws):
    """A decision with two possible writes (an activation, or a revival) tries the second only when the item the
    first was refused by meets its condition: a duplicate costs one refused write, as a single-write rule would."""
    from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision

    client = CountingClient(aws["clients"]["dynamodb"])
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], client))
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    who = BeneficiaryIdentity("c1", "p1", "b1")
    active = BeneficiaryWrite(who, StatusDecision("ACTIVE", True), "e1", "payment_source.beneficiary.updated", None)
    assert store.apply_beneficiary(active, now) is True
    client.writes.clear()
    assert store.apply_beneficiary(active, now) is False
    assert client.writes == ["update_item"]
    store.mark_beneficiary("c1", "p1", "b1", "REMOVED", "not_listed_by_lean", now)
    client.writes.clear()
    assert store.apply_beneficiary(active, now) is True  # revived: the activation refused, the revival made
    assert client.writes == ["update_item", "update_item"]
