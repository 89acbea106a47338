"""Recovery from Lean's Events API across the sync and the events reconciler: an event the sync path never finished
is replayed exactly once, and the events the sync processed are not."""

from __future__ import annotations

import json

from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.models.webhook import SYNC_EVENT
from local.aws.pollers import _sqs_record
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.queues import queue_messages


def _sync_queue(aws, sync) -> dict:
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    records = [_sqs_record(m, aws["refs"]["SyncQueue.Arn"]) for m in messages.get("Messages", [])]
    return sync.invoke({"Records": records})


def test_lost_event_is_replayed_once_and_processed_events_are_not(aws, load_function):
    sim, flow = aws["sim"], samples.ids()
    sim.state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.ACTIVE
    )
    created = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    delivered = sim.create_event(created["type"], created["payload"])
    updated = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    lost = sim.create_event(updated["type"], updated["payload"])
    sim.create_event("payment.created", {"id": "x"})  # a type the service does not act on
    sync = load_function("SyncPaymentSourceFunction")
    aws["clients"]["sqs"].send_message(QueueUrl=aws["refs"]["SyncQueue"], MessageBody=json.dumps(delivered))
    assert _sync_queue(aws, sync) == {"batchItemFailures": []}

    reconciler = load_function("ReconcileEventsFunction")
    outcome = reconciler.invoke({"source": "aws.events"})
    assert outcome == {"seen": 2, "already_processed": 1, "replayed": 1, "invalid": 0}
    (queued,) = queue_messages(aws, "SyncQueue")
    assert SYNC_EVENT.validate_json(queued["Body"]).event_id == lost["event_id"]
    assert _sync_queue(aws, sync) == {"batchItemFailures": []}
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    assert DynamoEventLedger(table).processed([lost["event_id"], delivered["event_id"]]) == {
        lost["event_id"],
        delivered["event_id"],
    }
    again = reconciler.invoke({"source": "aws.events"})
    assert again == {"seen": 2, "already_processed": 2, "replayed": 0, "invalid": 0}
    assert queue_messages(aws, "SyncQueue") == []
