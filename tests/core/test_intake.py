"""core/intake.py: each Rejection (nothing queued), what is queued and what is acknowledged and ignored, and the
unroutable `payment_source.updated` that names no payment source."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from lean_webhooks.core.intake import Rejection, WebhookIntake, WebhookRejected
from lean_webhooks.core.signature import sign
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, WebhookEnvelope
from lean_webhooks.runtime.settings.webhook import WebhookSettings, parse_cidrs
from tests.core.builders import BENEFICIARY, beneficiary_webhook, stamp, updated_webhook
from tests.support.fakes import FakeClock, RecordingSyncQueue

SECRET, PREVIOUS = "current-webhook-secret", "previous-webhook-secret"
SETTINGS = WebhookSettings(sync_queue_url="queue", webhook_secret_id="secret", max_body_bytes=4096)


@pytest.fixture
def intake(queue: RecordingSyncQueue, clock: FakeClock) -> WebhookIntake:
    return WebhookIntake(SETTINGS, lambda: (SECRET, PREVIOUS), queue, clock)


def body_of(envelope: Any) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode()


def rejection(intake: WebhookIntake, body: bytes, header: str | None = "signed", ip: str | None = "203.0.113.7"):
    with pytest.raises(WebhookRejected) as rejected:
        intake.accept(body, sign(body, SECRET) if header == "signed" else header, ip)
    return rejected.value.rejection


# ---------- accepted ----------
@pytest.mark.parametrize("secret", [SECRET, PREVIOUS])
def test_a_beneficiary_webhook_signed_with_either_secret_is_queued(intake, queue, clock, secret):
    body = body_of(beneficiary_webhook("updated", ACTIVE, clock.now))
    result = intake.accept(body, sign(body, secret), "203.0.113.7")
    assert result.queued and not result.unroutable
    (event,) = queue.sent
    assert isinstance(event, BeneficiaryEvent) and event.payload.id == BENEFICIARY and result.event == event


def test_a_payment_source_update_is_queued(intake, queue, clock):
    body = body_of(updated_webhook(clock.now))
    assert intake.accept(body, sign(body, SECRET), None).queued
    assert isinstance(queue.sent[0], PaymentSourceUpdatedEvent)


@pytest.mark.parametrize("kind", ["payment_source.created", "payment.created", "entity.created"])
def test_other_types_are_acknowledged_and_ignored(intake, queue, clock, kind):
    body = body_of({**updated_webhook(clock.now), "type": kind, "payload": {"anything": [1, 2]}})
    result = intake.accept(body, sign(body, SECRET), None)
    assert (result.queued, result.unroutable, type(result.event)) == (False, False, WebhookEnvelope)
    assert queue.sent == []


def test_an_update_naming_no_payment_source_is_acknowledged_as_unroutable(intake, queue, clock):
    body = body_of({**updated_webhook(clock.now), "payload": {"status": "ACTIVE"}})
    result = intake.accept(body, sign(body, SECRET), None)
    assert (result.queued, result.unroutable) == (False, True) and queue.sent == []


def test_webhooks_just_inside_the_replay_window_and_clock_skew_are_accepted(intake, queue, clock):
    oldest = clock.now - timedelta(seconds=SETTINGS.replay_window_s)
    newest = clock.now + timedelta(seconds=SETTINGS.future_skew_s)
    for at in (oldest, newest):
        body = body_of(beneficiary_webhook("updated", ACTIVE, at))
        assert intake.accept(body, sign(body, SECRET), None).queued
    assert len(queue.sent) == 2


# ---------- rejected: nothing queued ----------
def test_a_missing_or_wrong_signature_is_refused(intake, queue, clock):
    body = body_of(beneficiary_webhook("updated", ACTIVE, clock.now))
    assert rejection(intake, body, header=None) is Rejection.BAD_SIGNATURE
    assert rejection(intake, body, header="") is Rejection.BAD_SIGNATURE
    assert rejection(intake, body, header=sign(body, "another-secret")) is Rejection.BAD_SIGNATURE
    assert rejection(intake, body, header=sign(body + b" ", SECRET)) is Rejection.BAD_SIGNATURE
    assert queue.sent == []


def test_the_signature_is_checked_before_the_body_is_read(intake, queue):
    assert rejection(intake, b"{not json", header=sign(b"other", SECRET)) is Rejection.BAD_SIGNATURE


def test_a_body_over_the_cap_is_refused_before_its_signature_is_computed(intake, queue, clock):
    body = b"x" * (SETTINGS.max_body_bytes + 1)
    assert rejection(intake, body, header="sha512=" + "0" * 128) is Rejection.TOO_LARGE
    assert queue.sent == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[" * 100_000])
def test_a_body_that_is_not_json_is_refused(intake, queue, body):
    assert rejection(intake, body[: SETTINGS.max_body_bytes]) in (Rejection.INVALID_JSON, Rejection.INVALID_BODY)
    assert queue.sent == []


@pytest.mark.parametrize("body", [b"[]", b"42", b'"text"', b"null"])
def test_json_that_is_not_an_object_is_refused(intake, queue, body):
    assert rejection(intake, body) is Rejection.INVALID_BODY


def test_an_invalid_webhook_is_refused_naming_fields_never_values(intake, queue, clock):
    envelope = beneficiary_webhook("updated", ACTIVE, clock.now)
    envelope["payload"]["customer_id"] = "AE340260001015528812001"
    with pytest.raises(WebhookRejected) as rejected:
        intake.accept(body_of(envelope), sign(body_of(envelope), SECRET), None)
    assert rejected.value.rejection is Rejection.INVALID_BODY
    assert "payload.customer_id" in rejected.value.detail and "AE3402600" not in rejected.value.detail
    assert queue.sent == []


def test_a_webhook_nested_deeper_than_python_parses_is_refused(queue, clock):
    intake = WebhookIntake(WebhookSettings("queue", "secret"), lambda: (SECRET,), queue, clock)
    body = body_of(beneficiary_webhook("updated", ACTIVE, clock.now))
    deep = body[:-1] + b',"extra":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    assert rejection(intake, deep) in (Rejection.INVALID_JSON, Rejection.INVALID_BODY)
    assert queue.sent == []


def test_a_replay_older_than_the_window_is_refused(intake, queue, clock):
    old = clock.now - timedelta(seconds=SETTINGS.replay_window_s + 1)
    assert rejection(intake, body_of(beneficiary_webhook("updated", ACTIVE, old))) is Rejection.STALE
    assert queue.sent == []


def test_a_timestamp_in_the_future_is_refused(intake, queue, clock):
    future = clock.now + timedelta(seconds=SETTINGS.future_skew_s + 1)
    assert rejection(intake, body_of(beneficiary_webhook("updated", ACTIVE, future))) is Rejection.FUTURE


def test_a_source_outside_the_allowlist_is_refused_first(queue, clock):
    settings = WebhookSettings("queue", "secret", allowed_cidrs=parse_cidrs("203.0.113.0/24, 2001:db8::/32"))
    intake = WebhookIntake(settings, lambda: (SECRET,), queue, clock)
    body = body_of(beneficiary_webhook("updated", ACTIVE, clock.now))
    for ip in ("198.51.100.1", None, "not-an-ip"):
        assert rejection(intake, body, ip=ip) is Rejection.SOURCE_NOT_ALLOWED
    assert rejection(intake, b"x" * 10**6, ip="198.51.100.1") is Rejection.SOURCE_NOT_ALLOWED
    assert intake.accept(body, sign(body, SECRET), "2001:db8::1").queued
    assert intake.accept(body, sign(body, SECRET), "203.0.113.9").queued


def test_no_usable_secret_refuses_everything(queue, clock):
    intake = WebhookIntake(SETTINGS, lambda: ("", ""), queue, clock)
    body = body_of(beneficiary_webhook("updated", ACTIVE, clock.now))
    assert rejection(intake, body, header=sign(body, "")) is Rejection.BAD_SIGNATURE


def test_the_freshness_check_reads_lean_timestamps_with_nine_fraction_digits(intake, queue, clock):
    envelope = beneficiary_webhook("updated", ACTIVE, clock.now)
    envelope["timestamp"] = stamp(clock.now).replace("Z", ".123456789Z")
    body = body_of(envelope)
    assert intake.accept(body, sign(body, SECRET), None).queued
