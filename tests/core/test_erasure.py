"""core/erasure.py: Lean deletes first (nothing changes here when it fails), then every item of the customer goes,
each endpoint its device owns with it; the erasure marker a crash left is reused; a second erasure finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.domain_events import domain_events
from lean_webhooks.core.erasure import CustomerErasure
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.domain_events import CUSTOMER_ERASED
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.items import StoredItem
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.statuses import ACTIVE
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


@pytest.fixture
def erasure(
    lean: ScriptedLean, stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock
) -> CustomerErasure:
    return CustomerErasure(lean, stores.customer_records, stores.devices, platform, DEADLINE_S, clock)


def store_customer(stores: InMemoryStores, lean: ScriptedLean, platform: RecordingPushPlatform, clock: FakeClock):
    """Two payment sources (one deleted before), a beneficiary stored without its payment source item, two
    devices with their endpoints, a push marker and a refresh marker; and another customer's device."""
    for psid in (SOURCE, OTHER_SOURCE):
        lean.put(lean_source(CUSTOMER, psid))
        stores.payment_sources.put_payment_source(lean.get_payment_source(CUSTOMER, psid), clock.now)
    stores.payment_sources.mark_payment_source_deleted(CUSTOMER, DELETED_SOURCE, "USER_REQUESTED", clock.now)
    lean.put(lean_source(CUSTOMER, ORPHAN_SOURCE))
    for psid, ben in ((SOURCE, BENEFICIARY), (ORPHAN_SOURCE, BENEFICIARY)):
        write = BeneficiaryWrite(BeneficiaryIdentity(CUSTOMER, psid, ben), StatusDecision(ACTIVE, True), "e", "u", None)
        stores.payment_sources.apply_beneficiary(write, clock.now)
    for customer_id, device_id in ((CUSTOMER, "phone"), (CUSTOMER, "tablet"), (OTHER_CUSTOMER, "laptop")):
        arn = platform.ensure_endpoint(APPLICATION, f"token-{device_id}", f"{customer_id}/{device_id}")
        stores.devices.put(DeviceRecord(customer_id, device_id, "GCM", arn), clock.now)
    stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", clock.now, timedelta(seconds=60))
    stores.refresh_markers.claim(CUSTOMER, clock.now, timedelta(seconds=30))
    stores.ledger.record("event-1", "payment_source.beneficiary.updated", SYNCED, clock.now)


def test_lean_deletes_what_is_still_active_there_then_every_item_goes(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    phone, tablet = (stores.devices.get(CUSTOMER, d).endpoint_arn for d in ("phone", "tablet"))
    outcome = erasure.erase(CUSTOMER)
    deletes = [c[2] for c in lean.calls_of("delete_payment_source")]
    assert deletes == sorted([SOURCE, OTHER_SOURCE, ORPHAN_SOURCE])  # not the one deleted before
    assert lean.budgets == [DEADLINE_S]
    assert outcome.deleted_at_lean == 3
    counts = {"payment_sources": 3, "beneficiaries": 2, "devices": 2, "push_markers": 1, "refresh_markers": 1}
    assert outcome.deleted == counts
    assert outcome.push_endpoints == 2 and sorted(platform.deleted) == sorted([phone, tablet])
    assert stores.customer_records.items_of(CUSTOMER) == []
    assert stores.devices.owner_of(phone) is None and stores.devices.owner_of(tablet) is None
    assert len(stores.customer_records.items_of(OTHER_CUSTOMER)) == 1
    assert stores.ledger.synced("event-1")  # event ids stay
    leftovers = [pk for pk, _ in stores.table.items if CUSTOMER in pk]
    assert leftovers == []


def test_the_erasure_is_announced_once_by_its_marker(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    outcome = erasure.erase(CUSTOMER)
    announced = [e for change in stores.table.changes for e in domain_events(change)]
    erased = [e for e in announced if e.detail_type == CUSTOMER_ERASED]
    assert [e.event_id for e in erased] == [outcome.event_id]
    detail = erased[0].detail_dict()
    assert detail == {"event_id": outcome.event_id, "occurred_at": detail["occurred_at"], "customer_id": CUSTOMER}


def test_nothing_changes_here_when_lean_fails(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    before = {k: dict(v) for k, v in stores.table.items.items()}
    lean.fail_next("delete_payment_source", LeanServerError("503", http_status=503))
    with pytest.raises(LeanServerError):
        erasure.erase(CUSTOMER)
    assert stores.table.items == before and platform.deleted == []


def test_a_payment_source_lean_no_longer_knows_is_erased_here_all_the_same(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    lean.remove(CUSTOMER, SOURCE)  # Lean answers 404: deleted before
    outcome = erasure.erase(CUSTOMER)
    assert outcome.deleted_at_lean == 2 and stores.customer_records.items_of(CUSTOMER) == []


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
    outcome = CustomerErasure(lean, records, stores.devices, platform, DEADLINE_S, clock).erase(CUSTOMER)
    assert outcome.push_endpoints == 1 and phone not in platform.deleted
    assert stores.devices.owner_of(phone) == (OTHER_CUSTOMER, "new-phone")
    assert stores.devices.get(OTHER_CUSTOMER, "new-phone").endpoint_arn == phone


def test_a_crash_midway_is_finished_by_the_retry_under_the_same_event_id(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    stores.customer_records.fail_next("delete", RuntimeError("the function timed out"), times=1)
    with pytest.raises(RuntimeError):
        erasure.erase(CUSTOMER)
    marker = stores.table.get(f"CUSTOMER#{CUSTOMER}", "ERASURE")
    assert marker is not None
    clock.advance(minutes=1)
    outcome = erasure.erase(CUSTOMER)
    assert outcome.event_id == marker["erasure_id"]
    assert stores.customer_records.items_of(CUSTOMER) == []
    erased = [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == CUSTOMER_ERASED]
    assert len(erased) == 1


def test_a_second_erasure_finds_nothing_and_changes_nothing(erasure, lean, stores, platform, clock):
    store_customer(stores, lean, platform, clock)
    erasure.erase(CUSTOMER)
    changes, calls = len(stores.table.changes), len(lean.calls)
    again = erasure.erase(CUSTOMER)
    assert (again.deleted_at_lean, again.deleted, again.push_endpoints, again.event_id) == (0, ZERO, 0, None)
    assert len(stores.table.changes) == changes and len(lean.calls) == calls


def test_a_customer_with_only_deleted_payment_sources_makes_no_lean_call(erasure, lean, stores, clock):
    stores.payment_sources.mark_payment_source_deleted(CUSTOMER, SOURCE, "USER_REQUESTED", clock.now)
    outcome = erasure.erase(CUSTOMER)
    assert (outcome.deleted_at_lean, outcome.deleted["payment_sources"]) == (0, 1)
    assert lean.calls == [] and lean.budgets == []
