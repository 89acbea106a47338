"""EventLedger contract: which Lean events were processed (a `synced` entry is final, a dead-lettered one is
not), and the Events API reconciliation's checkpoints."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.models.ledger import DEAD_LETTERED, SYNCED
from tests.unit.contract.conftest import NOW, Backend

TYPE = "payment_source.beneficiary.updated"


def test_an_unknown_event_is_neither_synced_nor_processed(backend: Backend):
    assert backend.ledger.synced("e1") is False
    assert backend.ledger.processed(["e1"]) == set()
    assert backend.ledger.processed([]) == set()


def test_a_synced_event_is_final(backend: Backend):
    ledger = backend.ledger
    assert ledger.record("e1", TYPE, SYNCED, NOW) is True
    assert ledger.synced("e1") is True
    assert ledger.record("e1", TYPE, f"{DEAD_LETTERED}:lean:timeout", NOW + timedelta(minutes=1)) is False
    assert ledger.record("e1", TYPE, SYNCED, NOW + timedelta(minutes=1)) is False
    assert ledger.synced("e1") is True


def test_a_dead_lettered_event_is_processed_but_not_synced_until_a_redrive_syncs_it(backend: Backend):
    ledger = backend.ledger
    assert ledger.record("e1", TYPE, f"{DEAD_LETTERED}:app_id_mismatch", NOW) is True
    assert ledger.synced("e1") is False and ledger.processed(["e1"]) == {"e1"}
    assert ledger.record("e1", TYPE, f"{DEAD_LETTERED}:again", NOW) is True  # not final: replaced
    assert ledger.record("e1", TYPE, SYNCED, NOW + timedelta(hours=1)) is True
    assert ledger.synced("e1") is True


def test_processed_answers_the_known_subset_of_any_number_of_ids(backend: Backend):
    ledger = backend.ledger
    known = [f"e{n}" for n in range(0, 130, 2)]
    for event_id in known:
        ledger.record(event_id, TYPE, SYNCED, NOW)
    asked = [f"e{n}" for n in range(130)] + ["e0", "e2"]  # more than one batch, with duplicates
    assert ledger.processed(asked) == set(known)
    assert ledger.processed(iter(["e1", "e2"])) == {"e2"}


def test_checkpoints_are_named_and_saved_as_given(backend: Backend):
    ledger = backend.ledger
    assert ledger.checkpoint("lean-events") is None
    ledger.save_checkpoint("lean-events", NOW)
    assert ledger.checkpoint("lean-events") == NOW
    ledger.save_checkpoint("lean-events", NOW - timedelta(hours=2))  # saved as given, even earlier
    assert ledger.checkpoint("lean-events") == NOW - timedelta(hours=2)
    assert ledger.checkpoint("other") is None
