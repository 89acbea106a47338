"""The domain events' publisher: the template's filter lets through every change that is a transition, the
function puts one event per transition on the bus (moto's EventBridge, read back through a rule's SQS target),
refused entries are retried then fail the record, and every detail matches its committed JSON Schema."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import jsonschema
import pytest
from moto.events.models import EventPattern

from lean_webhooks.adapters.dynamodb.stream import change_of
from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.adapters.eventbridge import EventBridgeBus
from lean_webhooks.core.domain_events import DomainEventPublisher, domain_events
from lean_webhooks.models.domain_events import DETAIL_TYPES, SOURCE
from local.aws import template as tpl
from local.aws.resources import TAP
from tests.support.streams import stored_beneficiary, stream_record

PATTERNS = [EventPattern.load(json.dumps(p)) for p in tpl.filter_patterns("PublishDomainEventsFunction")]
STATUSES = [None, "AWAITING_BENEFICIARY_COOL_OFF", "ACTIVE", "REMOVED", "DELETED", "SUSPENDED"]
ACCOUNT_DATA = ("iban", "account_number", "account_name", "AE340260001015528812001", "1015528812001")


def beneficiary(status: str | None, **extra) -> dict | None:
    if status is None:
        return None
    return to_item(
        stored_beneficiary(
            payment_destination_id="d1",
            bank_identifier="ENBD_UAE",
            status=status,
            updated_at="2026-12-01T10:00:00.000000Z",
            **extra,
        )
    )


def payment_source(deleted: bool) -> dict:
    item = {"pk": "CUSTOMER#c1", "sk": "PAYMENT_SOURCE#p1", "entity": "PAYMENT_SOURCE", "customer_id": "c1"}
    item |= {
        "payment_source_id": "p1",
        "bank_identifier": "ENBD_UAE",
        "accounts": [{"iban": "AE340260001015528812001"}],
    }
    if deleted:
        item |= {"deleted_at": "2026-12-01T11:00:00.000000Z", "deleted_reason": "USER_REQUESTED"}
    return to_item(item)


def passes_filter(record: dict) -> bool:
    return any(p.matches_event(record) for p in PATTERNS)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(STATUSES, STATUSES[1:])))
def test_the_filter_passes_every_beneficiary_change_that_makes_an_event(old, new):
    record = stream_record(beneficiary(old), beneficiary(new, cool_off_seen=True))
    if domain_events(change_of(record)):
        assert passes_filter(record), (old, new)


@pytest.mark.parametrize(("old", "new"), [(None, False), (None, True), (False, False), (False, True), (True, True)])
def test_the_filter_passes_a_payment_source_recorded_deleted(old, new):
    record = stream_record(payment_source(old) if old is not None else None, payment_source(new))
    assert passes_filter(record) == bool(domain_events(change_of(record)))


def test_the_filter_drops_deletions_and_other_items():
    assert not passes_filter(stream_record(beneficiary("ACTIVE"), None))  # an erasure's REMOVE announces nothing
    device = to_item({"pk": "CUSTOMER#c1", "sk": "DEVICE#d", "entity": "DEVICE", "status": "ACTIVE"})
    assert not passes_filter(stream_record(None, device))
    erasure = to_item({"pk": "CUSTOMER#c1", "sk": "ERASURE", "entity": "ERASURE", "customer_id": "c1"})
    assert passes_filter(stream_record(None, erasure))


def erasure_record(erasure_id: str, completed: bool) -> dict:
    record = {"pk": "CUSTOMER#c1", "sk": "ERASURE", "entity": "ERASURE", "customer_id": "c1", "erasure_id": erasure_id}
    record["started_at"] = "2026-12-01T12:00:00.000000Z"
    if completed:
        record["completed_at"] = "2026-12-01T12:00:03.000000Z"
    return to_item(record)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, erasure_record("e1", False)),  # a customer's first erasure
        (erasure_record("e1", False), erasure_record("e1", True)),  # it ends: nothing to announce
        (erasure_record("e1", True), erasure_record("e2", False)),  # a new erasure over the finished one
    ],
)
def test_the_filter_passes_every_erasure_begun_and_only_those(old, new):
    record = stream_record(old, new)
    announced = domain_events(change_of(record))
    assert passes_filter(record) == bool(announced)
    assert [e.event_id for e in announced] == (
        [] if old and old == erasure_record("e1", False) else [new["erasure_id"]["S"]]
    )


def tapped(aws) -> list[dict]:
    """What the bus delivered to the local rule's SQS target."""
    sqs, url = aws["clients"]["sqs"], aws["refs"][TAP]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_one_event_per_transition_is_put_on_the_bus_without_account_data(aws, load_function):
    publisher = load_function("PublishDomainEventsFunction")
    added_active = stream_record(
        None, beneficiary("ACTIVE", cool_off_seen=False, last_event_type="payment_source.beneficiary.created")
    )
    deleted = stream_record(payment_source(False), payment_source(True))
    assert publisher.invoke({"Records": [added_active, deleted]}) == {"batchItemFailures": []}
    events = tapped(aws)
    assert sorted(e["detail-type"] for e in events) == [
        "Beneficiary Added",
        "Beneficiary Chargeable",
        "Payment Source Deleted",
    ]
    assert all(e["source"] == SOURCE for e in events) and len({e["detail"]["event_id"] for e in events}) == 3
    chargeable = next(e for e in events if e["detail-type"] == "Beneficiary Chargeable")["detail"]
    assert chargeable["after_cool_off"] is False and chargeable["previous_status"] is None
    assert not any(word in json.dumps(events) for word in ACCOUNT_DATA)


