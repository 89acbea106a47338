"""POST /webhooks/lean through the real handler, with moto SQS and Secrets Manager."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lean_webhooks.core.signature import sign
from local.aws.lambda_events import http_api_event
from local.harness import samples
from tests.support.constants import WEBHOOK_SECRET
from tests.support.queues import queue_messages
from tests.support.webhooks import post, signed


@pytest.fixture
def webhook(load_function):
    return load_function("WebhookFunction")


def stored_nothing(aws) -> bool:
    return not queue_messages(aws, "SyncQueue")


def test_beneficiary_webhook_is_queued_and_answered_200(aws, webhook):
    flow = samples.ids("queued")
    envelope = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    status, body = post(webhook, *signed(envelope))
    assert (status, body["status"], body["event_id"]) == (200, "accepted", envelope["event_id"])
    [message] = queue_messages(aws, "SyncQueue")
    queued = json.loads(message["Body"])
    assert queued["event_id"] == envelope["event_id"] and queued["payload"]["id"] == flow["beneficiary_id"]


def test_previous_secret_still_verifies(aws, webhook):
    aws["clients"]["secretsmanager"].put_secret_value(
        SecretId=aws["refs"]["WebhookSecret"], SecretString=json.dumps({"current": "new", "previous": WEBHOOK_SECRET})
    )
    status, _ = post(webhook, *signed(samples.beneficiary_webhook(samples.ids("rot"), "created", samples.AWAITING)))
    assert status == 200


@pytest.mark.parametrize("kind", ["payment_source.created", "payment.created", "entity.created"])
def test_ignored_types_answer_200_and_queue_nothing(aws, webhook, kind, capsys):
    envelope = samples.payment_source_created_webhook(samples.ids("ign"))
    envelope["type"] = kind
    status, body = post(webhook, *signed(envelope))
    assert (status, body["status"]) == (200, "ignored")
    assert stored_nothing(aws)
    assert '"WebhooksIgnored"' in capsys.readouterr().out  # EMF metric


def test_base64_bodies_are_decoded_before_verifying(aws, webhook):
    body, headers = signed(samples.beneficiary_webhook(samples.ids("b64"), "created", samples.AWAITING))
    status, _ = post(webhook, body, headers, base64_body=True)
    assert status == 200 and len(queue_messages(aws, "SyncQueue")) == 1


def _bad_inputs():
    flow = samples.ids("bad")
    good = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    good_body, good_headers = signed(good)
    stale = samples.beneficiary_webhook(flow, "created", samples.AWAITING, when=datetime.now(UTC) - timedelta(hours=7))
    future = samples.beneficiary_webhook(flow, "created", samples.AWAITING, when=datetime.now(UTC) + timedelta(hours=1))
    no_payload_id = json.loads(json.dumps(good))
    del no_payload_id["payload"]["id"]
    return [
        ("missing signature", good_body, {"content-type": "application/json"}, 401),
        ("wrong secret", *signed(good, "not-the-secret"), 401),
        ("tampered body", good_body.replace(b"created", b"updated"), good_headers, 401),
        ("garbage signature", good_body, {"lean-signature": "sha512=nothex"}, 401),
        ("not json", *samples_raw(b"{not json"), 400),
        ("json array", *samples_raw(b"[1,2,3]"), 400),
        ("invalid utf-8", *samples_raw(b'{"type":"\xff"}'), 400),
        ("missing payload id", *signed(no_payload_id), 400),
        ("stale timestamp", *signed(stale), 400),
        ("future timestamp", *signed(future), 400),
        ("too large", *samples_raw(b'{"pad":"' + b"x" * 70000 + b'"}'), 413),
    ]


def samples_raw(body: bytes) -> tuple[bytes, dict]:
    return body, {"content-type": "application/json", "lean-signature": sign(body, WEBHOOK_SECRET)}


@pytest.mark.parametrize(("case", "body", "headers", "expected"), _bad_inputs(), ids=[c[0] for c in _bad_inputs()])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(aws, webhook, case, body, headers, expected):
    status, answer = post(webhook, body, headers)
    assert status == expected, answer
    assert answer["error"] and answer["message"]
    assert stored_nothing(aws)


def test_invalid_base64_is_400(aws, webhook):
    event = http_api_event(
        "POST", "/webhooks/lean", body=b"x", headers={"lean-signature": "sha512=00"}, route_key="POST /webhooks/lean"
    )
    event["body"], event["isBase64Encoded"] = "***", True
    result = webhook.invoke(event)
    assert (result["statusCode"], json.loads(result["body"])["error"]) == (400, "invalid_body")
    assert result["headers"]["Content-Type"] == "application/json"
    assert stored_nothing(aws)


def test_source_ip_allowlist(aws, load_function):
    function = load_function("WebhookFunction", ALLOWED_SOURCE_CIDRS="10.0.0.0/8, 192.0.2.7/32")
    body, headers = signed(samples.beneficiary_webhook(samples.ids("ip"), "created", samples.AWAITING))
    assert post(function, body, headers, source_ip="203.0.113.9")[0] == 403
    assert stored_nothing(aws)
    assert post(function, body, headers, source_ip="192.0.2.7")[0] == 200


def test_unreadable_secret_fails_closed_with_500(aws, webhook, capsys):
    aws["clients"]["secretsmanager"].delete_secret(
        SecretId=aws["refs"]["WebhookSecret"], ForceDeleteWithoutRecovery=True
    )
    status, body = post(webhook, *signed(samples.beneficiary_webhook(samples.ids("sec"), "created", samples.AWAITING)))
    assert status == 500 and body["error"] == "internal_error"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("WebhooksFailed") == [1.0] for m in emitted)  # what the WebhooksFailedAlarm watches
    assert stored_nothing(aws)


def test_empty_secret_fails_closed(aws, webhook):
    aws["clients"]["secretsmanager"].put_secret_value(
        SecretId=aws["refs"]["WebhookSecret"], SecretString=json.dumps({"current": "", "previous": ""})
    )
    body, headers = signed(samples.beneficiary_webhook(samples.ids("empty"), "created", samples.AWAITING), "")
    status, _ = post(webhook, body, headers)
    assert status == 500  # a misconfigured secret is our fault: Lean retries, nothing is accepted
    assert stored_nothing(aws)


def test_other_routes_are_404(aws, webhook):
    event = http_api_event("GET", "/webhooks/lean", route_key="GET /webhooks/lean")
    assert webhook.invoke(event)["statusCode"] == 404


def test_accept_path_makes_exactly_one_aws_request_once_warm(aws, webhook, monkeypatch):
    """The secret is cached: a warm accept costs one SQS SendMessage, an ignored type none."""
    import botocore.client

    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        calls.append(operation_name)
        return real(self, operation_name, api_params)

    post(webhook, *signed(samples.beneficiary_webhook(samples.ids("warm"), "created", samples.AWAITING)))
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    post(webhook, *signed(samples.beneficiary_webhook(samples.ids("warm2"), "created", samples.AWAITING)))
    assert calls == ["SendMessage"]
    calls.clear()
    post(webhook, *signed(samples.payment_source_created_webhook(samples.ids("warm3"))))
    assert calls == []
