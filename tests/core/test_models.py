"""Lean webhook and payment-source models: envelope, timestamps, ids, tolerance of extra fields."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.statuses import is_chargeable
from lean_webhooks.models.timestamps import parse_rfc3339
from lean_webhooks.models.webhook import BeneficiaryEvent, WebhookEnvelope, parse_webhook
from local.harness import samples

APP_ID = "2c9280887230f322017231b408cf0007"  # the app id of Lean's own example: opaque, not a UUID


@pytest.mark.parametrize(
    ("raw", "micro"),
    [
        ("2026-03-01T10:20:30.123456Z", 123456),
        ("2026-03-01T10:20:30.1234567Z", 123456),
        ("2026-03-01T10:20:30.123456789Z", 123456),
        ("2026-03-01T10:20:30Z", 0),
    ],
)
def test_rfc3339_timestamps_with_up_to_nine_fraction_digits(raw, micro):
    parsed = parse_rfc3339(raw)
    assert parsed == datetime(2026, 3, 1, 10, 20, 30, micro, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["2026-03-01 10:20:30", "2026-03-01T10:20:30.123", "yesterday", "", 12345])
def test_bad_or_zoneless_timestamps_are_refused(raw):
    with pytest.raises(ValueError, match=r"RFC 3339|timestamp"):
        parse_rfc3339(raw)


def test_beneficiary_event_tolerates_extra_fields_and_normalises_ids():
    flow = samples.ids("models")
    data = samples.beneficiary_webhook(flow, "created", samples.AWAITING)
    data["payload"]["id"] = data["payload"]["id"].upper()
    data["payload"]["brand_new_field"] = {"x": 1}
    event = parse_webhook(data)
    assert isinstance(event, BeneficiaryEvent)
    assert event.payload.id == flow["beneficiary_id"]
    assert not event.is_update
    assert parse_webhook(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)).is_update


def test_unknown_status_is_kept_as_is():
    flow = samples.ids("status")
    event = parse_webhook(samples.beneficiary_webhook(flow, "updated", "SUSPENDED_BY_BANK"))
    assert event.payload.status == "SUSPENDED_BY_BANK"
    assert not is_chargeable("SUSPENDED_BY_BANK")
    assert is_chargeable("ACTIVE")


def test_payment_source_created_and_unknown_types_are_bare_envelopes():
    flow = samples.ids("types")
    assert type(parse_webhook(samples.payment_source_created_webhook(flow))) is WebhookEnvelope
    other = {**samples.payment_source_created_webhook(flow), "type": "payment.created", "payload": {"any": 1}}
    parsed = parse_webhook(other)
    assert type(parsed) is WebhookEnvelope and parsed.type == "payment.created"


@pytest.mark.parametrize("missing", ["type", "payload", "timestamp", "event_id"])
def test_envelope_fields_are_required(missing):
    data = samples.payment_source_created_webhook(samples.ids("req"))
    del data[missing]
    with pytest.raises(ValidationError):
        parse_webhook(data)


@pytest.mark.parametrize("field", ["id", "customer_id", "payment_source_id", "status"])
def test_beneficiary_payload_fields_the_pipeline_needs_are_required(field):
    data = samples.beneficiary_webhook(samples.ids("req"), "created", samples.AWAITING)
    del data["payload"][field]
    with pytest.raises(ValidationError):
        parse_webhook(data)


def test_event_id_must_be_a_uuid():
    data = samples.payment_source_created_webhook(samples.ids("uuid"), event_id="not-a-uuid")
    with pytest.raises(ValidationError):
        parse_webhook(data)


def test_payment_source_parses_lean_shape_with_deprecated_and_missing_fields():
    flow = samples.ids("ps")
    data = samples.payment_source(flow, APP_ID, samples.AWAITING)
    data["accounts"].append({"id": "acc-2", "iban": "AE070331234567890123456", "currency": "AED"})  # no balance
    data["unexpected"] = True
    source = LeanPaymentSource.model_validate(data)
    assert source.id == flow["payment_source_id"] and source.belongs_to(APP_ID)
    assert source.accounts[0].balance_last_updated is None and source.accounts[1].balance is None
    # webhook ids are lower case, API ids upper case: lookup is case-insensitive
    assert source.beneficiary(flow["beneficiary_id"].upper()).status == samples.AWAITING
    assert source.beneficiary(flow["beneficiary_id"]).beneficiary_cool_off_expiry is not None


def test_account_numbers_stay_out_of_reprs():
    data = samples.payment_source(samples.ids("repr"), APP_ID, samples.ACTIVE)
    text = repr(LeanPaymentSource.model_validate(data))
    assert "AE340260001015528812001" not in text and "1015528812001" not in text