def test_every_delivery_of_a_record_carries_the_same_event_ids(aws, load_function):
    publisher = load_function("PublishDomainEventsFunction")
    record = stream_record(beneficiary("AWAITING_BENEFICIARY_COOL_OFF"), beneficiary("ACTIVE", cool_off_seen=True))
    publisher.invoke({"Records": [record]})
    publisher.invoke({"Records": [record]})  # redelivered (a retry, a bisection)
    [first, again] = tapped(aws)
    assert first["detail"]["event_id"] == again["detail"]["event_id"]
    assert first["detail"]["after_cool_off"] is True and first["detail"]["previous_status"] == (
        "AWAITING_BENEFICIARY_COOL_OFF"
    )


def test_a_revival_puts_no_second_chargeable_on_the_bus(aws, load_function):
    """REMOVED by a read, listed again by a later one: the item keeps the activation it had, and the publisher
    announces nothing (the filter cannot compare the two images: the function decides)."""
    publisher = load_function("PublishDomainEventsFunction")
    first = {"activated_at": "2026-10-01T10:00:00.000000Z", "cool_off_seen": True}
    revival = stream_record(beneficiary("REMOVED", **first), beneficiary("ACTIVE", **first))
    assert passes_filter(revival)
    assert publisher.invoke({"Records": [revival]}) == {"batchItemFailures": []}
    assert tapped(aws) == []


class Refusing:
    """An EventBridge client that refuses every entry, as PutEvents reports it: 200 with FailedEntryCount."""

    def __init__(self) -> None:
        self.calls = 0

    def put_events(self, Entries):
        self.calls += 1
        results = [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"} for _ in Entries]
        return {"FailedEntryCount": len(Entries), "Entries": results}


def test_entries_the_bus_refuses_are_put_again_then_fail_the_record(aws, load_function):
    publisher = load_function("PublishDomainEventsFunction")
    refusing = Refusing()
    bus = EventBridgeBus("lean-local-payment-sources", refusing, sleep=lambda s: None)
    record = stream_record(None, beneficiary("AWAITING_BENEFICIARY_COOL_OFF"))
    result = publisher.invoke({"Records": [record]}, publisher=DomainEventPublisher(bus))
    assert result == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert refusing.calls == 3  # the call and two more for the failed entries, then the record is retried


def test_the_committed_event_schemas_are_the_models_and_every_detail_matches_its_schema(aws, load_function):
    result = subprocess.run(
        [sys.executable, "scripts/event_schemas.py", "--check"], cwd=tpl.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    schemas = {
        t: json.loads((tpl.ROOT / "docs" / "events" / (t.lower().replace(" ", "-") + ".json")).read_text())
        for t in DETAIL_TYPES
    }
    publisher = load_function("PublishDomainEventsFunction")
    erasure = to_item(
        {
            "pk": "CUSTOMER#c1",
            "sk": "ERASURE",
            "entity": "ERASURE",
            "customer_id": "c1",
            "erasure_id": "e1",
            "started_at": "2026-12-01T12:00:00.000000Z",
        }
    )
    records = [
        stream_record(None, beneficiary("ACTIVE", cool_off_seen=True)),
        stream_record(beneficiary("ACTIVE"), beneficiary("REMOVED")),
        stream_record(payment_source(False), payment_source(True)),
        stream_record(None, erasure),
    ]
    for index, record in enumerate(records):
        record["eventID"] = f"r{index}"
        record["dynamodb"]["SequenceNumber"] = str(index)
    assert publisher.invoke({"Records": records}) == {"batchItemFailures": []}
    events = tapped(aws)
    assert {e["detail-type"] for e in events} == set(DETAIL_TYPES)
    for event in events:
        jsonschema.validate(event["detail"], schemas[event["detail-type"]])


class RefusingFirst:
    """An EventBridge client that refuses every entry of its first `calls` PutEvents, then puts through moto's."""

    def __init__(self, events, calls: int) -> None:
        self.events, self.left = events, calls

    def put_events(self, Entries):
        if self.left > 0:
            self.left -= 1
            results = [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"} for _ in Entries]
            return {"FailedEntryCount": len(Entries), "Entries": results}
        return self.events.put_events(Entries=Entries)


def test_a_record_whose_events_failed_holds_back_the_items_later_records_and_not_other_items(aws, load_function):
    publisher = load_function("PublishDomainEventsFunction")
    bus = EventBridgeBus("lean-local-payment-sources", RefusingFirst(aws["clients"]["events"], 3), lambda s: None)
    added = stream_record(None, beneficiary("AWAITING_BENEFICIARY_COOL_OFF"))
    chargeable = stream_record(beneficiary("AWAITING_BENEFICIARY_COOL_OFF"), beneficiary("ACTIVE", cool_off_seen=True))
    other_item = stream_record(payment_source(False), payment_source(True))
    records = [added, chargeable, other_item]
    for index, record in enumerate(records):
        record["eventID"], record["dynamodb"]["SequenceNumber"] = f"r{index}", str(100 + index)
    result = publisher.invoke({"Records": records}, publisher=DomainEventPublisher(bus))
    assert result == {"batchItemFailures": [{"itemIdentifier": "100"}, {"itemIdentifier": "101"}]}
    assert [e["detail-type"] for e in tapped(aws)] == ["Payment Source Deleted"]  # no `Chargeable` before `Added`
    retried = publisher.invoke({"Records": records}, publisher=DomainEventPublisher(bus))  # from the lowest failure
    assert retried == {"batchItemFailures": []}  # a new batch: nothing held back by the last one
    in_order = ["Beneficiary Added", "Beneficiary Chargeable", "Payment Source Deleted"]  # its second delivery,
    assert [e["detail-type"] for e in tapped(aws)] == in_order  # with the same event_id: consumers deduplicate
