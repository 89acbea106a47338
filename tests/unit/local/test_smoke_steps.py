"""scripts/smoke.py's pieces: the stack per ENV from samconfig.toml, the region, the step runner (one line a step,
the first failure stops with 1), cleanup after a failure, and each step's verdicts. The whole check runs against
the local stack in tests/integration/test_smoke.py."""

from __future__ import annotations

import argparse
import base64
import importlib.util
import io
import json
import sys

import boto3
import pytest
import responses
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from lean_webhooks.core.signature import verify
from local.aws.template import ROOT

spec = importlib.util.spec_from_file_location("smoke", ROOT / "scripts" / "smoke.py")
smoke = importlib.util.module_from_spec(spec)
sys.modules["smoke"] = smoke  # dataclasses resolve the module's annotations through sys.modules
spec.loader.exec_module(smoke)


def write_samconfig(tmp_path, text: str):
    path = tmp_path / "samconfig.toml"
    path.write_text(text)
    return path


def make_stack(**changes):
    values = {
        "name": "lean-webhooks-sandbox",
        "region": "me-central-1",
        "session": boto3.session.Session(region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x"),
        "outputs": {
            "ApiUrl": "https://api.example",
            "WebhookUrl": "https://api.example/webhooks/lean",
            "WebhookSecretArn": "webhook-secret",
            "SyncQueueUrl": "https://sqs/q",
            "SyncDeadLetterQueueUrl": "https://sqs/dlq",
        },
        "parameters": {"GcmPlatformApplicationArn": "arn:aws:sns:me-central-1:1:app/GCM/fcm"},
        "schedules": {"ReconcileEventsFunction": "lean-webhooks-sandbox-ReconcileEventsFunction-AbC"},
        "alarms": ["a"],
    }
    return smoke.Stack(**{**values, **changes})


def checker(stack=None, url=None):
    out = io.StringIO()
    check = smoke.Smoke(argparse.Namespace(url=url, env="sandbox", stack_name=None, region=None), out)
    check.stack = stack or make_stack()
    return check, out


# ---------- configuration ----------
@pytest.mark.parametrize(
    ("env", "name"), [("sandbox", "lean-webhooks-sandbox"), ("production", "lean-webhooks-production")]
)
def test_the_stack_of_each_env_is_samconfigs_stack_name(env, name):
    assert smoke.stack_name_for(env) == name


def test_an_env_samconfig_does_not_know_or_without_a_stack_name_fails_the_first_step(tmp_path):
    with pytest.raises(smoke.StepFailed, match=r"no \[staging\] environment \(have: default, production, sandbox\)"):
        smoke.stack_name_for("staging")
    config = write_samconfig(tmp_path, "version = 0.1\n[sandbox.deploy.parameters]\nresolve_s3 = true\n")
    with pytest.raises(smoke.StepFailed, match="no stack_name"):
        smoke.stack_name_for("sandbox", config)


def test_the_region_is_the_flag_then_samconfigs_then_aws_region_then_the_aws_configuration(tmp_path, monkeypatch):
    plain = write_samconfig(tmp_path, '[sandbox.global.parameters]\nstack_name = "s"\n')
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert smoke.region_for("sandbox", plain) == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "me-central-1")
    assert smoke.region_for("sandbox", plain) == "me-central-1"
    (tmp_path / "with").mkdir()
    pinned = write_samconfig(
        tmp_path / "with",
        '[sandbox.global.parameters]\nstack_name = "s"\n[sandbox.deploy.parameters]\nregion = "me-south-1"\n',
    )
    assert smoke.region_for("sandbox", pinned) == "me-south-1"
    assert smoke.region_for("sandbox", pinned, explicit="ap-south-1") == "ap-south-1"


def test_the_first_configured_platform_is_used_and_none_configured_is_none():
    assert smoke.first_platform({"GcmPlatformApplicationArn": "", "ApnsPlatformApplicationArn": "arn:a"}) == (
        "APNS",
        "ApnsPlatformApplicationArn",
    )
    assert smoke.first_platform({"GcmPlatformApplicationArn": " ", "ApnsSandboxPlatformApplicationArn": ""}) is None


def test_the_scheduled_functions_are_the_templates():
    assert set(smoke.scheduled_functions()) == {
        "ReconcileEventsFunction",
        "ReconcilePushesFunction",
        "RecoverCoolOffFunction",
    }


