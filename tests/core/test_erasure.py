"""core/erasure.py: the erasure record first; Lean deletes every payment source it lists or that is stored here;
then every item of the customer goes, each endpoint its device owns with it; the record is completed. A Lean
failure midway shows what Lean deleted as deleted and leaves the erasure under way; a repeat (or a concurrent
erasure) joins it under the same event id; a repeat of a finished erasure finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.domain_events import domain_events
from lean_webhooks.core.erasure import CustomerErasure, ErasureIncomplete
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.domain_events import CUSTOMER_ERASED, PAYMENT_SOURCE_DELETED
from lean_webhooks.models.erasure import ErasureRecord
from lean_webhooks.models.errors import LeanAuthError, LeanServerError
from lean_webhooks.models.items import StoredItem
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.statuses import ACTIVE, ERASURE_REASON
from lean_webhooks.models.timestamps import iso
from tests.core.builders import BENEFICIARY, CUSTOMER, OTHER_CUSTOMER, OTHER_SOURCE, SOURCE
from tests.support.fakes import (
    FakeClock,
    InMemoryCustomerRecords,
    InMemoryStores,
    RecordingPushPlatform,
    ScriptedLean,
    lean_source,
)

APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"
DEADLINE_S = 20.0
ZERO = {"payment_sources": 0, "beneficiaries": 0, "devices": 0, "push_markers": 0, "refresh_markers": 0}
DELETED_SOURCE = "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"
ORPHAN_SOURCE = "3f4a5b6c-7d8e-4f9a-8b0c-1d2e3f4a5b6c"
LOST_SOURCE = "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"  # held by Lean, its webhook lost: never stored here


@pytest.fixture
def erasure(
    lean: ScriptedLean, stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock
) -> CustomerErasure:
    return CustomerErasure(
        lean, stores.customer_records, stores.payment_sources, stores.devices, platform, DEADLINE_S, clock
    )


def store_customer(stores: InMemoryStores, lean: ScriptedLean, platform: RecordingPushPlatform, clock: FakeClock):
    """Two payment sources (one deleted before), a beneficiary stored without its payment source item, two
    devices with their endpoints, a push marker and a refresh marker; and another customer's device. Lean also
    holds a payment source whose webhook was lost (never stored here)."""
    for psid in (SOURCE, OTHER_SOURCE):
        lean.put(lean_source(CUSTOMER, psid))
        stores.payment_sources.put_payment_source(lean.get_payment_source(CUSTOMER, psid), clock.now)
    stores.payment_sources.mark_payment_source_deleted(CUSTOMER, DELETED_SOURCE, "USER_REQUESTED", clock.now)
    lean.put(lean_source(CUSTOMER, ORPHAN_SOURCE))
    lean.put(lean_source(CUSTOMER, LOST_SOURCE))
    for psid, ben in ((SOURCE, BENEFICIARY), (ORPHAN_SOURCE, BENEFICIARY)):
        write = BeneficiaryWrite(BeneficiaryIdentity(CUSTOMER, psid, ben), StatusDecision(ACTIVE, True), "e", "u", None)
        stores.payment_sources.apply_beneficiary(write, clock.now)
    for customer_id, device_id in ((CUSTOMER, "phone"), (CUSTOMER, "tablet"), (OTHER_CUSTOMER, "laptop")):
        arn = platform.ensure_endpoint(APPLICATION, f"token-{device_id}", f"{customer_id}/{device_id}")
        stores.devices.put(DeviceRecord(customer_id, device_id, "GCM", arn), clock.now)
    stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", clock.now, timedelta(seconds=60))
    stores.refresh_markers.claim(CUSTOMER, clock.now, timedelta(seconds=30))
    stores.ledger.record("event-1", "payment_source.beneficiary.updated", SYNCED, clock.now)


def test_lean_deletes_what_it_holds_and_what_is_stored_then_every_item_goes(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    phone, tablet = (stores.devices.get(CUSTOMER, d).endpoint_arn for d in ("phone", "tablet"))
    outcome = erasure.erase(CUSTOMER)
    deletes = [c[2] for c in lean.calls_of("delete_payment_source")]
    assert deletes == sorted([SOURCE, OTHER_SOURCE, ORPHAN_SOURCE, LOST_SOURCE])  # not the one deleted before
    assert lean.list_payment_sources(CUSTOMER) == []
    assert lean.budgets == [DEADLINE_S]
    assert outcome.deleted_at_lean == 4
    counts = {"payment_sources": 3, "beneficiaries": 2, "devices": 2, "push_markers": 1, "refresh_markers": 1}
    assert outcome.deleted == counts
    assert outcome.push_endpoints == 2 and sorted(platform.deleted) == sorted([phone, tablet])
    assert [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)] == ["ERASURE"]  # its record only
    assert stores.devices.owner_of(phone) is None and stores.devices.owner_of(tablet) is None
    assert len(stores.customer_records.items_of(OTHER_CUSTOMER)) == 1
    assert stores.ledger.synced("event-1")  # event ids stay


def test_the_record_is_written_before_anything_is_deleted_and_completed_after(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    seen: list[object] = []
    deleting = lean.delete_payment_source

    def delete_payment_source(customer_id: str, payment_source_id: str) -> bool:
        seen.append(stores.customer_records.erasure_of(CUSTOMER))
        return deleting(customer_id, payment_source_id)

    lean.delete_payment_source = delete_payment_source  # type: ignore[method-assign]
    started = clock.now
    clock.on_sleep = None
    outcome = erasure.erase(CUSTOMER)
    assert seen and all(r == ErasureRecord(outcome.event_id, started) for r in seen)  # under way while Lean deletes
    assert stores.customer_records.erasure_of(CUSTOMER) == ErasureRecord(outcome.event_id, started, clock.now)


def test_the_erasure_is_announced_once_by_its_record(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    outcome = erasure.erase(CUSTOMER)
    announced = [e for change in stores.table.changes for e in domain_events(change)]
    erased = [e for e in announced if e.detail_type == CUSTOMER_ERASED]
    assert [e.event_id for e in erased] == [outcome.event_id]
    detail = erased[0].detail_dict()
    assert detail == {"event_id": outcome.event_id, "occurred_at": iso(clock.now), "customer_id": CUSTOMER}


def test_a_half_failed_erasure_shows_what_lean_deleted_as_deleted_and_a_repeat_completes_it(
    erasure, lean, stores, platform, clock
):
    """Lean deletes three (the lost one, the orphan's, SOURCE), then fails on OTHER_SOURCE."""
    store_customer(stores, lean, platform, clock)
    deleting, tried = lean.delete_payment_source, []

    def delete_payment_source(customer_id: str, payment_source_id: str) -> bool:
        tried.append(payment_source_id)
        if payment_source_id == OTHER_SOURCE and len(tried) == 4:
            raise LeanServerError("503", http_status=503, retry_after_s=7)
        return deleting(customer_id, payment_source_id)

    lean.delete_payment_source = delete_payment_source  # type: ignore[method-assign]
    with pytest.raises(ErasureIncomplete) as failed:
        erasure.erase(CUSTOMER)
    assert failed.value.cause.retry_after_s == 7 and failed.value.deleted_at_lean == 3
    shown = stores.payment_sources.list_for_customer(CUSTOMER)
    assert SOURCE not in {ps.payment_source_id for ps in shown}  # what Lean deleted is not chargeable here
    assert [b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)] == ["DELETED"]
    assert [b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, ORPHAN_SOURCE)] == ["DELETED"]
    assert stores.table.get(f"CUSTOMER#{CUSTOMER}", f"PAYMENT_SOURCE#{LOST_SOURCE}") is None  # nothing created
    assert platform.deleted == []
    under_way = stores.customer_records.erasure_of(CUSTOMER)
    assert under_way is not None and under_way.completed_at is None
    deleted = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == PAYMENT_SOURCE_DELETED]
    by_erasure = [e.detail_dict()["payment_source_id"] for e in deleted if e.detail_dict()["reason"] == ERASURE_REASON]
    assert by_erasure == [SOURCE]
    clock.advance(minutes=1)
    outcome = erasure.erase(CUSTOMER)
    assert outcome.event_id == under_way.erasure_id
    assert [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)] == ["ERASURE"]
    assert lean.list_payment_sources(CUSTOMER) == []
    erased = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == CUSTOMER_ERASED]
    assert len(erased) == 1


