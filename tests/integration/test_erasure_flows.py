"""Erasure against the running local stack: nothing read from Lean before an erasure is stored, pushed or
published after it; Lean's own list decides what is deleted there; concurrent erasures announce one erasure.

What the table keeps of an erased customer is the erasure's record alone (ids and times)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.harness import samples
from local.harness.client import wait_for
from tests.support.stack_flows import lean_has, new_customer, post_ok, scan_for, settle, wait_status

pytestmark = pytest.mark.integration
RECORD = {"pk", "sk", "entity", "customer_id", "erasure_id", "started_at", "completed_at", "expires_at"}


def only_the_erasure_record(stack, customer_id: str) -> bool:
    left = scan_for(stack, customer_id)
    return len(left) == 1 and left[0]["sk"]["S"] == "ERASURE" and set(left[0]) == RECORD


def held_at_lean(stack, customer_id: str) -> list[dict[str, Any]]:
    response = stack.http.get(f"{stack.lean_url}/_sim/customers/{customer_id}/payment-sources", timeout=10)
    response.raise_for_status()
    return response.json()


def events_of(stack, customer_id: str) -> list[dict[str, Any]]:
    return [e for e in stack.domain_events() if e["detail"].get("customer_id") == customer_id]


def erased_events(stack, customer_id: str) -> list[dict[str, Any]]:
    return [e for e in events_of(stack, customer_id) if e["detail-type"] == "Customer Erased"]


def in_thread(call) -> tuple[threading.Thread, list]:
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(call()))
    thread.start()
    return thread, answers


def test_a_refresh_that_read_lean_before_an_erasure_stores_nothing_after_it(stack):
    """Lean's answer to the refresh is read before the erasure, then held in flight (its body trickles out) while
    the erasure runs: the refresh stores nothing of it."""
    flow = new_customer(stack)
    customer = flow["customer_id"]
    lean_has(stack, flow, samples.ACTIVE)
    faults = stack.lean_stats().get("faults", 0)
    stack.add_fault(trickle_s=0.05, count=1)  # the next Lean call: the refresh's list
    refresh, answers = in_thread(lambda: stack.refresh(customer))
    wait_for(lambda: stack.lean_stats().get("faults", 0) > faults, timeout_s=20, what="the refresh at Lean")
    erased = stack.erase(customer)
    refresh.join(timeout=60)
    assert erased.status_code == 200 and erased.json()["deleted_at_lean"] == 1
    assert answers and answers[0].status_code == 200 and answers[0].json()["payment_sources"] == []
    settle(stack, flow, 0, seconds=2)
    assert only_the_erasure_record(stack, customer)
    assert [e["detail-type"] for e in events_of(stack, customer)] == ["Customer Erased"]


def test_a_half_hour_old_webhook_replayed_after_an_erasure_stores_pushes_and_publishes_nothing(stack):
    flow = new_customer(stack)
    customer = flow["customer_id"]
    lean_has(stack, flow, samples.AWAITING)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)
    sent = datetime.now(UTC) - timedelta(minutes=30)
    late = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE, when=sent)
    assert stack.erase(customer).status_code == 200
    wait_for(lambda: erased_events(stack, customer), timeout_s=30, what="the Customer Erased event")
    before = events_of(stack, customer)
    # the customer comes back with a new phone: an old activation must not reach it
    assert stack.register_device(customer, "new-phone", "GCM", "fcm-new-phone:APA91b" + "z" * 100).status_code == 200
    post_ok(stack, late)  # Lean's retry (or a replay) of the activation, 30 minutes old: Lean now answers 404
    wait_for(lambda: scan_for(stack, late["event_id"]), timeout_s=40, what="the replay synced (its ledger entry)")
    settle(stack, flow, 0, device="new-phone", seconds=3)
    assert stack.pushes(customer) == []
    assert sorted(i["sk"]["S"] for i in scan_for(stack, customer)) == ["DEVICE#new-phone", "ENDPOINT", "ERASURE"]
    assert stack.payment_sources(customer)["payment_sources"] == []  # no deleted record either
    assert events_of(stack, customer) == before


def test_an_erasure_deletes_at_lean_a_payment_source_whose_webhook_was_lost(stack):
    flow = new_customer(stack)
    customer = flow["customer_id"]
    lean_has(stack, flow, samples.ACTIVE)
    delivered = stack.lean_webhook(samples.beneficiary_webhook(flow, "created", samples.ACTIVE), lost=True)
    assert delivered["event"]["event_id"]
    assert stack.payment_sources(customer)["payment_sources"] == []  # nothing stored here
    assert len(held_at_lean(stack, customer)) == 1
    response = stack.erase(customer)
    assert response.status_code == 200 and response.json()["deleted_at_lean"] == 1
    assert held_at_lean(stack, customer) == []
    assert only_the_erasure_record(stack, customer)


def test_two_concurrent_erasures_publish_one_customer_erased(stack):
    flow = new_customer(stack, devices=("phone", "tablet"))
    customer = flow["customer_id"]
    lean_has(stack, flow, samples.AWAITING)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)
    faults = stack.lean_stats().get("faults", 0)
    stack.add_fault(delay_s=2, count=1)  # the first erasure's list at Lean: the second starts meanwhile
    first, first_answer = in_thread(lambda: stack.erase(customer))
    wait_for(lambda: stack.lean_stats().get("faults", 0) > faults, timeout_s=20, what="the first erasure at Lean")
    second = stack.erase(customer)
    first.join(timeout=60)
    answers = [first_answer[0], second]
    assert [a.status_code for a in answers] == [200, 200]
    ids = {a.json()["event_id"] for a in answers}
    assert len(ids) == 1 and None not in ids  # the second joined the first
    wait_for(lambda: erased_events(stack, customer), timeout_s=30, what="the Customer Erased event")
    settle(stack, flow, 0, seconds=3)
    announced = erased_events(stack, customer)
    assert [e["detail"]["event_id"] for e in announced] == list(ids)
    assert only_the_erasure_record(stack, customer)