# ---------- the runner ----------
def test_each_step_prints_one_line_and_the_first_failure_stops_the_run_with_1():
    ran = []

    def ok(name):
        return lambda: ran.append(name) or f"{name} fine"

    def fails():
        ran.append("b")
        raise smoke.StepFailed("b broke", ["log line 1", "log line 2"])

    out = io.StringIO()
    code = smoke.run_steps([("a", ok("a")), ("b", fails), ("c", ok("c"))], out)
    assert code == 1
    assert ran == ["a", "b"]  # c never ran
    assert out.getvalue().splitlines() == [
        "[1/3] ok   a: a fine",
        "[2/3] FAIL b: b broke",
        "        log line 1",
        "        log line 2",
    ]


def test_an_unexpected_error_fails_its_step_and_all_ok_exits_0():
    out = io.StringIO()
    assert smoke.run_steps([("a", lambda: 1 / 0)], out) == 1
    assert out.getvalue() == "[1/1] FAIL a: ZeroDivisionError: division by zero\n"
    out = io.StringIO()
    assert smoke.run_steps([("a", lambda: "x"), ("b", lambda: "y")], out) == 0
    assert out.getvalue() == "[1/2] ok   a: x\n[2/2] ok   b: y\n"


# ---------- the customer API step and its cleanup ----------
class FakeApi:
    """The customer API as scripts/smoke.py calls it; `leaky` shows the token in the device list."""

    instances: list[FakeApi] = []

    def __init__(self, api_url, region, session, timeout_s):
        self.calls, self.devices_stored, self.leaky = [], {}, False
        self.erase_status = 200
        FakeApi.instances.append(self)

    def register_device(self, customer_id, device_id, platform, token):
        self.calls.append(("PUT", device_id))
        self.devices_stored[device_id] = token
        return 200, {"customer_id": customer_id, "device_id": device_id, "platform": platform, "enabled": True}

    def devices(self, customer_id):
        self.calls.append(("GET devices", None))
        shown = [{"device_id": d, **({"token": t} if self.leaky else {})} for d, t in self.devices_stored.items()]
        return 200, {"customer_id": customer_id, "devices": shown}

    def call(self, method, path, body=None, query=None):
        self.calls.append((method, path.rsplit("/", 1)[-1] if "/devices/" in path else path.count("/")))
        if method == "DELETE" and "/devices/" in path:
            device = path.rsplit("/", 1)[-1]
            return (204, None) if self.devices_stored.pop(device, None) else (404, {"error": "not_found"})
        if method == "GET":
            return 200, {"customer_id": "c", "payment_sources": [], "next_token": None}
        zeros = dict.fromkeys(smoke.ERASED_COUNTS, 0)
        return self.erase_status, {"deleted_at_lean": 0, "push_endpoints": 0, "deleted": zeros, "event_id": None}


@pytest.fixture
def fake_api(monkeypatch):
    FakeApi.instances = []
    monkeypatch.setattr(smoke, "CustomerApi", FakeApi)
    return FakeApi.instances


def test_the_customer_api_step_registers_lists_deletes_reads_and_erases(fake_api):
    check, out = checker()
    detail = check.customer_api()
    assert detail == (
        "device registered (GCM), listed without its token, deleted (204), gone; payment sources 200 (none); "
        "customer erased (200, nothing left)"
    )
    check.cleanup()
    assert out.getvalue() == ""  # nothing left to clean up
    assert [c[0] for c in fake_api[0].calls] == ["PUT", "GET devices", "DELETE", "GET devices", "GET", "DELETE"]


def test_without_a_push_platform_registration_is_skipped_not_failed(fake_api):
    check, _ = checker(make_stack(parameters={"GcmPlatformApplicationArn": ""}))
    assert check.customer_api().startswith("no push platform configured (GcmPlatformApplicationArn, ")
    assert "PUT" not in [c[0] for c in fake_api[0].calls]


