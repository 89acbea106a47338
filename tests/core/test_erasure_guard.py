"""After an erasure, nothing read from Lean before it finished is stored, pushed or published, whatever path brings
it: a sync, refresh or recovery already in flight, a late or replayed webhook. What Lean says after the erasure
is served normally. (The guard itself is the storage's: tests/unit/contract/test_erasures.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from lean_webhooks.core.activation_notifier import ActivationNotifier
from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.core.domain_events import DomainEventPublisher, domain_events
from lean_webhooks.core.erasure import CustomerErasure
from lean_webhooks.core.event_sync import EventResult, EventSync
from lean_webhooks.core.refresh import PaymentSourceRefresh
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.domain_events import BENEFICIARY_ADDED, CUSTOMER_ERASED
from lean_webhooks.models.errors import LeanNotFound
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, ERASED
from tests.core.builders import BENEFICIARY, CUSTOMER, IDENTITY, SOURCE, beneficiary_event, lean_lists, updated_event
from tests.support.fakes import (
    APP_ID,
    FakeClock,
    InMemoryStores,
    RecordingBus,
    ScriptedLean,
)

APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"
NEW_SOURCE = "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a"


@pytest.fixture
def sync(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> PaymentSourceSync:
    return PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock)


@pytest.fixture
def erase(lean, stores, platform, clock) -> Callable[[], str | None]:
    erasure = CustomerErasure(
        lean, stores.customer_records, stores.payment_sources, stores.devices, platform, 20.0, clock
    )
    return lambda: erasure.erase(CUSTOMER).event_id


def customer_items(stores: InMemoryStores) -> list[str]:
    return [i.kind.name for i in stores.customer_records.items_of(CUSTOMER)]


def after_lean_answers(lean: ScriptedLean, method: str, act: Callable[[], object], clock: FakeClock) -> None:
    """Lean answers `method` once, then, a second later, `act` runs, and a second after it the caller gets the
    answer (a call held in flight while `act` runs)."""
    original = getattr(lean, method)

    def answered(*args: object) -> object:
        answer = original(*args)
        setattr(lean, method, original)
        clock.advance(seconds=1)
        act()
        clock.advance(seconds=1)
        return answer

    setattr(lean, method, answered)


def test_a_late_webhook_about_an_erased_payment_source_stores_nothing_not_even_a_deletion(
    sync, lean, stores, clock, erase
):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=24)))
    sent = clock.now
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, sent))
    erase()
    clock.advance(hours=3)  # Lean's last retry: Lean answers 404 now, long past the grace period
    ledger_sync = EventSync(stores.ledger, sync, clock)
    outcome = ledger_sync.process(beneficiary_event("updated", ACTIVE, sent))
    assert (outcome.result, outcome.sync.status) == (EventResult.SYNCED, ERASED)
    assert customer_items(stores) == ["ERASURE"]
    outcome = ledger_sync.process(updated_event(sent))
    assert outcome.sync.status == ERASED and customer_items(stores) == ["ERASURE"]


def test_a_webhook_queued_before_the_erasure_is_done_when_lean_answers_404_within_the_grace_period(
    lean, stores, clock, erase
):
    """Lean's 404 would be retried within the grace period (Lean's API may lag its webhooks): not when the
    customer's erasure deleted it at Lean. The event is done, nothing stored, no retry, no dead letter."""
    sync = PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock, erasures=stores.customer_records)
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=24)))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    queued = beneficiary_event("updated", ACTIVE, clock.now)
    erase()
    clock.advance(minutes=1)
    assert sync.handle(queued).status == ERASED
    assert customer_items(stores) == ["ERASURE"]
    other = beneficiary_event("updated", ACTIVE, clock.now, payment_source_id=NEW_SOURCE)  # not erased since
    with pytest.raises(LeanNotFound):
        sync.handle(other)


def test_a_sync_that_read_lean_before_the_erasure_stores_nothing_after_it(sync, lean, stores, clock, erase):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    after_lean_answers(lean, "get_payment_source", erase, clock)
    outcome = sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    assert outcome.status == ERASED and customer_items(stores) == ["ERASURE"]


def test_a_refresh_that_read_lean_before_the_erasure_stores_nothing_after_it(sync, lean, stores, clock, erase):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    refresh = PaymentSourceRefresh(
        lean, sync, stores.refresh_markers, stores.payment_sources, timedelta(seconds=10), 8.0, clock
    )
    after_lean_answers(lean, "read_payment_sources", erase, clock)
    outcome = refresh.refresh(CUSTOMER)
    assert outcome.sources == [] and outcome.stored == 0
    assert customer_items(stores) == ["ERASURE"]


