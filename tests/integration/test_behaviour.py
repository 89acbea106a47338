"""Every behaviour of DESIGN.md, end to end through the local stack over HTTP: webhooks in; read API,
pushes (moto SNS) and queues out; Lean faults injected through /_sim/faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from lean_webhooks.core.signature import sign
from local.aws.resources import local_app_id
from local.aws.template import ROOT
from local.harness import samples
from local.harness.client import wait_for
from local.harness.story import run_story
from tests.support.constants import INTEGRATION_SECRET as SECRET
from tests.support.stack_flows import lean_has, new_customer, post_ok, settle, status_of, wait_status

pytestmark = pytest.mark.integration
GCM = "fcm-token:APA91b" + "x" * 120


def dlq_messages(stack) -> list[dict]:
    client = stack.aws("sqs")
    url = client.get_queue_url(QueueName="lean-local-SyncDeadLetterQueue")["QueueUrl"]
    found = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return found


def test_the_onboarding_story(stack):
    lines: list[str] = []
    assert run_story(stack, SECRET, lines.append), "\n".join(lines)


def test_duplicates_and_retries_give_exactly_one_push_to_every_device(stack):
    flow = new_customer(stack, devices=("phone", "tablet"))
    lean_has(stack, flow, samples.AWAITING)
    created = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    for _ in range(3):
        post_ok(stack, created)
    wait_status(stack, flow, samples.AWAITING)
    lean_has(stack, flow, samples.ACTIVE)
    updated = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    for _ in range(3):
        post_ok(stack, updated)  # Lean retrying the same event
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))  # a second event, same change
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1, "phone")) == 1
    assert len(stack.pushes(flow["customer_id"], "tablet")) == 1


def test_updated_before_created_is_pushed_once_and_never_regresses(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    wait_status(stack, flow, samples.ACTIVE)
    lean_has(stack, flow, samples.AWAITING)  # a stale read from Lean, and a late created webhook
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    pushes = settle(stack, flow, 1, seconds=3)
    assert status_of(stack, flow) == samples.ACTIVE
    assert len(pushes) == 1


def test_active_at_creation_gets_no_push(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.ACTIVE))
    wait_status(stack, flow, samples.ACTIVE)
    ben = stack.beneficiary(flow["customer_id"], flow["beneficiary_id"])
    assert ben["chargeable"] is True
    assert settle(stack, flow, 0, seconds=3) == []


def test_unknown_status_is_stored_and_not_chargeable(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, "SUSPENDED")
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", "SUSPENDED"))
    wait_status(stack, flow, "SUSPENDED")
    assert stack.beneficiary(flow["customer_id"], flow["beneficiary_id"])["chargeable"] is False


def test_ignored_types_answer_200(stack):
    flow = samples.ids()
    response = stack.post_webhook(samples.payment_source_created_webhook(flow))
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    other = {**samples.payment_source_created_webhook(flow), "type": "payment.created", "payload": {"x": 1}}
    assert stack.post_webhook(other).json()["status"] == "ignored"


def test_bad_input_never_5xx_and_never_stores(stack):
    flow = samples.ids()
    lean_has(stack, flow, samples.AWAITING)
    envelope = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    body, headers = samples.signed(envelope, SECRET)
    cases = [
        (body, {"content-type": "application/json"}, 401),
        (body, {**headers, "lean-signature": sign(body, "wrong")}, 401),
        (body + b" ", headers, 401),
        (b"{oops", {"content-type": "application/json", "lean-signature": sign(b"{oops", SECRET)}, 400),
        (json.dumps({**envelope, "event_id": "x"}).encode(), None, 400),
        (b'{"a":"' + b"x" * 70_000 + b'"}', None, 413),
    ]
    for raw, hdrs, expected in cases:
        hdrs = hdrs or {"content-type": "application/json", "lean-signature": sign(raw, SECRET)}
        response = stack.post_raw(raw, hdrs)
        assert response.status_code == expected, (expected, response.text)
        assert response.json()["error"]
    assert stack.http.get(f"{stack.api_url}/webhooks/lean", timeout=5).status_code in (404, 405)
    assert stack.http.post(f"{stack.api_url}/webhooks/other", data=body, headers=headers, timeout=5).status_code == 404
    time.sleep(2)
    assert stack.payment_sources(flow["customer_id"])["payment_sources"] == []


def test_transient_lean_faults_are_absorbed(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    stack.add_fault(status=503, count=2)
    stack.add_fault(status=429, count=1)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)


def test_slow_lean_beyond_the_client_timeout_is_retried(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    stack.add_fault(delay_s=12, count=1)
    started = time.monotonic()
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    assert time.monotonic() - started < 5  # the webhook is answered without waiting for Lean
    wait_status(stack, flow, samples.ACTIVE, timeout_s=60)
    assert len(settle(stack, flow, 1)) == 1


def test_lean_outage_dead_letters_with_reason_then_redrive_recovers(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    stack.add_fault(status=503, count=None)
    envelope = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    post_ok(stack, envelope)  # answered 200 even though Lean is down
    dead = wait_for(
        lambda: [m for m in dlq_messages(stack) if json.loads(m["Body"])["event_id"] == envelope["event_id"]],
        timeout_s=90,
        interval_s=1,
        what="the dead-lettered message",
    )
    assert dead[0]["MessageAttributes"]["failure_reason"]["StringValue"] == "lean:http_503:SERVICE_UNAVAILABLE"
    assert status_of(stack, flow) is None
    stack.clear_faults()

    def redrive(*flags: str) -> str:
        return subprocess.run(
            [sys.executable, "scripts/redrive.py", "--local", *flags],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "LOCAL_MOTO_PORT": str(stack.ports["LOCAL_MOTO_PORT"])},
            check=True,
            timeout=60,
        ).stdout

    assert "failure_reason=lean:http_503" in redrive("--dry-run")
    assert status_of(stack, flow) is None  # a dry run moves nothing ...
    result = redrive()  # ... and hides nothing: the real redrive right after moves it
    assert "failure_reason=lean:http_503" in result and "\n0 message(s) moved" not in result
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1)) == 1


def test_activation_whose_webhook_was_lost_is_recovered_and_pushed_once(stack):
    flow = new_customer(stack)
    stack.set_payment_source(
        flow["customer_id"],
        flow["payment_source_id"],
        samples.payment_source(flow, local_app_id(), samples.AWAITING, cool_off_hours=-1),
    )
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)
    lean_has(stack, flow, samples.ACTIVE)  # the cool-off ended, and Lean's updated webhook never arrived
    response = stack.http.post(f"{stack.api_url}/_local/schedules/RecoverCoolOffFunction", timeout=60)
    assert response.status_code == 200 and response.json()["result"]["activated"] >= 1
    wait_status(stack, flow, samples.ACTIVE)
    stack.http.post(f"{stack.api_url}/_local/schedules/RecoverCoolOffFunction", timeout=60)
    assert len(settle(stack, flow, 1)) == 1


def test_update_lean_never_delivered_is_recovered_from_the_events_api_with_one_push(stack):
    """Lean's beneficiary.updated is created but every delivery fails (lost): the Events API reconciliation
    replays it into the sync path, it is stored ACTIVE and pushed exactly once; a second run replays nothing."""
    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    created = stack.lean_webhook(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    assert created["delivery"] == {"delivered": True, "status": 200, "lost": False}
    wait_status(stack, flow, samples.AWAITING)
    lean_has(stack, flow, samples.ACTIVE)
    lost = stack.lean_webhook(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE), lost=True)
    assert lost["delivery"]["delivered"] is False
    time.sleep(1)
    assert status_of(stack, flow) == samples.AWAITING  # nothing arrived
    first = stack.run_schedule("ReconcileEventsFunction")
    assert first["replayed"] >= 1, first
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1)) == 1
    wait_for(lambda: stack.queue_depths()["SyncQueue"] == 0, timeout_s=30, what="the sync queue to drain")
    second = stack.run_schedule("ReconcileEventsFunction")
    assert second["replayed"] == 0 and second["already_processed"] >= 2, second
    assert len(settle(stack, flow, 1)) == 1


def test_payment_source_updated_resyncs_and_deletion_makes_it_not_chargeable(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    stack.lean_webhook(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    wait_status(stack, flow, samples.AWAITING)
    lean_has(stack, flow, samples.ACTIVE)
    delivered = stack.lean_webhook(samples.payment_source_updated_webhook(flow))
    assert delivered["delivery"]["delivered"] is True
    wait_status(stack, flow, samples.ACTIVE)
    assert len(settle(stack, flow, 1)) == 1
    response = stack.delete_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert response.status_code == 200 and response.json()["deleted"] is True, response.text
    assert stack.payment_sources(flow["customer_id"])["payment_sources"] == []
    gone = stack.http.get(
        f"{stack.lean_url}/customers/v1/{flow['customer_id']}/payment-sources/{flow['payment_source_id']}",
        headers={"Authorization": "Bearer nothing"},
        timeout=5,
    )
    assert gone.status_code == 401 and set(gone.json()) == {"timestamp", "status", "message", "metadata"}
    late = stack.lean_webhook(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    assert late["delivery"]["delivered"] is True
    time.sleep(2)
    assert stack.payment_sources(flow["customer_id"])["payment_sources"] == []
    assert len(settle(stack, flow, 1)) == 1


def test_disabled_endpoint_is_skipped_and_others_still_pushed(stack):
    flow = new_customer(stack, devices=("old", "new"))
    stack.set_endpoint_enabled(flow["customer_id"], "old", False)
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    assert len(settle(stack, flow, 1, device="new")) == 1
    assert stack.pushes(flow["customer_id"], "old") == []


def test_read_api_validates_its_input(stack):
    assert stack.customer_api("GET", "/customers/not-a-uuid/payment-sources").status_code == 400
    response = stack.register_device(samples.ids()["customer_id"], "d", "SMS", GCM)
    assert response.status_code == 400


def test_concurrent_requests_are_answered_each_for_itself(stack):
    """Webhooks and device registrations in parallel: every answer belongs to its own request (the local stack
    runs each execution environment in its own process, like Lambda)."""
    from concurrent.futures import ThreadPoolExecutor

    def webhook(_: int) -> bool:
        envelope = samples.payment_source_created_webhook(samples.ids())
        response = stack.post_webhook(envelope)
        return response.status_code == 200 and response.json()["event_id"] == envelope["event_id"]

    def device(i: int) -> bool:
        customer = samples.ids()["customer_id"]
        response = stack.register_device(customer, f"d{i}", "GCM", f"fcm-{customer}:APA91b" + "c" * 60)
        return response.status_code == 200 and response.json()["customer_id"] == customer

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: (webhook if i % 2 else device)(i), range(60)))
    assert all(results)


def test_make_webhook_signs_and_posts_a_fresh_lean_webhook(stack):
    """`make webhook`: how a user replays a Lean delivery by hand; a wrong secret is refused."""

    def send(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "local.harness.send_webhook", *flags, "--url", f"{stack.api_url}/webhooks/lean"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    flow = new_customer(stack)
    lean_has(stack, flow, samples.AWAITING)
    ids = ["--customer-id", flow["customer_id"], "--payment-source-id", flow["payment_source_id"]]
    ids += ["--beneficiary-id", flow["beneficiary_id"]]
    sent = send("payment_source.beneficiary.created", "--secret", stack.webhook_secret, *ids)
    assert sent.returncode == 0 and sent.stdout.startswith("200 ") and '"accepted"' in sent.stdout, sent.stdout
    wait_status(stack, flow, samples.AWAITING)
    refused = send("payment_source.beneficiary.created", "--secret", "not-the-secret", *ids)
    assert refused.returncode == 1 and refused.stdout.startswith("401 ")


def test_no_pii_or_secret_in_any_log_line_and_the_function_log_is_json_lines(stack):
    """Runs last in this module: every flow above has logged by now."""
    function_log = stack.function_log.read_text()
    errors_log = stack.function_log.with_name("functions.errors.log")
    text = function_log + (errors_log.read_text() if errors_log.exists() else "") + stack.console_log.read_text()
    assert "synced" in text or "payment source synced" in text
    forbidden = ["AE340260001015528812001", "1015528812001", "APA91b", SECRET, "local-client-secret"]
    for value in forbidden:
        assert value not in text, f"{value!r} leaked into the logs"
    lines = [line for line in function_log.splitlines() if line.strip()]
    assert lines and all(line.startswith("{") and json.loads(line) for line in lines)  # tracebacks go elsewhere