def test_a_failure_after_registration_deletes_the_device_and_erases_the_customer_and_prints_no_token(
    fake_api, monkeypatch
):
    check, out = checker()
    original = FakeApi.__init__

    def leaky_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.leaky = True

    monkeypatch.setattr(FakeApi, "__init__", leaky_init)
    monkeypatch.setattr(smoke.Smoke, "steps", lambda self: [("customer API (SigV4)", self.customer_api)])
    assert check.run() == 1
    api = fake_api[0]
    assert api.devices_stored == {}  # deleted by the cleanup
    assert api.calls[-2:] == [("DELETE", check.device_id), ("DELETE", 2)]  # device, then DELETE /customers/{id}
    lines = out.getvalue().splitlines()
    assert lines == [
        "[1/1] FAIL customer API (SigV4): the device list shows the device's token",
        f"cleanup: test device {check.device_id} deleted, test customer erased",
    ]


def test_a_cleanup_that_fails_names_what_to_delete_by_hand(fake_api, monkeypatch):
    check, out = checker()

    def broken():
        check.customer_api()
        raise AssertionError("unreachable")

    def failing_erase(self, *args, **kwargs):
        FakeApi.instances.append(self)
        self.calls, self.devices_stored, self.leaky, self.erase_status = [], {}, False, 503

    monkeypatch.setattr(FakeApi, "__init__", failing_erase)
    monkeypatch.setattr(smoke.Smoke, "steps", lambda self: [("customer API (SigV4)", broken)])
    assert check.run() == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/1] FAIL customer API (SigV4): DELETE /customers/<test> answered 503, expected 200"
    assert lines[1].startswith("cleanup FAIL: erasing the test customer answered 503")
    assert check.customer_id in lines[1]


