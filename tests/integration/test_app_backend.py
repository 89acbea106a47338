"""The app backend's calls through the local stack: a refresh right after the LinkSDK's success (before, or
instead of, Lean's webhook), coalesced refreshes, and the erasure of a customer."""

from __future__ import annotations

import threading

import pytest

from local.harness import samples
from local.harness.client import wait_for
from tests.support.stack_flows import (
    events_of,
    lean_has,
    new_customer,
    post_ok,
    scan_for,
    settle,
    unsettle,
    wait_status,
)

pytestmark = pytest.mark.integration


def refreshed(stack, flow) -> dict:
    response = stack.refresh(flow["customer_id"])
    assert response.status_code == 200, response.text
    return response.json()


def test_a_refresh_after_a_lost_webhook_answers_the_payment_source_and_its_activation_is_pushed_once(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    created = stack.lean_webhook(samples.beneficiary_webhook(flow, "created", samples.AWAITING), lost=True)
    assert created["delivery"]["delivered"] is False  # Lean's every delivery failed
    body = refreshed(stack, flow)  # the app backend, on the LinkSDK's success
    [source] = body["payment_sources"]
    assert source["id"] == flow["payment_source_id"]
    assert [(b["status"], b["chargeable"]) for b in source["beneficiaries"]] == [(samples.AWAITING, False)]
    assert source["beneficiaries"][0]["cool_off_expiry"]
    lean_has(stack, flow, samples.ACTIVE)  # the bank's cool-off is over
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1, seconds=3)) == 1


def test_concurrent_refreshes_of_one_customer_make_one_lean_call(stack):
    flow = samples.ids()
    lean_has(stack, flow, samples.AWAITING)
    answers: list[int] = []

    def refresh() -> None:
        answers.append(stack.refresh(flow["customer_id"]).status_code)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * 4
    assert stack.lean_stats().get(f"list:{flow['customer_id']}") == 1


def test_lean_down_answers_503_with_retry_after_and_changes_nothing(stack):
    flow = samples.ids()
    lean_has(stack, flow, samples.AWAITING)
    stack.add_fault(status=503, count=None)
    response = stack.refresh(flow["customer_id"])
    assert response.status_code == 503 and response.json()["error"] == "lean_unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    assert stack.payment_sources(flow["customer_id"])["payment_sources"] == []


def test_erasing_a_customer_leaves_nothing_of_theirs_but_ledger_event_ids_and_the_erasure_record(stack):
    flow = new_customer(stack, devices=("phone", "tablet"))
    customer = flow["customer_id"]
    lean_has(stack, flow, samples.AWAITING)
    created = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    post_ok(stack, created)
    wait_status(stack, flow, samples.AWAITING)
    refreshed(stack, flow)  # a refresh marker too
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    wait_status(stack, flow, samples.ACTIVE)
    settle(stack, flow, 1)
    unsettle(stack, flow)  # an activation still unsettled, as if its push had not finished
    response = stack.erase(customer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deleted_at_lean"] == 1 and body["deleted"]["devices"] == 2 and body["push_endpoints"] == 2
    assert body["deleted"]["beneficiaries"] == 1 and body["deleted"]["push_markers"] >= 2 and body["event_id"]
    left = scan_for(stack, customer)  # nothing of theirs but the erasure's record (ids and times)
    assert [i["sk"]["S"] for i in left] == ["ERASURE"]
    assert set(left[0]) == {
        "pk",
        "sk",
        "entity",
        "customer_id",
        "erasure_id",
        "started_at",
        "completed_at",
        "expires_at",
    }
    assert scan_for(stack, created["event_id"])  # ... which it keeps
    assert stack.erase(customer).json()["deleted"]["devices"] == 0  # a second call finds nothing
    erased = wait_for(
        lambda: [e for e in stack.domain_events("Customer Erased") if e["detail"]["customer_id"] == customer],
        timeout_s=30,
        what="the Customer Erased event",
    )
    assert len(erased) == 1 and set(erased[0]["detail"]) == {"event_id", "occurred_at", "customer_id"}
    assert erased[0]["detail"]["event_id"] == body["event_id"]


def test_an_activation_a_refresh_saw_first_is_pushed_once_when_leans_update_arrives(stack):
    """The refresh stores the beneficiary ACTIVE before any webhook (it cannot tell whether the bank made the
    customer wait); Lean's beneficiary.updated, which it sends when a cool-off ends, then brings the one push."""
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    [source] = refreshed(stack, flow)["payment_sources"]
    assert source["beneficiaries"][0]["chargeable"] is True
    assert settle(stack, flow, 0, seconds=2) == []  # taken as active at creation for now
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    assert len(settle(stack, flow, 1, seconds=3)) == 1
    events = events_of(stack, flow, 2)  # announced once, when stored: whether the customer waited was not known
    assert sorted(e["detail-type"] for e in events) == ["Beneficiary Added", "Beneficiary Chargeable"]
    chargeable = next(e["detail"] for e in events if e["detail-type"] == "Beneficiary Chargeable")
    assert chargeable["after_cool_off"] is None
