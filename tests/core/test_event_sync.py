"""core/event_sync.py: dedupe on the event ledger, sync, record how it ended; an attempt that gives up dead-letters
the event (a redrive runs it again); a failed ledger write never fails work that is done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from lean_webhooks.core.event_sync import EventResult, EventSync
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.ledger import DEAD_LETTERED, SYNCED
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from tests.core.builders import BENEFICIARY, CUSTOMER, SOURCE, beneficiary_event, lean_lists
from tests.support.fakes import APP_ID, FakeClock, InMemoryStores, ScriptedLean


@pytest.fixture
def event_sync(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> EventSync:
    return EventSync(stores.ledger, PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock), clock)


def outcome_of(stores: InMemoryStores, event_id: str) -> str | None:
    item = stores.table.get(f"EVENT#{event_id}", "EVENT")
    return item["outcome"] if item else None


def giving_up(work: Callable[[], Any]) -> Any:
    """An attempt on the message's last try: any failure dead-letters it (None)."""
    try:
        return work()
    except Exception:
        return None


def test_an_event_is_synced_and_recorded(event_sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    event = beneficiary_event("created", AWAITING_COOL_OFF, clock.now)
    outcome = event_sync.process(event)
    assert outcome.result is EventResult.SYNCED and not outcome.ledger_write_failed
    assert outcome.sync is not None and outcome.sync.status == AWAITING_COOL_OFF
    assert outcome_of(stores, event.event_id) == SYNCED
    assert [b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)] == [AWAITING_COOL_OFF]


def test_a_duplicate_costs_one_ledger_read_and_no_lean_call(event_sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    event = beneficiary_event("updated", ACTIVE, clock.now)
    event_sync.process(event)
    changes = len(stores.table.changes)
    clock.advance(minutes=1)
    assert event_sync.process(event).result is EventResult.DUPLICATE
    assert len(lean.calls_of("get_payment_source")) == 1
    assert len(stores.table.changes) == changes


def test_an_attempt_that_gives_up_dead_letters_and_a_redrive_runs_the_event_again(event_sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    lean.fail_next("get_payment_source", LeanServerError("Lean API 503", http_status=503, lean_status="DOWN"))
    event = beneficiary_event("updated", ACTIVE, clock.now)
    outcome = event_sync.process(event, giving_up)
    assert (outcome.result, outcome.sync) == (EventResult.DEAD_LETTERED, None)
    assert outcome_of(stores, event.event_id) == DEAD_LETTERED
    assert stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE) == []
    redriven = event_sync.process(event, giving_up)  # not a duplicate: the ledger has it dead-lettered
    assert redriven.result is EventResult.SYNCED and outcome_of(stores, event.event_id) == SYNCED


def test_a_failure_worth_another_try_raises_and_records_nothing(event_sync, lean, stores, clock):
    lean.fail_next("get_payment_source", LeanServerError("Lean API 503", http_status=503))
    event = beneficiary_event("updated", ACTIVE, clock.now)
    with pytest.raises(LeanServerError):
        event_sync.process(event)
    assert stores.table.items == {}


def test_a_ledger_read_given_up_on_dead_letters_without_syncing(event_sync, lean, stores, clock):
    stores.ledger.fail_next("synced", RuntimeError("ProvisionedThroughputExceededException"))
    event = beneficiary_event("updated", ACTIVE, clock.now)
    outcome = event_sync.process(event, giving_up)
    assert outcome.result is EventResult.DEAD_LETTERED
    assert lean.calls == [] and stores.table.items == {}


def test_a_failed_ledger_write_does_not_fail_work_that_is_done(event_sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    stores.ledger.fail_next("record", RuntimeError("ProvisionedThroughputExceededException"))
    event = beneficiary_event("updated", ACTIVE, clock.now)
    outcome = event_sync.process(event)
    assert outcome.result is EventResult.SYNCED and outcome.ledger_write_failed
    assert [b.status for b in stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)] == [ACTIVE]
    assert outcome_of(stores, event.event_id) is None
    clock.advance(minutes=5)
    replay = event_sync.process(event)  # the replay runs it again, harmlessly
    assert replay.result is EventResult.SYNCED and replay.sync is not None and not replay.sync.beneficiary_written
    assert outcome_of(stores, event.event_id) == SYNCED


def test_the_ledger_records_when_the_event_was_processed(event_sync, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    event = beneficiary_event("updated", ACTIVE, clock.now - timedelta(minutes=3))
    event_sync.process(event)
    entry = stores.table.get(f"EVENT#{event.event_id}", "EVENT")
    assert entry is not None and (entry["event_type"], entry["processed_at"]) == (event.type, iso(clock.now))
