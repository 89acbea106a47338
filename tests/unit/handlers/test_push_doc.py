"""docs/push.md shows the payloads the notifier sends: each `<!-- payload: NAME -->` JSON block of the document is
compared with what the notify function publishes through SNS (moto) for an activation, on an Android device in
English and an iPhone in Arabic, registered through the customer API's wired device registry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.adapters.push_texts import SHIPPED
from local.aws.template import ROOT
from tests.support.streams import stream_record
from tests.support.wired import ScriptedSns, activation_push, device_registry

DOC = ROOT / "docs" / "push.md"
BLOCK = re.compile(r"<!-- payload: ([\w-]+) -->\s*```json\n(.*?)```", re.DOTALL)
# The ids the document's examples carry.
CUSTOMER = "3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
PAYMENT_SOURCE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
BENEFICIARY = "d3b07384-d9a0-4c9b-8f2e-6a1b2c3d4e5f"


def documented() -> dict[str, Any]:
    blocks = {name: json.loads(text) for name, text in BLOCK.findall(DOC.read_text(encoding="utf-8"))}
    assert set(blocks) == {"sns-message", "fcm", "apns", "apns-headers", "texts"}, sorted(blocks)
    return blocks


def activation() -> dict:
    """The stream record of the beneficiary becoming ACTIVE after its cool-off."""
    base = {
        "pk": f"CUSTOMER#{CUSTOMER}",
        "sk": f"PAYMENT_SOURCE#{PAYMENT_SOURCE}#BENEFICIARY#{BENEFICIARY}",
        "entity": "BENEFICIARY",
        "customer_id": CUSTOMER,
        "payment_source_id": PAYMENT_SOURCE,
        "beneficiary_id": BENEFICIARY,
        "bank_identifier": "ENBD_UAE",
        "cool_off_seen": True,
    }
    return stream_record(
        to_item({**base, "status": "AWAITING_BENEFICIARY_COOL_OFF"}), to_item({**base, "status": "ACTIVE"})
    )


@pytest.fixture
def published(aws, load_function) -> dict[str, dict[str, Any]]:
    """Every SNS Publish call of one activation, by platform of the endpoint (GCM, APNS)."""
    devices = device_registry(aws)
    devices.register(CUSTOMER, "android", "GCM", "fcm-token:" + "A" * 140, "en")
    devices.register(CUSTOMER, "iphone", "APNS", "ab" * 32, "ar")
    notify = load_function("NotifyActiveFunction")
    sns = ScriptedSns(aws["clients"]["sns"])
    calls: list[dict[str, Any]] = []

    def recording(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return sns.real.publish(**kwargs)

    sns.publish_with = recording
    assert notify.invoke({"Records": [activation()]}, push=activation_push(sns)) == {"batchItemFailures": []}
    return {call["TargetArn"].split(":endpoint/")[1].split("/")[0]: call for call in calls}


def test_the_documented_sns_message_fcm_and_apns_payloads_are_what_an_english_device_is_sent(published):
    doc = documented()
    call = published["GCM"]
    assert call["MessageStructure"] == "json" and "MessageAttributes" not in call
    message = json.loads(call["Message"])
    placeholders = {"GCM": "fcm", "APNS": "apns", "APNS_SANDBOX": "apns"}
    assert set(message) == set(doc["sns-message"]) == {"default", *placeholders}
    assert message["default"] == doc["sns-message"]["default"]
    for platform, block in placeholders.items():
        assert json.loads(message[platform]) == doc[block], platform


def test_an_apns_device_gets_the_documented_headers_and_the_payload_in_its_language(published):
    doc = documented()
    call = published["APNS"]
    assert call["MessageStructure"] == "json" and call["MessageAttributes"] == doc["apns-headers"]
    arabic = doc["texts"]["ar"]
    expected = {
        **doc["apns"],
        "aps": {**doc["apns"]["aps"], "alert": {"title": arabic["title"], "body": arabic["body"]}},
    }
    message = json.loads(call["Message"])
    assert json.loads(message["APNS"]) == expected and message["default"] == arabic["body"]


def test_the_documented_texts_are_the_shipped_ones():
    assert documented()["texts"] == json.loads(SHIPPED.read_text(encoding="utf-8"))
