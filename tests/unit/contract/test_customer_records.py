"""CustomerRecords contract: every item of a customer's partition, whichever store wrote it (and nothing of other
customers, endpoint owners or the event ledger), item deletion, and the erasure marker reused after a crash."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.adapters.dynamodb.keys import ERASURE_HOLD
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.erasure import ErasureRecord
from lean_webhooks.models.items import ItemKind, StoredItem
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.statuses import AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from tests.unit.contract.conftest import (
    BENEFICIARY,
    CUSTOMER,
    NOW,
    OTHER_CUSTOMER,
    SOURCE,
    Backend,
    identity,
    raw_item,
    source,
    write,
)

ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1"
GONE = "9e8d7c6b-5a49-4837-a625-140f0e0d0c0b"


def store_everything(backend: Backend, customer_id: str = CUSTOMER) -> None:
    """One item of each kind the customer can have, written through the stores' own ports."""
    backend.payment_sources.put_payment_source(source(customer_id=customer_id), NOW)
    backend.payment_sources.apply_beneficiary(write(AWAITING_COOL_OFF, who=identity(customer_id=customer_id)), NOW)
    backend.payment_sources.mark_payment_source_deleted(customer_id, GONE, "USER_REQUESTED", NOW)
    backend.devices.put(DeviceRecord(customer_id, "phone", "GCM", f"{ARN}/{customer_id}"), NOW)
    backend.push_markers.claim(customer_id, BENEFICIARY, "phone", NOW, timedelta(seconds=35))
    backend.refresh_markers.claim(customer_id, NOW, timedelta(seconds=30))


def test_a_customer_without_anything_stored_has_no_items(backend: Backend):
    assert backend.customer_records.items_of(CUSTOMER) == []


def test_every_item_of_the_customer_and_only_those(backend: Backend):
    store_everything(backend)
    store_everything(backend, OTHER_CUSTOMER)
    backend.ledger.record("event-1", "payment_source.beneficiary.created", SYNCED, NOW)
    backend.ledger.save_checkpoint("lean-events", NOW)
    assert backend.customer_records.items_of(CUSTOMER) == [
        StoredItem(CUSTOMER, "DEVICE#phone", ItemKind.DEVICE, endpoint_arn=f"{ARN}/{CUSTOMER}", device_id="phone"),
        StoredItem(CUSTOMER, f"PAYMENT_SOURCE#{SOURCE}", ItemKind.PAYMENT_SOURCE, payment_source_id=SOURCE),
        StoredItem(
            CUSTOMER,
            f"PAYMENT_SOURCE#{SOURCE}#BENEFICIARY#{BENEFICIARY}",
            ItemKind.BENEFICIARY,
            payment_source_id=SOURCE,
        ),
        StoredItem(
            CUSTOMER, f"PAYMENT_SOURCE#{GONE}", ItemKind.PAYMENT_SOURCE, payment_source_id=GONE, deleted_at=iso(NOW)
        ),
        StoredItem(CUSTOMER, f"PUSH#{BENEFICIARY}#phone", ItemKind.PUSH_MARKER),
        StoredItem(CUSTOMER, "REFRESH", ItemKind.REFRESH_MARKER),
    ]


def test_a_deleted_item_is_gone_and_deleting_it_again_says_so(backend: Backend):
    store_everything(backend)
    store_everything(backend, OTHER_CUSTOMER)
    records = backend.customer_records
    for item in records.items_of(CUSTOMER):
        assert records.delete(item) is True
        assert records.delete(item) is False
    assert records.items_of(CUSTOMER) == []
    assert len(records.items_of(OTHER_CUSTOMER)) == 6
    assert backend.devices.owner_of(f"{ARN}/{CUSTOMER}") == (CUSTOMER, "phone")  # released by the erasure itself


def test_the_erasure_record_is_joined_while_under_way_and_replaced_once_finished(backend: Backend):
    records = backend.customer_records
    assert records.erasure_of(CUSTOMER) is None
    erasure_id = records.begin_erasure(CUSTOMER, NOW)
    assert len(erasure_id) == 36
    assert records.items_of(CUSTOMER) == [StoredItem(CUSTOMER, "ERASURE", ItemKind.ERASURE)]
    assert records.erasure_of(CUSTOMER) == ErasureRecord(erasure_id, NOW)
    assert records.begin_erasure(CUSTOMER, NOW + timedelta(minutes=1)) == erasure_id  # concurrent, or a crash: joined
    assert records.begin_erasure(OTHER_CUSTOMER, NOW) != erasure_id
    records.complete_erasure(CUSTOMER, erasure_id, NOW + timedelta(minutes=2))
    records.complete_erasure(CUSTOMER, erasure_id, NOW + timedelta(minutes=1))  # an earlier end moves nothing
    records.complete_erasure(CUSTOMER, "another-erasure", NOW + timedelta(minutes=9))  # not this record's
    assert records.erasure_of(CUSTOMER) == ErasureRecord(erasure_id, NOW, NOW + timedelta(minutes=2))
    again = records.begin_erasure(CUSTOMER, NOW + timedelta(hours=1))  # a new erasure, over the finished one
    assert again not in (erasure_id, "")
    assert records.erasure_of(CUSTOMER) == ErasureRecord(again, NOW + timedelta(hours=1))


def test_the_erasure_record_holds_ids_and_times_only_and_expires_after_the_hold(backend: Backend):
    records = backend.customer_records
    erasure_id = records.begin_erasure(CUSTOMER, NOW)
    done = NOW + timedelta(seconds=3)
    records.complete_erasure(CUSTOMER, erasure_id, done)
    item = raw_item(backend, f"CUSTOMER#{CUSTOMER}", "ERASURE")
    assert item == {
        "pk": f"CUSTOMER#{CUSTOMER}",
        "sk": "ERASURE",
        "entity": "ERASURE",
        "customer_id": CUSTOMER,
        "erasure_id": erasure_id,
        "started_at": iso(NOW),
        "completed_at": iso(done),
        "expires_at": int((done + ERASURE_HOLD).timestamp()),
    }
