"""core/events_reconciliation.py: the window read from Lean's Events API (first run, then from the checkpoint minus
the overlap), every page, bare and wrapped items, events the ledger knows skipped, unreadable items counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.events_reconciliation import (
    CHECKPOINT_NAME,
    FIRST_WINDOW,
    OVERLAP,
    PAGE_SIZE,
    EventsReconciler,
)
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.ledger import DEAD_LETTERED, SYNCED
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.models.webhook import SYNC_TYPES, BeneficiaryEvent, PaymentSourceUpdatedEvent
from tests.core.builders import beneficiary_webhook, stamp, updated_webhook
from tests.support.fakes import FakeClock, InMemoryStores, RecordingSyncQueue, ScriptedLean

MINUTE = timedelta(minutes=1)


@pytest.fixture
def reconciler(
    lean: ScriptedLean, stores: InMemoryStores, queue: RecordingSyncQueue, clock: FakeClock
) -> EventsReconciler:
    return EventsReconciler(lean, stores.ledger, queue, clock)


def replayed(queue: RecordingSyncQueue) -> list[str]:
    return [e.event_id for e in queue.sent]


def test_the_first_run_reads_the_last_day_of_every_type_the_sync_acts_on(reconciler, lean, stores, clock):
    outcome = reconciler.run()
    assert outcome.as_dict() == {"seen": 0, "already_processed": 0, "replayed": 0, "invalid": 0}
    reads = lean.calls_of("list_events")
    assert [c[1] for c in reads] == list(SYNC_TYPES)
    assert {(c[2], c[3], c[4], c[5]) for c in reads} == {(clock.now - FIRST_WINDOW, clock.now, 0, PAGE_SIZE)}
    assert stores.ledger.checkpoint(CHECKPOINT_NAME) == clock.now


def test_later_runs_read_from_the_checkpoint_with_an_overlap(reconciler, lean, stores, clock):
    reconciler.run()
    first_until = clock.now
    clock.advance(minutes=15)
    reconciler.run()
    latest = lean.calls_of("list_events")[-1]
    assert (latest[2], latest[3]) == (first_until - OVERLAP, clock.now)
    assert stores.ledger.checkpoint(CHECKPOINT_NAME) == clock.now


def test_events_whose_deliveries_all_failed_are_replayed_once(reconciler, lean, queue, stores, clock):
    lost = beneficiary_webhook("updated", ACTIVE, clock.now - 30 * MINUTE)
    synced = beneficiary_webhook("created", ACTIVE, clock.now - 40 * MINUTE)
    dead = updated_webhook(clock.now - 50 * MINUTE)
    for webhook in (lost, synced, dead):
        lean.add_event(webhook)
    lean.add_event(lost)  # Lean listing one event twice
    stores.ledger.record(synced["event_id"], synced["type"], SYNCED, clock.now)
    stores.ledger.record(dead["event_id"], dead["type"], f"{DEAD_LETTERED}:app_id_mismatch", clock.now)
    outcome = reconciler.run()
    assert (outcome.seen, outcome.already_processed, outcome.replayed, outcome.invalid) == (3, 2, 1, 0)
    assert replayed(queue) == [lost["event_id"]]
    assert isinstance(queue.sent[0], BeneficiaryEvent) and queue.sent[0].payload.status == ACTIVE


def test_events_outside_the_window_are_not_read(reconciler, lean, queue, clock):
    lean.add_event(beneficiary_webhook("updated", ACTIVE, clock.now - FIRST_WINDOW - MINUTE))
    lean.add_event(beneficiary_webhook("updated", ACTIVE, clock.now + MINUTE))
    assert reconciler.run().seen == 0 and queue.sent == []


@pytest.mark.parametrize("form", ["bare", "wrapped", "wrapped_text"])
def test_bare_and_wrapped_items_are_read_alike(reconciler, lean, queue, clock, form):
    beneficiary = beneficiary_webhook("updated", ACTIVE, clock.now - MINUTE)
    payment_source = updated_webhook(clock.now - MINUTE)
    lean.add_event(beneficiary, form)
    lean.add_event(payment_source, form)
    assert reconciler.run().replayed == 2
    assert sorted(replayed(queue)) == sorted([beneficiary["event_id"], payment_source["event_id"]])
    assert {type(e) for e in queue.sent} == {BeneficiaryEvent, PaymentSourceUpdatedEvent}


def test_unreadable_items_are_counted_and_never_replayed(reconciler, lean, queue, clock):
    at = clock.now - MINUTE
    kind = "payment_source.beneficiary.updated"
    broken = beneficiary_webhook("updated", ACTIVE, at)
    del broken["payload"]["customer_id"]
    for item in (
        "not an object",
        ["a", "list"],
        broken,
        {**beneficiary_webhook("updated", ACTIVE, at), "event_id": "not-a-uuid"},
        {"id": "1", "event_type": kind, "request": "{not json"},
        {"id": "2", "event_type": kind, "request": 42},
    ):
        lean.add_raw(kind, at, item)
    lean.add_event(beneficiary_webhook("updated", ACTIVE, at))
    outcome = reconciler.run()
    assert (outcome.invalid, outcome.replayed) == (6, 1) and len(queue.sent) == 1


def test_valid_events_of_other_types_are_neither_replayed_nor_invalid(reconciler, lean, queue, clock):
    other = {**updated_webhook(clock.now - MINUTE), "type": "payment_source.created"}
    lean.add_raw("payment_source.updated", clock.now - MINUTE, other)
    nameless = {**updated_webhook(clock.now - MINUTE), "payload": {"anything": 1}}  # names no payment source
    lean.add_raw("payment_source.updated", clock.now - MINUTE, nameless)
    outcome = reconciler.run()
    assert (outcome.seen, outcome.invalid, outcome.replayed) == (0, 0, 0)


def test_every_page_is_read(reconciler, lean, queue, clock):
    for n in range(PAGE_SIZE + 5):
        lean.add_event(beneficiary_webhook("updated", ACTIVE, clock.now - timedelta(seconds=n + 1)))
    assert reconciler.run().replayed == PAGE_SIZE + 5
    pages = [c[4] for c in lean.calls_of("list_events") if c[1] == "payment_source.beneficiary.updated"]
    assert pages == [0, 1]


def test_too_many_pages_fail_the_run_without_moving_the_checkpoint(lean, stores, queue, clock):
    for n in range(2 * PAGE_SIZE + 1):
        lean.add_event(beneficiary_webhook("updated", ACTIVE, clock.now - timedelta(seconds=n + 1)))
    with pytest.raises(RuntimeError, match="more than 2 pages"):
        EventsReconciler(lean, stores.ledger, queue, clock, max_pages=2).run()
    assert stores.ledger.checkpoint(CHECKPOINT_NAME) is None and queue.sent == []


def test_a_lean_failure_moves_no_checkpoint(reconciler, lean, stores, queue, clock):
    lean.add_event(beneficiary_webhook("updated", ACTIVE, clock.now - MINUTE))
    lean.fail_next("list_events", LeanServerError("Lean API 503", http_status=503))
    with pytest.raises(LeanServerError):
        reconciler.run()
    assert stores.ledger.checkpoint(CHECKPOINT_NAME) is None and queue.sent == []


def test_a_queue_failure_moves_no_checkpoint_so_the_next_run_replays(reconciler, lean, stores, queue, clock):
    webhook = beneficiary_webhook("updated", ACTIVE, clock.now - MINUTE)
    lean.add_event(webhook)
    queue.fail_next("send", RuntimeError("AWS.SimpleQueueService.NonExistentQueue"))
    with pytest.raises(RuntimeError):
        reconciler.run()
    assert stores.ledger.checkpoint(CHECKPOINT_NAME) is None
    clock.advance(minutes=5)
    assert reconciler.run().replayed == 1 and replayed(queue) == [webhook["event_id"]]


def test_timestamps_with_lean_fractions_are_read(reconciler, lean, queue, clock):
    webhook = beneficiary_webhook("updated", ACTIVE, clock.now - MINUTE)
    webhook["timestamp"] = stamp(clock.now - MINUTE).replace("Z", ".1234567Z")
    lean.add_event(webhook)
    assert reconciler.run().replayed == 1
