"""The app backend's calls through the local stack: the example client, SigV4-signed and verified by the
emulator as API Gateway verifies it (a wrong key gets 403); a refresh right after the LinkSDK's success (before,
or instead of, Lean's webhook), coalesced refreshes, and the erasure of a customer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import boto3
import pytest

from examples import app_backend_client as example
from local.aws.template import ROOT
from local.harness import samples
from local.harness.client import wait_for
from local.harness.signing import SigV4
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
LOCAL = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # the stack's credentials (local/stack.py)


def example_api(stack, region: str = "us-east-1", **credentials: str) -> example.CustomerApi:
    session = boto3.session.Session(**(credentials or LOCAL), region_name=region)
    return example.CustomerApi(stack.api_url, region, session)


def test_the_example_client_passes_the_emulators_sigv4_check_and_reads_everything(stack):
    """Register a device (Arabic), list it without its token, page through the payment sources, refresh a
    customer before any webhook, erase them: every call signed by the example and verified by the emulator."""
    api = example_api(stack)
    flow = samples.ids()
    token = "fcm-example:" + "E" * 140
    status, device = api.register_device(flow["customer_id"], "phone-1", "GCM", token, locale="ar")
    assert status == 200 and device["locale"] == "ar"
    status, devices = api.devices(flow["customer_id"])
    assert status == 200 and [d["device_id"] for d in devices["devices"]] == ["phone-1"]
    assert token not in json.dumps(devices)
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.ACTIVE))
    wait_status(stack, flow, samples.ACTIVE)
    assert [s["id"] for s in api.payment_sources(flow["customer_id"], limit=1)] == [flow["payment_source_id"]]
    fresh = samples.ids()  # the LinkSDK reported success: the backend refreshes before any webhook
    lean_has(stack, fresh, samples.AWAITING)
    status, page = api.refresh(fresh["customer_id"])
    assert status == 200 and [s["id"] for s in page["payment_sources"]] == [fresh["payment_source_id"]]
    status, erased = api.erase(fresh["customer_id"])
    assert status == 200 and erased["deleted"]["payment_sources"] == 1


@pytest.mark.parametrize(
    ("credentials", "region", "error_type"),
    [
        ({"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "local"}, "us-east-1", "AccessDeniedException"),
        ({"aws_access_key_id": "local", "aws_secret_access_key": "wrong"}, "us-east-1", "InvalidSignatureException"),
        (LOCAL, "me-central-1", "InvalidSignatureException"),
    ],
    ids=["wrong key", "wrong secret", "wrong region"],
)
def test_a_wrong_key_secret_or_region_gets_403_and_changes_nothing(stack, credentials, region, error_type):
    customer = samples.ids()["customer_id"]
    refused = example_api(stack, region, **credentials)
    status, answer = refused.register_device(customer, "phone-1", "GCM", "fcm-refused:" + "R" * 140)
    assert status == 403 and set(answer) == {"message"}
    signer = SigV4(credentials["aws_access_key_id"], credentials["aws_secret_access_key"], region)
    response = stack.customer_api("GET", f"/customers/{customer}/devices", auth=signer)
    assert response.status_code == 403 and response.headers["x-amzn-ErrorType"] == error_type
    status, devices = example_api(stack).devices(customer)
    assert status == 200 and devices["devices"] == []  # nothing was registered


def test_an_unsigned_call_gets_403_missing_authentication_token(stack):
    response = stack.customer_api("GET", f"/customers/{samples.ids()['customer_id']}/devices", auth=None)
    assert response.status_code == 403 and response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_the_example_script_runs_against_the_local_stack(stack):
    flow = samples.ids()
    lean_has(stack, flow, samples.AWAITING)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "us-east-1"}
    args = ["--api-url", stack.api_url, "--customer-id", flow["customer_id"], "--refresh"]
    args += ["--device-id", "phone-1", "--token", "fcm-script:" + "S" * 140, "--locale", "ar", "--erase"]
    run = subprocess.run(
        [sys.executable, "examples/app_backend_client.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "register device: 200" in run.stdout and "refresh: 200 1 payment source(s)" in run.stdout
    assert "erase: 200" in run.stdout


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