def test_lean_refusing_the_list_leaves_the_erasure_under_way_and_deletes_nothing(
    erasure, lean, stores, platform, clock
):
    store_customer(stores, lean, platform, clock)
    lean.fail_next("list_payment_sources", LeanAuthError("401", http_status=401))
    with pytest.raises(ErasureIncomplete) as failed:
        erasure.erase(CUSTOMER)
    assert not failed.value.cause.retryable
    assert lean.calls_of("delete_payment_source") == [] and platform.deleted == []
    assert stores.customer_records.erasure_of(CUSTOMER).completed_at is None


def test_a_payment_source_lean_no_longer_knows_is_erased_here_all_the_same(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    lean.remove(CUSTOMER, SOURCE)  # Lean answers 404: deleted before
    outcome = erasure.erase(CUSTOMER)
    assert outcome.deleted_at_lean == 3
    assert [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)] == ["ERASURE"]


class MovedAfterTheRead(InMemoryCustomerRecords):
    """The phone's token is registered by another customer's device right after the erasure read the items."""

    def __init__(self, stores: InMemoryStores, move: Callable[[], object]) -> None:
        super().__init__(stores.table)
        self.move = move

    def items_of(self, customer_id: str) -> list[StoredItem]:
        items = super().items_of(customer_id)
        self.move()
        return items


