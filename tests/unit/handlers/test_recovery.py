"""Missed-webhook recovery (RecoverCoolOffFunction): overdue cool-offs found by index query and re-read from Lean.
Beneficiaries awaiting their cool-off are stored by the sync's use case as it is wired, without its handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lean_webhooks import wiring
from lean_webhooks.core.event_sync import EventResult
from lean_webhooks.models.webhook import SYNC_EVENT
from local.aws.resources import local_app_id
from local.harness import samples
from local.lean_sim import Fault
from tests.support.queues import beneficiary_items
from tests.support.wired import wired_as


@pytest.fixture
def recover(load_function):
    return load_function("RecoverCoolOffFunction", LEAN_BACKOFF_SECONDS="0.01")


def awaiting(aws, cool_off_hours: float) -> dict:
    """A beneficiary created awaiting its cool-off (ending in `cool_off_hours`), stored as the sync stores it."""
    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.AWAITING, cool_off_hours=cool_off_hours
    )
    event = SYNC_EVENT.validate_json(json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING)))
    process = lambda: wiring.event_sync().process(event)  # noqa: E731
    synced = wired_as("SyncPaymentSourceFunction", aws, process, LEAN_BACKOFF_SECONDS="0.01")
    assert synced.result is EventResult.SYNCED
    return flow


def test_overdue_beneficiary_whose_update_was_lost_is_activated(aws, recover):
    overdue, not_due = awaiting(aws, -1), awaiting(aws, 20)
    for flow in (overdue, not_due):
        aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
            flow, local_app_id(), samples.ACTIVE
        )
    calls = aws["sim"].state.stats["api"]
    result = recover.invoke({"source": "aws.events"})
    assert result == {"checked": 1, "activated": 1, "still_waiting": 0, "gone": 0, "failed": 0, "parked": 0}
    assert aws["sim"].state.stats["api"] == calls + 1  # only the overdue one was read: index query, not a scan
    [ben] = beneficiary_items(aws, overdue["customer_id"])
    assert ben["status"] == samples.ACTIVE and ben["cool_off_seen"] is True  # so the notifier pushes it
    assert [b["status"] for b in beneficiary_items(aws, not_due["customer_id"])] == [samples.AWAITING]
    assert recover.invoke({})["checked"] == 0  # activated: out of the index


def test_still_waiting_is_rechecked_later_not_every_run(aws, recover):
    awaiting(aws, -1)
    assert recover.invoke({}) == {"checked": 1, "activated": 0, "still_waiting": 1, "gone": 0, "failed": 0, "parked": 0}
    assert recover.invoke({})["checked"] == 0


def test_lean_failure_keeps_it_in_the_index_with_a_backoff(aws, recover):
    flow = awaiting(aws, -1)
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    assert recover.invoke({})["failed"] == 1
    aws["sim"].state.faults.clear()
    assert recover.invoke({})["checked"] == 0  # not at the head of the index any more: rechecked in an hour
    [item] = [i for i in aws["clients"]["dynamodb"].scan(TableName=aws["refs"]["Table"])["Items"] if "gsi1pk" in i]
    assert item["beneficiary_id"]["S"] == flow["beneficiary_id"] and item["recheck_failures"]["N"] == "1"
    assert item["gsi1sk"]["S"] > (datetime.now(UTC) + timedelta(minutes=55)).isoformat()[:19]