def test_a_refresh_while_an_erasure_is_under_way_asks_lean_nothing(sync, lean, stores, clock):
    stores.customer_records.begin_erasure(CUSTOMER, clock.now)
    refresh = PaymentSourceRefresh(
        lean, sync, stores.refresh_markers, stores.payment_sources, timedelta(seconds=10), 8.0, clock
    )
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.sources, outcome.called_lean, lean.calls) == ([], False, [])
    assert customer_items(stores) == ["ERASURE"]


def test_a_recovery_that_read_lean_before_the_erasure_stores_nothing_after_it(sync, lean, stores, clock, erase):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=1)))
    sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now))
    clock.advance(hours=2)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    after_lean_answers(lean, "get_payment_source", erase, clock)
    outcome = CoolOffRecovery(sync, stores.payment_sources, clock=clock).run()
    assert outcome.checked == 1 and outcome.failed == 0
    assert customer_items(stores) == ["ERASURE"]


def test_what_lean_creates_after_the_erasure_is_served_normally(sync, lean, stores, clock, erase):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("created", ACTIVE, clock.now))
    erase()
    clock.advance(days=2)  # the customer comes back and links a bank again
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=24)), payment_source_id=NEW_SOURCE)
    outcome = sync.handle(beneficiary_event("created", AWAITING_COOL_OFF, clock.now, payment_source_id=NEW_SOURCE))
    assert outcome.status == AWAITING_COOL_OFF
    assert [ps.payment_source_id for ps in stores.payment_sources.list_for_customer(CUSTOMER)] == [NEW_SOURCE]


def test_an_activation_stored_before_the_erasure_is_pushed_to_no_device_after_it(
    sync, lean, stores, clock, platform, erase
):
    """Its stream record comes again after the erasure, when the customer has a new phone: no push."""
    notifier = ActivationNotifier(stores.devices, stores.push_markers, platform, clock)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("updated", ACTIVE, clock.now))
    stored_at = clock.now
    erase()
    clock.advance(minutes=5)
    arn = platform.ensure_endpoint(APPLICATION, "token-new-phone", f"{CUSTOMER}/new-phone")
    stores.devices.put(DeviceRecord(CUSTOMER, "new-phone", "GCM", arn), clock.now)
    outcome = notifier.notify(BeneficiaryActivation(IDENTITY, "ENBD_UAE"), stored_at=stored_at)
    assert (outcome.sent, outcome.erased, platform.published) == (0, 1, [])
    assert customer_items(stores) == ["DEVICE", "ERASURE"]
    later = notifier.notify(BeneficiaryActivation(IDENTITY, "ENBD_UAE"), stored_at=clock.now)  # a new activation
    assert later.sent == 1


def test_no_event_of_a_change_recorded_before_the_erasure_finished_is_published(sync, lean, stores, clock, erase):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("created", ACTIVE, clock.now))
    before = list(stores.table.changes)  # still in the stream when the erasure runs
    clock.advance(seconds=1)
    erase()
    clock.advance(seconds=1)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None), payment_source_id=NEW_SOURCE)
    sync.handle(beneficiary_event("created", ACTIVE, clock.now, payment_source_id=NEW_SOURCE))
    bus = RecordingBus()
    publisher = DomainEventPublisher(bus, stores.customer_records)
    for change in stores.table.changes:
        publisher.publish(change)
    published = [(e.detail_type, e.detail_dict().get("payment_source_id")) for e in bus.events]
    assert (BENEFICIARY_ADDED, SOURCE) not in published
    assert sum(1 for change in before for _ in domain_events(change)) > 0  # there was something to withhold
    assert published[0] == (CUSTOMER_ERASED, None)
    assert (BENEFICIARY_ADDED, NEW_SOURCE) in published


def test_without_an_erasure_every_event_is_published(sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    sync.handle(beneficiary_event("created", ACTIVE, clock.now))
    bus = RecordingBus()
    publisher = DomainEventPublisher(bus, stores.customer_records)
    for change in stores.table.changes:
        publisher.publish(change)
    assert len(bus.events) == sum(len(domain_events(c)) for c in stores.table.changes) > 0