def test_an_endpoint_that_moved_to_another_device_is_left_alone(lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    phone = stores.devices.get(CUSTOMER, "phone").endpoint_arn
    registry = DeviceRegistry({"GCM": APPLICATION}, stores.devices, platform, clock)
    records = MovedAfterTheRead(
        stores, lambda: registry.register(OTHER_CUSTOMER, "new-phone", "GCM", "token-phone", "en")
    )
    outcome = CustomerErasure(lean, records, stores.payment_sources, stores.devices, platform, DEADLINE_S, clock).erase(
        CUSTOMER
    )
    assert outcome.push_endpoints == 1 and phone not in platform.deleted
    assert stores.devices.owner_of(phone) == (OTHER_CUSTOMER, "new-phone")
    assert stores.devices.get(OTHER_CUSTOMER, "new-phone").endpoint_arn == phone


def test_a_crash_midway_is_finished_by_the_retry_under_the_same_event_id(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    stores.customer_records.fail_next("delete", RuntimeError("the function timed out"), times=1)
    with pytest.raises(RuntimeError):
        erasure.erase(CUSTOMER)
    record = stores.customer_records.erasure_of(CUSTOMER)
    assert record is not None and record.completed_at is None
    clock.advance(minutes=1)
    outcome = erasure.erase(CUSTOMER)
    assert outcome.event_id == record.erasure_id
    assert [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)] == ["ERASURE"]
    erased = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == CUSTOMER_ERASED]
    assert len(erased) == 1


def test_concurrent_erasures_join_one_record_and_announce_it_once(lean, stores, platform, clock):
    """The second erasure starts while the first waits on Lean: it joins the record under way."""
    store_customer(stores, lean, platform, clock)
    second: list[object] = []
    started: list[bool] = []
    erasure = CustomerErasure(
        lean, stores.customer_records, stores.payment_sources, stores.devices, platform, DEADLINE_S, clock
    )
    listing = lean.list_payment_sources

    def list_payment_sources(customer_id: str) -> list:
        if not started:
            started.append(True)
            second.append(erasure.erase(customer_id))  # runs to its end inside the first one's call to Lean
        return listing(customer_id)

    lean.list_payment_sources = list_payment_sources  # type: ignore[method-assign]
    first = erasure.erase(CUSTOMER)
    assert first.event_id == second[0].event_id
    erased = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == CUSTOMER_ERASED]
    assert [e.event_id for e in erased] == [first.event_id]
    assert [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)] == ["ERASURE"]


def test_a_repeat_of_a_finished_erasure_finds_nothing_and_changes_nothing(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    erasure.erase(CUSTOMER)
    changes, calls = len(stores.table.changes), len(lean.calls)
    again = erasure.erase(CUSTOMER)
    assert (again.deleted_at_lean, again.deleted, again.push_endpoints, again.event_id) == (0, ZERO, 0, None)
    assert len(stores.table.changes) == changes and lean.calls[calls:] == [("list_payment_sources", CUSTOMER)]


def test_a_customer_who_came_back_is_erased_again_under_a_new_event_id(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    first = erasure.erase(CUSTOMER)
    clock.advance(days=3)
    lean.put(lean_source(CUSTOMER, SOURCE.replace("5b", "6b")))  # a bank linked again: only Lean holds it yet
    second = erasure.erase(CUSTOMER)
    assert second.event_id not in (None, first.event_id) and second.deleted_at_lean == 1
    erased = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == CUSTOMER_ERASED]
    assert [e.event_id for e in erased] == [first.event_id, second.event_id]


def test_a_customer_with_only_deleted_payment_sources_deletes_nothing_at_lean(erasure, lean, stores, clock):
    stores.payment_sources.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", clock.now)
    outcome = erasure.erase(CUSTOMER)
    assert (outcome.deleted_at_lean, outcome.deleted["payment_sources"]) == (0, 1)
    assert lean.calls == [("list_payment_sources", CUSTOMER)] and lean.budgets == [DEADLINE_S]
