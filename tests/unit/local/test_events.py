"""events/ holds the seed's webhooks, correctly signed with the local secret and valid."""

import base64
import json
from pathlib import Path

import pytest

from lean_webhooks.core import signature
from lean_webhooks.models.webhook import parse_webhook

EVENTS = sorted((Path(__file__).resolve().parents[3] / "events").glob("webhook_*.json"))


def test_the_three_seed_webhooks_are_there():
    assert [p.name for p in EVENTS] == [
        "webhook_beneficiary_created.json",
        "webhook_beneficiary_updated.json",
        "webhook_payment_source_created.json",
    ]


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.name)
def test_event_is_signed_with_the_local_secret_and_parses(path):
    event = json.loads(path.read_text())
    assert event["version"] == "2.0" and event["routeKey"] == "POST /webhooks/lean"
    body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    assert signature.verify(body, event["headers"]["lean-signature"], ("local-webhook-secret",))
    assert parse_webhook(json.loads(body)).type.startswith("payment_source.")