# ---------- the webhook step ----------
@mock_aws
@responses.activate
def test_the_webhook_step_signs_with_the_current_secret_and_expects_a_401_for_a_wrong_signature():
    secret = "s3cr3t-value-never-printed"
    session = boto3.session.Session(region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    arn = session.client("secretsmanager").create_secret(
        Name="w", SecretString=json.dumps({"current": secret, "previous": ""})
    )["ARN"]
    stack = make_stack(session=session)
    stack.outputs["WebhookSecretArn"] = arn
    seen = []

    def answer(request):
        seen.append(request.headers["lean-signature"])
        event_id = json.loads(request.body)["event_id"]
        if verify(request.body, request.headers["lean-signature"], [secret]):
            return 200, {}, json.dumps({"status": "ignored", "event_id": event_id})
        return 401, {}, json.dumps({"error": "invalid_signature", "message": "signature does not match the body"})

    responses.add_callback(responses.POST, "https://api.example/webhooks/lean", callback=answer)
    check, _ = checker(stack)
    detail = check.webhook()
    assert detail.startswith("payment_source.created 200 ignored (event ") and detail.endswith("wrong signature 401")
    assert len(seen) == 2 and seen[0] != seen[1]
    assert secret not in detail


@mock_aws
@responses.activate
def test_a_webhook_refused_with_the_stacks_own_secret_fails_with_a_hint():
    session = boto3.session.Session(region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    arn = session.client("secretsmanager").create_secret(Name="w", SecretString='{"current": "a", "previous": ""}')[
        "ARN"
    ]
    stack = make_stack(session=session)
    stack.outputs["WebhookSecretArn"] = arn
    responses.add(responses.POST, "https://api.example/webhooks/lean", status=401, json={"error": "invalid_signature"})
    check, _ = checker(stack)
    with pytest.raises(smoke.StepFailed, match=r"answered 401 \(invalid_signature\): .*cached 5 minutes"):
        check.webhook()


# ---------- scheduled functions ----------
def test_a_scheduled_function_error_fails_with_its_log_tail(monkeypatch):
    stack = make_stack()
    client = boto3.client("lambda", region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(smoke.Stack, "client", lambda self, service, **kwargs: client)
    log = "\n".join(f"line {n}" for n in range(20)) + "\n"
    error = json.dumps(
        {"errorType": "ConfigError", "errorMessage": "LeanCredentialsSecret: client_id missing"}
    ).encode()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "LogResult": base64.b64encode(log.encode()).decode(),
                "Payload": StreamingBody(io.BytesIO(error), len(error)),
            },
            {
                "FunctionName": "lean-webhooks-sandbox-ReconcileEventsFunction-AbC",
                "InvocationType": "RequestResponse",
                "LogType": "Tail",
                "Payload": b'{"source": "smoke"}',
            },
        )
        check, _ = checker(stack)
        with pytest.raises(smoke.StepFailed) as failed:
            check.schedules()
    assert str(failed.value) == (
        "ReconcileEventsFunction failed (ConfigError: LeanCredentialsSecret: client_id missing); its log's last lines:"
    )
    assert failed.value.details == [f"line {n}" for n in range(12, 20)]


def test_a_throttled_scheduled_function_fails_saying_its_scheduled_run_is_probably_in_progress(monkeypatch):
    client = boto3.client("lambda", region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(smoke.Stack, "client", lambda self, service, **kwargs: client)
    with Stubber(client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        check, _ = checker()
        with pytest.raises(smoke.StepFailed, match=r"ReconcileEventsFunction was throttled: .*in progress"):
            check.schedules()


@responses.activate
def test_locally_a_scheduled_function_is_run_through_the_emulator_and_its_500_fails():
    stack = make_stack(
        local_url="http://127.0.0.1:3000", schedules={"RecoverCoolOffFunction": "RecoverCoolOffFunction"}
    )
    url = "http://127.0.0.1:3000/_local/schedules/RecoverCoolOffFunction"
    responses.add(responses.POST, url, json={"result": {"checked": 2, "activated": 1}})
    check, _ = checker(stack, url=stack.local_url)
    assert check.schedules() == "RecoverCoolOffFunction (checked=2 activated=1)"
    responses.replace(responses.POST, url, status=500, json={"error": "LeanApiError", "message": "http_503"})
    with pytest.raises(smoke.StepFailed, match=r"RecoverCoolOffFunction failed \(LeanApiError: http_503\)"):
        check.schedules()


# ---------- verdicts ----------
def test_queue_depths_are_printed_and_a_non_empty_dlq_fails_with_the_redrive_hint():
    empty = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    busy = {"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesNotVisible": "2"}
    assert smoke.queue_verdict(busy, empty, "make redrive DRY_RUN=1 QUEUE=q DLQ=d") == (
        "sync queue 3 waiting, 2 in flight; DLQ 0 waiting, 0 in flight"
    )
    in_flight = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
    with pytest.raises(smoke.StepFailed, match=r"DLQ 0 waiting, 1 in flight: .*`make redrive DRY_RUN=1 QUEUE=q DLQ=d`"):
        smoke.queue_verdict(empty, in_flight, "make redrive DRY_RUN=1 QUEUE=q DLQ=d")


def test_an_alarm_in_alarm_fails_naming_it_and_insufficient_data_passes():
    states = {"a": "OK", "b": "INSUFFICIENT_DATA", "c": "OK"}
    assert smoke.alarm_verdict(["a", "b", "c"], states) == "3 alarms: 1 INSUFFICIENT_DATA, 2 OK"
    with pytest.raises(smoke.StepFailed, match=r"^2 alarm\(s\) in ALARM: b, c$"):
        smoke.alarm_verdict(["a", "b", "c"], {"a": "OK", "b": "ALARM", "c": "ALARM"})
    with pytest.raises(smoke.StepFailed, match="not found in CloudWatch: d"):
        smoke.alarm_verdict(["a", "d"], {"a": "OK"})


def test_an_erasure_that_deleted_anything_means_the_check_left_something_behind():
    zeros = dict.fromkeys(smoke.ERASED_COUNTS, 0)
    nothing = {"deleted_at_lean": 0, "push_endpoints": 0, "deleted": zeros, "event_id": None}
    assert smoke.erased_nothing(nothing)
    assert not smoke.erased_nothing({**nothing, "deleted": {**zeros, "devices": 1}, "event_id": "e"})
    assert not smoke.erased_nothing({**nothing, "push_endpoints": 1})
    assert not smoke.erased_nothing(None)


def test_error_answers_are_named_by_their_code_never_by_a_message_naming_the_caller():
    assert smoke.error_code({"error": "not_found", "message": "device not registered"}) == "not_found"
    assert smoke.error_code({"message": "Forbidden"}) == "Forbidden"
    iam = "User: arn:aws:sts::1:assumed-role/ops/jane@example.com is not authorized to perform: execute-api:Invoke"
    assert smoke.error_code({"message": iam}) is None
    with pytest.raises(smoke.StepFailed) as failed:
        smoke.expect(403, 200, {"message": iam}, "GET /customers/<test>/devices")
    assert str(failed.value) == "GET /customers/<test>/devices answered 403, expected 200"
