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
    ],
)
def test_redact_removes_sensitive_values(secret):
    assert secret not in redact(f"value={secret} end")


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
