"""Each index carries only what its one reader reads (INCLUDE projections): the template projects exactly the
attributes the DynamoDB adapter's query asks for, the local stack creates the same projections, the query returns
each of them as stored, and the core's readers (cool-off recovery, push reconciliation) read nothing else."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb import keys
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table, key, to_item
from lean_webhooks.core.activation_notifier import NotifyOutcome
from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.core.push_reconciliation import PushReconciler
from lean_webhooks.core.sync import SyncOutcome
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.items import StoredBeneficiary
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from local.aws import template as tpl

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
READS = {keys.AWAITING_INDEX: keys.AWAITING_INDEX_READS, keys.ACTIVATIONS_INDEX: keys.ACTIVATIONS_INDEX_READS}


def template_indexes() -> dict[str, dict[str, Any]]:
    table = tpl.load()["Resources"]["Table"]["Properties"]
    return {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}


@pytest.mark.parametrize("index", sorted(READS))
def test_the_template_projects_exactly_what_the_adapter_reads(index):
    projection = template_indexes()[index]["Projection"]
    assert projection["ProjectionType"] == "INCLUDE"
    assert sorted(projection["NonKeyAttributes"]) == sorted(READS[index])


def test_the_local_stack_creates_the_templates_projections(aws):
    table = aws["clients"]["dynamodb"].describe_table(TableName=aws["refs"]["Table"])["Table"]
    created = {index["IndexName"]: index["Projection"] for index in table["GlobalSecondaryIndexes"]}
    assert created == {name: index["Projection"] for name, index in template_indexes().items()}


# ---------- the adapter's queries: every field a reader reads comes back as stored ----------
BENEFICIARY = {
    "pk": keys.customer_pk("c1"),
    "sk": keys.beneficiary_sk("p1", "b1"),
    "entity": keys.BENEFICIARY,
    "customer_id": "c1",
    "payment_source_id": "p1",
    "beneficiary_id": "b1",
    "payment_destination_id": "d1",
    "bank_identifier": "ENBD_UAE",
    "cool_off_seen": True,
    "cool_off_expiry": iso(NOW - timedelta(hours=2)),
    "recheck_failures": 3,
    "activated_at": iso(NOW),
    "updated_at": iso(NOW),
    "last_event_id": "e1",
    "accounts_note": "an attribute no reader reads",
}


def put(aws, item: dict[str, Any]) -> DynamoPaymentSources:
    aws["clients"]["dynamodb"].put_item(TableName=aws["refs"]["Table"], Item=to_item(item))
    return DynamoPaymentSources(Table(aws["refs"]["Table"]))


def read_fields(found: StoredBeneficiary, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(found, name) for name in names}


def test_the_recovery_query_returns_every_field_its_reader_reads(aws):
    item = {**BENEFICIARY, "status": AWAITING_COOL_OFF}
    item |= {"gsi1pk": keys.AWAITING_INDEX_PK, "gsi1sk": iso(NOW - timedelta(hours=1))}
    (found,) = put(aws, item).awaiting_past_expiry(NOW, 10)
    assert read_fields(found, keys.AWAITING_INDEX_READS) == {n: item[n] for n in keys.AWAITING_INDEX_READS}
    assert found.updated_at is None and found.last_event_id is None  # not projected, not read


def test_the_activation_query_returns_every_field_its_reader_reads(aws):
    item = {**BENEFICIARY, "status": ACTIVE, "gsi2pk": keys.activations_pk(iso(NOW)[:10]), "gsi2sk": iso(NOW)}
    store = put(aws, item)
    (found,) = store.unsettled_activations(NOW - timedelta(hours=1), NOW + timedelta(hours=1), 10)
    assert read_fields(found, keys.ACTIVATIONS_INDEX_READS) == {n: item[n] for n in keys.ACTIVATIONS_INDEX_READS}
    assert found.recheck_failures == 0 and found.updated_at is None  # not projected, not read
    stored = aws["clients"]["dynamodb"].get_item(TableName=aws["refs"]["Table"], Key=key(item["pk"], item["sk"]))
    assert "accounts_note" in stored["Item"]  # the table keeps everything; the index and its reader, their part


# ---------- the core's readers read nothing the index does not carry ----------
class Watched(StoredBeneficiary):
    """A stored beneficiary that records which of its fields its reader reads."""

    read: set[str]

    def __getattribute__(self, name: str) -> Any:
        if name in FIELDS:
            Watched.read.add(name)
        return super().__getattribute__(name)


FIELDS = {f.name for f in fields(StoredBeneficiary)}


def watched(**values: Any) -> Watched:
    return Watched(**{"customer_id": "c", "payment_source_id": "p", "beneficiary_id": "b", **values})


class RecoveryIndex:
    def __init__(self) -> None:
        self.items = [watched(status=AWAITING_COOL_OFF, recheck_failures=1), watched(status=AWAITING_COOL_OFF)]

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]:
        return list(self.items)

    def defer_recheck(self, identity: Any, failures: int, recheck_at: datetime | None, now: datetime) -> bool:
        return True


class Sync:
    """Fails the first re-read (the reader then backs off), answers the others."""

    def __init__(self) -> None:
        self.calls = 0

    def sync_beneficiary(self, report: Any, event_id: str, event_type: str, recheck_at: datetime | None = None):
        self.calls += 1
        if self.calls == 1:
            raise LeanServerError("Lean API 503", http_status=503, lean_status="SERVICE_UNAVAILABLE")
        return SyncOutcome(status=AWAITING_COOL_OFF)


def test_the_cool_off_recovery_reads_only_what_its_index_carries():
    Watched.read = set()
    outcome = CoolOffRecovery(Sync(), RecoveryIndex(), clock=lambda: NOW).run()
    assert (outcome.failed, outcome.still_waiting) == (1, 1)  # both paths ran: the re-read and the backoff
    assert Watched.read and Watched.read <= set(keys.AWAITING_INDEX_READS)


class ActivationIndex:
    def __init__(self) -> None:
        self.items = [watched(status=ACTIVE, cool_off_seen=True), watched(status=ACTIVE, cool_off_seen=False)]

    def unsettled_activations(self, since: datetime, until: datetime, limit: int) -> list[StoredBeneficiary]:
        return list(self.items)

    def settle_activation(self, identity: Any, now: datetime, activated_at: str | None = None, abandoned=False):
        return True


class Push:
    def push(self, activation: Any, seconds_left: Any = None, activated_at: str | None = None) -> NotifyOutcome:
        return NotifyOutcome(sent=1)


def test_the_push_reconciliation_reads_only_what_its_index_carries():
    Watched.read = set()
    outcome = PushReconciler(ActivationIndex(), Push(), clock=lambda: NOW).run()  # type: ignore[arg-type]
    assert (outcome.abandoned, outcome.pushed, outcome.settled) == (2, 1, 2)  # abandoned, pushed and settled
    assert Watched.read and Watched.read <= set(keys.ACTIVATIONS_INDEX_READS)
