"""Erasing a customer through the customer API's handler, on moto and the Lean simulator: Lean's DELETE of what it
lists first, then every item of the customer and its push endpoints, the erasure's record (ids and times) left;
idempotent; Lean failing answers 503 with Retry-After (502 when Lean refuses) and a repeat completes it; an
endpoint that moved to another customer survives; the erasure's hold outlasts every late message."""

from __future__ import annotations

from datetime import timedelta

from local.harness import samples
from local.lean_sim import Fault
from tests.support.customer_api import answer, call
from tests.support.erasures import TOKEN, endpoints_of, erased, items_of, onboarded

ZEROS = {"payment_sources": 0, "beneficiaries": 0, "devices": 0, "push_markers": 0, "refresh_markers": 0, "other": 0}


def test_erasure_deletes_at_lean_then_everything_of_the_customer_and_a_second_call_finds_nothing(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = onboarded(aws, api)
    customer = flow["customer_id"]
    assert items_of(aws, customer) and len(endpoints_of(customer)) == 2
    status, body = call(api, "DELETE", f"/customers/{customer}")
    assert status == 200 and body["customer_id"] == customer and body["deleted_at_lean"] == 1
    assert body["deleted"] == {
        **ZEROS,
        "payment_sources": 1,
        "beneficiaries": 1,
        "devices": 2,
        "push_markers": 3,
        "refresh_markers": 1,
    }
    assert body["push_endpoints"] == 2 and body["event_id"]
    assert (customer, flow["payment_source_id"]) not in aws["sim"].state.payment_sources  # Lean's DELETE
    assert erased(aws, customer) and endpoints_of(customer) == []
    status, again = call(api, "DELETE", f"/customers/{customer}")
    assert status == 200 and again["deleted"] == ZEROS and again["deleted_at_lean"] == 0 and again["event_id"] is None


def test_lean_failing_answers_503_with_retry_after_and_a_repeat_completes_the_erasure(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = onboarded(aws, api)
    customer = flow["customer_id"]
    before = items_of(aws, customer)
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    failed = answer(api, "DELETE", f"/customers/{customer}")
    assert failed.status == 503 and failed.body["error"] == "lean_unavailable"
    assert int(failed.headers["retry-after"]) >= 1
    left = items_of(aws, customer)
    assert len(left) == len(before) + 1 and len(endpoints_of(customer)) == 2  # the record under way, added
    aws["sim"].state.faults.clear()
    aws["sim"].state.faults.append(Fault(status=400, count=None))  # Lean refuses: 502, no Retry-After
    refused = answer(api, "DELETE", f"/customers/{customer}")
    assert refused.status == 502 and "retry-after" not in refused.headers and items_of(aws, customer) == left
    aws["sim"].state.faults.clear()
    status, done = call(api, "DELETE", f"/customers/{customer}")
    assert status == 200 and done["deleted_at_lean"] == 1 and erased(aws, customer)


def test_an_endpoint_that_moved_to_another_customer_survives_the_erasure(aws, load_function):
    api = load_function("CustomerApiFunction")
    first, second = samples.ids()["customer_id"], samples.ids()["customer_id"]
    body = {"platform": "GCM", "token": TOKEN + "shared"}
    assert call(api, "PUT", f"/customers/{first}/devices/phone", body)[0] == 200
    assert call(api, "PUT", f"/customers/{second}/devices/phone", body)[0] == 200  # the phone changed hands
    status, erased = call(api, "DELETE", f"/customers/{first}")
    assert status == 200 and erased["push_endpoints"] == 0
    assert len(endpoints_of(second)) == 1 and call(api, "GET", f"/customers/{second}/devices")[1]["devices"]


def test_the_erasure_hold_outlasts_every_late_message_the_stack_can_still_deliver():
    """ErasureHoldDays (35 by default) is at least the longest a message read before an erasure can wait: Lean's
    retries (3 h), the sync queue's retention, then the dead-letter queue's, twice (a redriven message can be
    dead-lettered again), and the push reconciler's window (48 h + 7 days)."""
    from lean_webhooks.adapters.dynamodb.keys import ERASURE_HOLD
    from lean_webhooks.core.push_reconciliation import ABANDON_SCAN, LOOKBACK
    from local.aws import template as tpl

    template = tpl.load()
    hold = timedelta(days=template["Parameters"]["ErasureHoldDays"]["Default"])
    shortest = timedelta(days=template["Parameters"]["ErasureHoldDays"]["MinValue"])  # what a deploy may set
    assert hold == ERASURE_HOLD == timedelta(days=35)
    queue = template["Resources"]["SyncQueue"]["Properties"]["MessageRetentionPeriod"]
    dead_letters = template["Resources"]["SyncDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"]
    lean_retries = timedelta(hours=3)
    assert shortest >= lean_retries + timedelta(seconds=queue + 2 * dead_letters)
    assert shortest >= LOOKBACK + ABANDON_SCAN
    env = template["Resources"]["CustomerApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ERASURE_HOLD_DAYS"] == {"Ref": "ErasureHoldDays"}
