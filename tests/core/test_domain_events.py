"""core/domain_events.py: which events each stored change makes (one per transition, none otherwise), event ids
stable per stream record, no account data or device token in any detail, and the publisher's use of the bus."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb.keys import stored_value
from lean_webhooks.core.domain_events import DomainEventPublisher, InStreamOrder, WaitsForEarlierChange, domain_events
from lean_webhooks.models.domain_events import (
    BENEFICIARY_ADDED,
    BENEFICIARY_CHARGEABLE,
    BENEFICIARY_REMOVED,
    CUSTOMER_ERASED,
    PAYMENT_SOURCE_DELETED,
)
from lean_webhooks.models.items import StoredChange
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED
from tests.core.builders import BENEFICIARY, CUSTOMER, DESTINATION, SOURCE
from tests.support.fakes import RecordingBus

AT = "2026-11-25T10:00:00.000000Z"
STREAM_AT = "2026-11-25T10:00:01Z"
ACCOUNTS = [{"account_name": "CURRENT ACCOUNT", "account_number": "1015528812001", "iban": "AE340260001015528812001"}]


def beneficiary(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "pk": f"CUSTOMER#{CUSTOMER}",
        "sk": f"PAYMENT_SOURCE#{SOURCE}#BENEFICIARY#{BENEFICIARY}",
        "entity": "BENEFICIARY",
        "customer_id": CUSTOMER,
        "payment_source_id": SOURCE,
        "beneficiary_id": BENEFICIARY,
        "payment_destination_id": DESTINATION,
        "bank_identifier": "ENBD_UAE",
        "status": status,
        "updated_at": AT,
        **extra,
    }


def payment_source(**extra: Any) -> dict[str, Any]:
    return {
        "pk": f"CUSTOMER#{CUSTOMER}",
        "sk": f"PAYMENT_SOURCE#{SOURCE}",
        "entity": "PAYMENT_SOURCE",
        "customer_id": CUSTOMER,
        "payment_source_id": SOURCE,
        "bank_identifier": "ENBD_UAE",
        "accounts": ACCOUNTS,
        **extra,
    }


def change(kind: str, old: dict | None, new: dict | None, record_id: str = "record-1") -> StoredChange:
    """A change of stored items, decoded as the stream's readers get it."""
    return StoredChange(record_id, kind, stored_value(old), stored_value(new), STREAM_AT)


def types(stored: StoredChange) -> list[str]:
    return [e.detail_type for e in domain_events(stored)]


# ---------- beneficiaries ----------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (AWAITING_COOL_OFF, [BENEFICIARY_ADDED]),
        (ACTIVE, [BENEFICIARY_ADDED, BENEFICIARY_CHARGEABLE]),  # added before chargeable
        (REMOVED, [BENEFICIARY_ADDED, BENEFICIARY_REMOVED]),
        ("SUSPENDED_BY_BANK", [BENEFICIARY_ADDED]),
    ],
)
def test_a_beneficiary_stored_for_the_first_time_is_added(status, expected):
    assert types(change("INSERT", None, beneficiary(status))) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (AWAITING_COOL_OFF, ACTIVE, [BENEFICIARY_CHARGEABLE]),
        (REMOVED, ACTIVE, [BENEFICIARY_CHARGEABLE]),  # removed while awaiting: its first activation
        (ACTIVE, REMOVED, [BENEFICIARY_REMOVED]),
        (AWAITING_COOL_OFF, REMOVED, [BENEFICIARY_REMOVED]),
        (ACTIVE, ACTIVE, []),  # a rewrite (a settled push, a recheck) is no transition
        (AWAITING_COOL_OFF, AWAITING_COOL_OFF, []),
        (REMOVED, REMOVED, []),
        (ACTIVE, DELETED, []),  # announced by the payment source's deletion
        (AWAITING_COOL_OFF, "SUSPENDED_BY_BANK", []),
    ],
)
def test_a_modified_beneficiary_makes_an_event_per_transition(before, after, expected):
    assert types(change("MODIFY", beneficiary(before), beneficiary(after))) == expected


def test_a_revival_announces_no_second_chargeable():
    """A beneficiary that was ACTIVE (chargeable announced), then REMOVED by a read, and listed again by a later
    one: the write rules keep its `activated_at`, and nothing is announced but the removal before."""
    first = {"activated_at": AT, "cool_off_seen": True}
    removed = beneficiary(REMOVED, status_reason="not_listed_by_lean", **first)
    assert types(change("MODIFY", removed, beneficiary(ACTIVE, **first))) == []
    evidence_came_late = {"activated_at": "2026-12-30T10:00:00.000000Z", "cool_off_seen": True}  # a new activation
    lacked = beneficiary(REMOVED, activated_at=AT, cool_off_seen=False)
    assert types(change("MODIFY", lacked, beneficiary(ACTIVE, **evidence_came_late))) == []  # chargeable before


