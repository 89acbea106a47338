"""Domain events through the local stack, as EventBridge delivers them to a target (`/_local/domain-events`):
one per stored transition whatever the duplicates and the order of Lean's webhooks, never any account data; and
Lean's Events API served in its wrapped form is recovered all the same."""

from __future__ import annotations

import json

import pytest

from local.harness import samples
from tests.support.stack_flows import events_of, lean_has, new_customer, post_ok, settle, status_of, wait_status

pytestmark = pytest.mark.integration
ACCOUNT_DATA = ("iban", "account_number", "account_name", "AE340260001015528812001", "1015528812001", "fcm-")


def test_duplicated_and_reordered_webhooks_publish_each_transition_once(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    updated = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    for _ in range(2):  # the update first (Lean's order is not guaranteed), delivered twice
        post_ok(stack, updated)
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))  # a second event, same change
    wait_status(stack, flow, samples.ACTIVE)
    lean_has(stack, flow, samples.AWAITING)  # a stale read, and the late created webhooks
    created = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    for _ in range(2):
        post_ok(stack, created)
    events = events_of(stack, flow, 2)
    assert sorted(e["detail-type"] for e in events) == ["Beneficiary Added", "Beneficiary Chargeable"]
    assert len({e["detail"]["event_id"] for e in events}) == 2 and all(
        e["source"] == "lean.payment-sources" for e in events
    )
    chargeable = next(e["detail"] for e in events if e["detail-type"] == "Beneficiary Chargeable")
    assert chargeable["after_cool_off"] is True and chargeable["beneficiary_id"] == flow["beneficiary_id"]
    assert not any(word in json.dumps(events) for word in ACCOUNT_DATA)


def test_removed_and_deleted_are_announced(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)
    response = stack.delete_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert response.status_code == 200, response.text
    events = events_of(stack, flow, 2)
    assert sorted(e["detail-type"] for e in events) == ["Beneficiary Added", "Payment Source Deleted"]
    deleted = next(e["detail"] for e in events if e["detail-type"] == "Payment Source Deleted")
    assert deleted["reason"] == "USER_REQUESTED" and deleted["payment_source_id"] == flow["payment_source_id"]


def test_a_wrapped_events_api_page_is_recovered_with_one_push(stack):
    """Lean publishes no answer body for /events/v1; its early samples wrap each event in a delivery record."""
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    lost = stack.lean_webhook(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE), lost=True)
    assert lost["delivery"]["delivered"] is False and status_of(stack, flow) is None
    stack.set_events_form("wrapped")
    try:
        run = stack.run_schedule("ReconcileEventsFunction")
    finally:
        stack.set_events_form("bare")
    assert run["replayed"] >= 1 and run["invalid"] == 0, run
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1)) == 1
