"""Hostile input on POST /webhooks/lean: random bodies, headers, encodings, sizes and signatures never get a
5xx and never queue anything unless the webhook is a valid, correctly signed beneficiary event."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lean_webhooks.core.signature import sign
from local.aws.lambda_events import http_api_event
from local.harness import samples
from tests.support.constants import WEBHOOK_SECRET
from tests.support.queues import queue_messages

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
header_names = st.sampled_from(["lean-signature", "Lean-Signature", "LEAN-SIGNATURE", "x-other", "content-type"])


@pytest.fixture
def webhook(load_function):
    return load_function("WebhookFunction")


def call(function, body: bytes, headers: dict[str, str], base64_body: bool) -> int:
    event = http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    result = function.invoke(event)
    assert result["statusCode"] < 500, result
    assert json.loads(result["body"])  # always a JSON answer
    return result["statusCode"]


@FUZZ
@given(
    body=st.binary(max_size=2048),
    headers=st.dictionaries(header_names, st.text(max_size=200), max_size=3),
    b64=st.booleans(),
)
def test_random_bytes_and_headers(aws, webhook, body, headers, b64):
    status = call(webhook, body, headers, b64)
    assert status in (400, 401, 413)
    assert queue_messages(aws, "SyncQueue") == []


@FUZZ
@given(value=json_values, b64=st.booleans())
def test_validly_signed_random_json_is_never_queued(aws, webhook, value, b64):
    body = json.dumps(value).encode()
    status = call(webhook, body, {"lean-signature": sign(body, WEBHOOK_SECRET)}, b64)
    assert status in (400, 413)
    assert queue_messages(aws, "SyncQueue") == []


FIELDS = ["type", "payload", "message", "timestamp", "event_id"]
PAYLOAD_FIELDS = [
    "id",
    "customer_id",
    "payment_source_id",
    "payment_destination_id",
    "status",
    "payment_source_bank_identifier",
]


@FUZZ
@given(
    top=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=2),
    payload=st.dictionaries(st.sampled_from(PAYLOAD_FIELDS), json_values, max_size=2),
    drop=st.lists(st.sampled_from(FIELDS + [f"payload.{f}" for f in PAYLOAD_FIELDS]), max_size=2),
    b64=st.booleans(),
)
def test_signed_mutations_of_a_valid_webhook(aws, webhook, top, payload, drop, b64):
    envelope = samples.beneficiary_webhook(samples.ids("fuzz"), "created", samples.AWAITING)
    envelope.update(top)
    if isinstance(envelope.get("payload"), dict):
        envelope["payload"] = {**envelope["payload"], **payload}
    for name in drop:
        target, _, field = name.rpartition(".")
        holder = envelope.get(target) if target else envelope
        if isinstance(holder, dict):
            holder.pop(field or name, None)
    body = json.dumps(envelope).encode()
    status = call(webhook, body, {"lean-signature": sign(body, WEBHOOK_SECRET)}, b64)
    queued = queue_messages(aws, "SyncQueue")
    assert status in (200, 400)
    assert (len(queued) == 1) == (status == 200 and envelope.get("type", "").startswith("payment_source.beneficiary"))
    for message in queued:
        aws["clients"]["sqs"].delete_message(QueueUrl=aws["refs"]["SyncQueue"], ReceiptHandle=message["ReceiptHandle"])


@FUZZ
@given(size=st.integers(min_value=60_000, max_value=200_000), signed=st.booleans())
def test_sizes_around_the_cap(aws, webhook, size, signed):
    body = b'{"type":"x","pad":"' + b"a" * size + b'"}'
    headers = {"lean-signature": sign(body, WEBHOOK_SECRET) if signed else "sha512=00"}
    status = call(webhook, body, headers, False)
    assert status == (413 if len(body) > 65536 else 400 if signed else 401)
    assert queue_messages(aws, "SyncQueue") == []


def _signed_raw(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw, {"content-type": "application/json", "lean-signature": sign(raw, WEBHOOK_SECRET)}


@pytest.mark.parametrize("depth", [1_000, 30_000])
def test_signed_json_nested_beyond_what_python_parses_is_a_400(aws, webhook, depth):
    raw = b'{"type":"x","payload":' + b"[" * depth + b"]" * depth + b"}"
    assert call(webhook, *_signed_raw(raw), base64_body=False) == 400
    assert queue_messages(aws, "SyncQueue") == []


@pytest.mark.parametrize(
    "stamp",
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59.999999999Z",
        "2026-02-30T00:00:00Z",
    ],
)
def test_signed_timestamps_at_the_calendars_edges_are_a_400(aws, webhook, stamp):
    envelope = samples.beneficiary_webhook(samples.ids("edge"), "created", samples.AWAITING)
    envelope["timestamp"] = stamp
    raw = json.dumps(envelope).encode()
    assert call(webhook, *_signed_raw(raw), base64_body=False) == 400
    assert queue_messages(aws, "SyncQueue") == []


def test_characters_sqs_refuses_are_queued_ascii_escaped(aws, webhook):
    envelope = samples.beneficiary_webhook(samples.ids("fffe"), "created", samples.AWAITING)
    envelope["message"] = "odd \ufffe\uffff characters"
    raw = json.dumps(envelope, ensure_ascii=False).encode()
    assert call(webhook, *_signed_raw(raw), base64_body=False) == 200
    [queued] = queue_messages(aws, "SyncQueue")
    assert queued["Body"].isascii() and json.loads(queued["Body"])["message"] == "odd \ufffe\uffff characters"