def chargeable_after_cool_off(old: dict | None, new: dict) -> bool | None:
    events = domain_events(change("MODIFY" if old else "INSERT", old, new))
    [detail] = [e.detail_dict() for e in events if e.detail_type == BENEFICIARY_CHARGEABLE]
    return detail["after_cool_off"]


def test_a_chargeable_beneficiary_says_whether_a_cool_off_came_before():
    awaited = beneficiary(ACTIVE, cool_off_seen=True, last_event_type="refresh")
    assert chargeable_after_cool_off(beneficiary(AWAITING_COOL_OFF), awaited) is True
    updated_first = beneficiary(ACTIVE, cool_off_seen=True, last_event_type="payment_source.beneficiary.updated")
    assert chargeable_after_cool_off(None, updated_first) is True  # Lean's update implies a cool-off


def test_a_beneficiary_lean_created_active_is_chargeable_without_a_cool_off():
    created = beneficiary(ACTIVE, cool_off_seen=False, last_event_type="payment_source.beneficiary.created")
    assert chargeable_after_cool_off(None, created) is False


@pytest.mark.parametrize("event_type", ["refresh", "payment_source.updated", None])
def test_a_beneficiary_a_read_stored_active_first_says_its_cool_off_is_not_known(event_type):
    """Lean's webhooks may still report a cool-off (the push then follows): false would be a guess."""
    read_first = beneficiary(ACTIVE, cool_off_seen=False, last_event_type=event_type)
    assert chargeable_after_cool_off(None, read_first) is None


def test_a_beneficiary_detail_carries_the_transition():
    old = beneficiary(AWAITING_COOL_OFF)
    new = beneficiary(ACTIVE, cool_off_seen=True, cool_off_expiry="2026-11-26T09:00:00.000000Z")
    (event,) = domain_events(change("MODIFY", old, new))
    assert event.detail_dict() == {
        "event_id": event.event_id,
        "occurred_at": AT,
        "customer_id": CUSTOMER,
        "payment_source_id": SOURCE,
        "beneficiary_id": BENEFICIARY,
        "payment_destination_id": DESTINATION,
        "bank_identifier": "ENBD_UAE",
        "status": ACTIVE,
        "previous_status": AWAITING_COOL_OFF,
        "cool_off_expiry": "2026-11-26T09:00:00.000000Z",
        "after_cool_off": True,
    }


def test_without_a_time_of_its_own_an_event_takes_the_streams():
    new = beneficiary(AWAITING_COOL_OFF)
    del new["updated_at"]
    (event,) = domain_events(change("INSERT", None, new))
    assert event.detail_dict()["occurred_at"] == STREAM_AT


# ---------- payment sources ----------
def test_a_payment_source_deleted_is_announced_once_with_its_reason():
    deleted = payment_source(deleted_at=AT, deleted_reason="USER_REQUESTED")
    (event,) = domain_events(change("MODIFY", payment_source(), deleted))
    assert event.detail_type == PAYMENT_SOURCE_DELETED
    assert event.detail_dict() == {
        "event_id": event.event_id,
        "occurred_at": AT,
        "customer_id": CUSTOMER,
        "payment_source_id": SOURCE,
        "bank_identifier": "ENBD_UAE",
        "reason": "USER_REQUESTED",
    }
    assert types(change("MODIFY", deleted, {**deleted, "deleted_reason": "lean_not_found"})) == []


def test_a_payment_source_recorded_deleted_when_first_stored_is_announced():
    gone = {k: v for k, v in payment_source(deleted_at=AT).items() if k not in ("accounts", "bank_identifier")}
    (event,) = domain_events(change("INSERT", None, gone))
    assert (event.detail_type, event.detail_dict()["reason"]) == (PAYMENT_SOURCE_DELETED, "unknown")


@pytest.mark.parametrize("kind", ["INSERT", "MODIFY"])
def test_a_payment_source_written_without_a_deletion_announces_nothing(kind):
    assert types(change(kind, payment_source() if kind == "MODIFY" else None, payment_source(fetched_at=AT))) == []


# ---------- erasure and the rest ----------
def test_an_erasure_marker_announces_the_erasure_under_its_own_id():
    marker = {"pk": f"CUSTOMER#{CUSTOMER}", "sk": "ERASURE", "entity": "ERASURE", "customer_id": CUSTOMER}
    marker |= {"erasure_id": "erasure-1", "started_at": AT}
    (event,) = domain_events(change("INSERT", None, marker))
    assert event.detail_type == CUSTOMER_ERASED
    assert event.detail_dict() == {"event_id": "erasure-1", "occurred_at": AT, "customer_id": CUSTOMER}
    assert types(change("MODIFY", marker, marker)) == []
    assert types(change("REMOVE", marker, None)) == []


