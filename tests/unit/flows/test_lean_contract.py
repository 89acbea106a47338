"""Contract tests: Lean's published payload and response shapes (docs/lean-contract.md), written from the docs,
pushed through the real models, client and pipeline. Each literal below is shaped as Lean publishes it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lean_webhooks.models.errors import LeanRateLimited, error_for
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, WebhookEnvelope, parse_webhook
from local.aws.pollers import _sqs_record
from local.harness import samples
from tests.support.constants import WEBHOOK_SECRET
from tests.support.queues import queue_messages
from tests.support.webhooks import post

# The webhook library's `payment_source.created` example (ids, timestamp and bank as published).
PUBLISHED_PAYMENT_SOURCE_CREATED = {
    "payload": {
        "id": "ab172710-740c-452b-a78f-8a36a9cf48ef",
        "customer_id": "0fd6d135-a4be-40ac-9630-1738ced7da69",
        "status": "AWAITING_BENEFICIARY_COOL_OFF",
        "bank_identifier": "LEANMB1",
        "bank_name": "Lean Mock Bank",
        "end_user_id": None,
    },
    "type": "payment_source.created",
    "message": "A payment source was pre-authorized by your customer.",
    "timestamp": "2021-06-23T14:17:34.342847Z",
    "event_id": "00405221-21fc-4aa2-a237-3edfe4c38411",
}

# The payouts guide's `payment_source.beneficiary.created` example (with end_user_id and the bank identifier).
PUBLISHED_BENEFICIARY_CREATED = {
    "payload": {
        "id": "239e9eb0-57ca-4507-9e62-dd5d8ca73abd",
        "customer_id": "d3fdefba-95cf-4522-83e6-998c8b809e66",
        "payment_source_id": "a5c6b1ca-2a1a-317f-9920-7e1bf42ad945",
        "payment_destination_id": "8c9c3271-c609-4768-8f6d-db13f67eea11",
        "status": "ACTIVE",
        "end_user_id": "93b89ff7-528e-46bc-9836-8d3746a2147f",
        "payment_source_bank_identifier": "ENBD_SME_UAE",
    },
    "type": "payment_source.beneficiary.created",
    "message": "A new beneficiary was created for the payment source.",
    "timestamp": "2022-03-10T09:00:01.1Z",
    "event_id": "6a1c64d0-2f33-4b43-a7de-5d3c0c7b1c55",
}

# The payment source object as the API reference lists it: deprecated top-level status and cool-off expiry,
# numeric balance, a 7-digit fraction with an offset, upper-case ids, end_user_ids; app id opaque.
PUBLISHED_PAYMENT_SOURCE = {
    "id": "A5C6B1CA-2A1A-317F-9920-7E1BF42AD945",
    "customer_id": "D3FDEFBA-95CF-4522-83E6-998C8B809E66",
    "app_id": "2c9280887230f322017231b408cf0007",
    "status": "ACTIVE",
    "beneficiary_cool_off_expiry": "2024-10-01T10:00:49.5260471+00:00",
    "bank_identifier": "ENBD_SME_UAE",
    "beneficiaries": [
        {
            "id": "239E9EB0-57CA-4507-9E62-DD5D8CA73ABD",
            "payment_destination_id": "8C9C3271-C609-4768-8F6D-DB13F67EEA11",
            "status": "AWAITING_BENEFICIARY_COOL_OFF",
            "beneficiary_cool_off_expiry": "2024-10-01T10:00:49.5260471+00:00",
        }
    ],
    "accounts": [
        {
            "id": "0b1d5c5a-21c3-4e55-a2e6-1d2b5b8f9f10",
            "account_id": "0b1d5c5a-21c3-4e55-a2e6-1d2b5b8f9f10",
            "account_name": "CURRENT ACCOUNT",
            "account_number": "1015528812001",
            "iban": "AE340260001015528812001",
            "balance": 6.1,
            "currency": "AED",
            "balance_last_updated": "2024-10-01T10:00:49.5260471",
        },
        {"id": "acc-2", "currency": "AED", "balance": None},
    ],
    "end_user_ids": ["93b89ff7-528e-46bc-9836-8d3746a2147f"],
}


def test_published_payment_source_parses_with_deprecated_fields_and_opaque_app_id():
    source = LeanPaymentSource.model_validate(PUBLISHED_PAYMENT_SOURCE)
    assert source.app_id == "2c9280887230f322017231b408cf0007"
    assert source.belongs_to(" 2C9280887230F322017231B408CF0007 ") and not source.belongs_to("2c92808872")
    assert source.beneficiary("239e9eb0-57ca-4507-9e62-dd5d8ca73abd").beneficiary_cool_off_expiry.year == 2024
    assert source.accounts[0].balance == 6.1 and source.accounts[0].balance_last_updated is not None
    assert source.accounts[1].balance is None and source.end_user_ids


@pytest.mark.parametrize("app_id", ["2c9280887230f322017231b408cf0007", "YOUR_APP_ID"])
def test_published_app_id_examples_are_opaque_strings_kept_as_sent(app_id):
    source = LeanPaymentSource.model_validate({**PUBLISHED_PAYMENT_SOURCE, "app_id": app_id})
    assert source.app_id == app_id and source.belongs_to(app_id.lower())


@pytest.mark.parametrize("fraction", ["", ".1", ".123", ".1234567", ".123456789"])
def test_published_timestamps_with_trimmed_fractions_parse(fraction):
    event = parse_webhook({**PUBLISHED_PAYMENT_SOURCE_CREATED, "timestamp": f"2021-06-23T14:17:34{fraction}Z"})
    assert event.timestamp.year == 2021


def test_published_payment_source_created_is_a_bare_envelope_whatever_its_payload():
    assert type(parse_webhook(PUBLISHED_PAYMENT_SOURCE_CREATED)) is WebhookEnvelope
    odd = {**PUBLISHED_PAYMENT_SOURCE_CREATED, "payload": {"id": "not-a-uuid", "customer_id": None}}
    assert type(parse_webhook(odd)) is WebhookEnvelope


def test_published_beneficiary_payload_with_and_without_bank_identifier():
    full = parse_webhook(PUBLISHED_BENEFICIARY_CREATED)
    assert isinstance(full, BeneficiaryEvent) and full.payload.payment_source_bank_identifier == "ENBD_SME_UAE"
    payload = {
        k: v for k, v in PUBLISHED_BENEFICIARY_CREATED["payload"].items() if k != "payment_source_bank_identifier"
    }
    bare = parse_webhook({**PUBLISHED_BENEFICIARY_CREATED, "payload": payload})
    assert isinstance(bare, BeneficiaryEvent) and bare.payload.payment_source_bank_identifier is None


def test_payment_source_updated_reads_ids_from_id_or_payment_source_id():
    ids = {"customer_id": "d3fdefba-95cf-4522-83e6-998c8b809e66"}
    for name in ("id", "payment_source_id"):
        event = parse_webhook(
            {
                **PUBLISHED_PAYMENT_SOURCE_CREATED,
                "type": "payment_source.updated",
                "payload": {name: "A5C6B1CA-2A1A-317F-9920-7E1BF42AD945", **ids},
            }
        )
        assert isinstance(event, PaymentSourceUpdatedEvent)
        assert event.payload.payment_source_id == "a5c6b1ca-2a1a-317f-9920-7e1bf42ad945"
    no_ids = parse_webhook({**PUBLISHED_PAYMENT_SOURCE_CREATED, "type": "payment_source.updated", "payload": {}})
    assert type(no_ids) is WebhookEnvelope  # nothing to re-sync: acknowledged, never refused


def test_published_error_body_maps_to_typed_errors():
    body = {
        "timestamp": "2024-01-01T00:00:00Z",
        "status": "RATE_LIMIT_EXCEEDED",
        "message": "slow down",
        "metadata": None,
    }
    error = error_for(429, body["status"], body["message"])
    assert isinstance(error, LeanRateLimited) and error.retryable and error.reason == "http_429:RATE_LIMIT_EXCEEDED"


def _fresh(envelope: dict[str, Any]) -> dict[str, Any]:
    return {**envelope, "timestamp": samples.lean_timestamp()}


@pytest.mark.parametrize("drop_bank_identifier", [False, True])
def test_published_beneficiary_webhook_goes_through_the_webhook_function_to_the_queue(
    aws, load_function, drop_bank_identifier
):
    envelope = _fresh(PUBLISHED_BENEFICIARY_CREATED)
    if drop_bank_identifier:
        envelope["payload"] = {k: v for k, v in envelope["payload"].items() if k != "payment_source_bank_identifier"}
    status, body = post(load_function("WebhookFunction"), *samples.signed(envelope, WEBHOOK_SECRET))
    assert status == 200 and body["status"] == "accepted"
    (queued,) = queue_messages(aws, "SyncQueue")
    assert json.loads(queued["Body"])["event_id"] == envelope["event_id"]


@pytest.mark.parametrize("event_type", ["payment_source.created", "payment.created", "entity.created"])
def test_ignored_types_are_acknowledged_whatever_their_payload(aws, load_function, event_type):
    envelope = {**_fresh(PUBLISHED_PAYMENT_SOURCE_CREATED), "type": event_type, "payload": ["anything", 1]}
    status, body = post(load_function("WebhookFunction"), *samples.signed(envelope, WEBHOOK_SECRET))
    assert status == 200 and body["status"] == "ignored"
    assert queue_messages(aws, "SyncQueue") == []


def test_published_payment_source_goes_through_client_and_sync_into_the_table(aws, load_function):
    """The published answer, our app id in Lean's format, and the published beneficiary webhook: stored."""
    source = {**PUBLISHED_PAYMENT_SOURCE, "app_id": aws["refs"]["LeanAppId"].upper()}
    aws["sim"].state.payment_sources[
        ("d3fdefba-95cf-4522-83e6-998c8b809e66", "a5c6b1ca-2a1a-317f-9920-7e1bf42ad945")
    ] = source
    envelope = {**_fresh(PUBLISHED_BENEFICIARY_CREATED)}
    envelope["payload"] = {**envelope["payload"], "status": "AWAITING_BENEFICIARY_COOL_OFF"}
    sync = load_function("SyncPaymentSourceFunction")
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    messages = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"]
    result = sync.invoke({"Records": [_sqs_record(m, aws["refs"]["SyncQueue.Arn"]) for m in messages]})
    assert result == {"batchItemFailures": []}
    customer, source_id = "d3fdefba-95cf-4522-83e6-998c8b809e66", "a5c6b1ca-2a1a-317f-9920-7e1bf42ad945"
    sk = f"PAYMENT_SOURCE#{source_id}#BENEFICIARY#239e9eb0-57ca-4507-9e62-dd5d8ca73abd"
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"], Key={"pk": {"S": f"CUSTOMER#{customer}"}, "sk": {"S": sk}}
    )["Item"]
    assert item["status"]["S"] == "AWAITING_BENEFICIARY_COOL_OFF" and item["bank_identifier"]["S"] == "ENBD_SME_UAE"
    assert queue_messages(aws, "SyncDeadLetterQueue") == []
