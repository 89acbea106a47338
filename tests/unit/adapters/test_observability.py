"""Log lines never carry IBANs, account numbers, device tokens or bearer tokens."""

import io
import json

import pytest

from lean_webhooks.runtime.observability import logger, redact


@pytest.mark.parametrize(
    "secret",
    [
        "AE340260001015528812001",  # IBAN
        "SA0380000000608010167519",  # KSA IBAN
        "1015528812001",  # account number
        "ab" * 32,  # APNs token
        "fcm-token-abcdefghijklmnop:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ",  # FCM token
        "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        "ae340260001015528812001",  # lower-case IBAN
        "AE34 0260 0010 1552 8812 001",  # IBAN in groups
        "ae34 0260 0010 1552 8812 001",
        "1015-5288-12001",  # account number with dashes
        "12345678",  # 8-digit account number
        "ab" * 100,  # 200-hex APNs token
        "dQw4w9WgXcQ-" + "k" * 140,  # FCM registration token without a colon
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAiLCJzY29wZSI6ImFwaSJ9.c2lnbmF0dXJl",  # bare JWT
    ],
)
def test_redact_removes_sensitive_values(secret):
    assert secret not in redact(f"value={secret} end")


@pytest.mark.parametrize("prefix", ["iban_", "x=", "AE34_", '"'])
def test_ibans_after_underscores_and_punctuation_are_redacted(prefix):
    assert "AE340260001015528812001" not in redact(f"{prefix}AE340260001015528812001")


def test_registered_secrets_are_redacted_in_any_case():
    from lean_webhooks.runtime.observability import register_secret

    register_secret("the-Webhook-Secret-42")
    line = redact("secret the-Webhook-Secret-42 THE-WEBHOOK-SECRET-42 the-webhook-secret-42")
    assert "ecret-42" not in line.lower().replace("secret [redacted]", "")


def test_external_labels_are_restricted_to_a_safe_alphabet_and_length():
    from lean_webhooks.models.errors import error_for
    from lean_webhooks.models.labels import safe_label

    assert safe_label('payment.created\n{"iban": "AE34"} <script>') == "payment.creatediban:AE34script"
    assert len(safe_label("x" * 500)) == 64
    error = error_for(503, "BAD\nSTATUS AE340260001015528812001 " + "y" * 200, "m")
    assert "\n" not in error.reason and " " not in error.reason and len(error.lean_status) == 64


def test_every_spelling_is_redacted_in_real_log_lines():
    spellings = ["ae34 0260 0010 1552 8812 001", "1015-5288-12001", "12345678", "ab" * 100, "e" + "K" * 120]
    stream = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(stream)
    try:
        for value in spellings:
            logger.warning("lean said", extra={"detail": f"value {value} end", "nested": {"v": value}})
    finally:
        handler.setStream(previous)
    out = stream.getvalue()
    assert not [v for v in spellings if v in out], out


def test_ids_and_statuses_survive_redaction():
    line = "customer 3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f status ACTIVE at 2026-11-25T08:00:00.000000Z"
    assert redact(line) == line


def test_logger_output_is_redacted():
    stream = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(stream)
    try:
        logger.info("synced", extra={"iban": "AE340260001015528812001", "token": "ab" * 32})
    finally:
        handler.setStream(previous)
    out = stream.getvalue()
    assert "AE340260001015528812001" not in out and "ab" * 32 not in out
    assert json.loads(out.strip().splitlines()[-1])["message"] == "synced"


def test_arn_account_ids_survive_redaction():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:WebhookFunction"
    assert redact(arn) == arn
    assert "123456789012" not in redact('{"account_number":123456789012}')


def test_log_lines_keep_the_request_id_and_cold_start_but_not_what_the_log_group_says():
    from types import SimpleNamespace

    context = SimpleNamespace(
        function_name="WebhookFunction",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:WebhookFunction",
        aws_request_id="6a1b2c3d-0000-4000-8000-000000000001",
    )
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    try:
        logger.inject_lambda_context(lambda event, ctx: logger.info("webhook accepted"))({}, context)
    finally:
        logger.registered_handler.setStream(previous)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["function_request_id"] == context.aws_request_id and "cold_start" in line
    assert not {"function_arn", "function_name", "function_memory_size"} & set(line)