@pytest.mark.parametrize(
    "stored",
    [
        change("REMOVE", beneficiary(ACTIVE), None),  # erasure, expiry
        change("INSERT", None, {"pk": "x", "sk": "DEVICE#phone", "entity": "DEVICE", "endpoint_arn": "arn"}),
        change("INSERT", None, {"pk": "x", "sk": "PUSH#b#d", "entity": "PUSH", "state": "CLAIMED"}),
        change("INSERT", None, {"pk": "EVENT#e", "sk": "EVENT", "entity": "EVENT"}),
        change("INSERT", None, {"pk": "x", "sk": "y"}),  # no entity
        change("INSERT", None, None),
    ],
)
def test_other_changes_announce_nothing(stored):
    assert domain_events(stored) == []


# ---------- event ids ----------
def test_every_delivery_of_one_record_makes_the_same_event_ids():
    first = domain_events(change("INSERT", None, beneficiary(ACTIVE), record_id="record-1"))
    again = domain_events(change("INSERT", None, beneficiary(ACTIVE), record_id="record-1"))
    other = domain_events(change("INSERT", None, beneficiary(ACTIVE), record_id="record-2"))
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert len({e.event_id for e in first}) == 2  # one per detail type
    assert not {e.event_id for e in first} & {e.event_id for e in other}


# ---------- no account data ----------
def test_no_detail_carries_account_data_or_a_device_token():
    secrets = ("AE340260001015528812001", "1015528812001", "CURRENT ACCOUNT", "device-token-123", "arn:aws:sns")
    extra = {"accounts": ACCOUNTS, "iban": secrets[0], "token": secrets[3], "endpoint_arn": "arn:aws:sns:endpoint"}
    changes = [
        change("INSERT", None, beneficiary(ACTIVE, cool_off_seen=True, **extra)),
        change("MODIFY", beneficiary(ACTIVE, **extra), beneficiary(REMOVED, **extra)),
        change("MODIFY", payment_source(**extra), payment_source(deleted_at=AT, **extra)),
        change("INSERT", None, {"entity": "ERASURE", "erasure_id": "e", "customer_id": CUSTOMER, **extra}),
    ]
    details = [json.dumps(e.detail_dict()) for c in changes for e in domain_events(c)]
    assert len(details) == 5
    assert not [d for d in details for secret in secrets if secret in d]


# ---------- the publisher ----------
def test_the_publisher_puts_the_events_of_a_change_on_the_bus(bus: RecordingBus):
    published = DomainEventPublisher(bus).publish(change("INSERT", None, beneficiary(ACTIVE)))
    assert [e.detail_type for e in bus.events] == [BENEFICIARY_ADDED, BENEFICIARY_CHARGEABLE]
    assert published == bus.events and bus.calls == 1


def test_a_change_without_events_never_calls_the_bus(bus: RecordingBus):
    assert DomainEventPublisher(bus).publish(change("REMOVE", beneficiary(ACTIVE), None)) == []
    assert bus.calls == 0


def test_a_refusing_bus_fails_the_record_and_its_retry_carries_the_same_ids(bus: RecordingBus):
    stored = change("INSERT", None, beneficiary(ACTIVE))
    bus.refuse()
    with pytest.raises(RuntimeError):
        DomainEventPublisher(bus).publish(stored)
    assert bus.events == []
    retried = DomainEventPublisher(bus).publish(replace(stored))
    assert [e.event_id for e in retried] == [e.event_id for e in domain_events(stored)]


# ---------- stream order per item ----------
def test_a_later_change_of_an_item_waits_for_its_failed_earlier_change(bus: RecordingBus):
    added = replace(change("INSERT", None, beneficiary(AWAITING_COOL_OFF), record_id="r1"), item="beneficiary")
    chargeable = change("MODIFY", beneficiary(AWAITING_COOL_OFF), beneficiary(ACTIVE, cool_off_seen=True), "r2")
    chargeable = replace(chargeable, item="beneficiary")
    other = replace(change("MODIFY", payment_source(), payment_source(deleted_at=AT), "r3"), item="payment source")
    ordered = InStreamOrder(DomainEventPublisher(bus))
    bus.refuse()
    with pytest.raises(RuntimeError):
        ordered.publish(added)
    with pytest.raises(WaitsForEarlierChange):
        ordered.publish(chargeable)  # never put before the item's `Beneficiary Added`
    assert [e.detail_type for e in ordered.publish(other)] == [PAYMENT_SOURCE_DELETED]  # another item publishes
    assert [e.detail_type for e in bus.events] == [PAYMENT_SOURCE_DELETED] and bus.calls == 2
