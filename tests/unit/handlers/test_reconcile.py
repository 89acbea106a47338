"""Recovery from Lean's Events API (ReconcileEventsFunction and its use case): the events the ledger does not hold
as processed are sent to the sync queue, over windows, checkpoints and pages; malformed ones are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.core import events_reconciliation as reconcile
from lean_webhooks.core.events_reconciliation import CHECKPOINT_NAME, EventsReconciler
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.webhook import SYNC_EVENT
from local.harness import samples
from tests.support.lean import simulator_client
from tests.support.queues import queue_messages


def test_the_reconciler_replays_only_the_events_the_ledger_does_not_hold(aws, load_function):
    sim, flow = aws["sim"], samples.ids()
    created = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    synced = sim.create_event(created["type"], created["payload"])
    updated = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    lost = sim.create_event(updated["type"], updated["payload"])
    sim.create_event("payment.created", {"id": "x"})  # a type the service does not act on
    ledger = DynamoEventLedger(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    ledger.record(synced["event_id"], synced["type"], SYNCED, datetime.now(UTC))  # as the sync records it
    reconciler = load_function("ReconcileEventsFunction")
    outcome = reconciler.invoke({"source": "aws.events"})
    assert outcome == {"seen": 2, "already_processed": 1, "replayed": 1, "invalid": 0}
    (queued,) = queue_messages(aws, "SyncQueue")
    assert SYNC_EVENT.validate_json(queued["Body"]).event_id == lost["event_id"]


class Recorded:
    """A sync queue that records the ids of the events sent to it."""

    def __init__(self, sent: list[str]):
        self.sent = sent

    def send(self, event) -> None:
        self.sent.append(event.event_id)


def test_windows_checkpoint_overlap_paging_and_invalid_events(aws, monkeypatch):
    sim = aws["sim"]
    now = datetime.now(UTC)
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    ledger = DynamoEventLedger(table)

    def event_at(moment: datetime) -> dict:
        flow = samples.ids()
        data = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
        data["timestamp"] = samples.lean_timestamp(moment)
        sim.state.events.append(data)
        return data

    too_old = event_at(now - timedelta(hours=25))  # before the first run's 24 h window
    inside = [event_at(now - timedelta(hours=h)) for h in (23, 12, 2, 1)]
    sim.state.events.append({**inside[0], "event_id": "not-a-uuid"})  # malformed: counted, never replayed
    sent: list[str] = []
    monkeypatch.setattr(reconcile, "PAGE_SIZE", 2)  # several pages
    clock = [now]
    run = EventsReconciler(simulator_client(aws), ledger, Recorded(sent), clock=lambda: clock[0])
    first = run.run()
    assert first.replayed == 4 and first.invalid == 1 and too_old["event_id"] not in sent
    assert ledger.checkpoint(CHECKPOINT_NAME) is not None
    # the next run starts an hour before the checkpoint: an event stamped just before it is still seen
    late = event_at(now - timedelta(minutes=30))
    clock[0] = now + timedelta(hours=1)
    second = run.run()
    assert late["event_id"] in sent and second.replayed >= 1
    assert sent.count(inside[-1]["event_id"]) >= 1
