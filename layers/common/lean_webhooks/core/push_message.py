"""What the phone shows when a beneficiary becomes chargeable: one SNS `MessageStructure=json` body."""

from __future__ import annotations

import json

from lean_webhooks.models.beneficiary import BeneficiaryActivation

TITLE = "Payment source ready"
BODY = "Your bank has finished its cool-off period. You can now pay with this account."


def build_message(activation: BeneficiaryActivation) -> str:
    """Default text, FCM HTTP v1 (`GCM`), APNs and APNs sandbox; the data names the beneficiary."""
    identity = activation.identity
    data = {
        "type": "payment_source.beneficiary.active",
        "customer_id": identity.customer_id,
        "payment_source_id": identity.payment_source_id,
        "beneficiary_id": identity.beneficiary_id,
    }
    fcm = {
        "fcmV1Message": {
            "message": {
                "notification": {"title": TITLE, "body": BODY},
                "data": data,
                "android": {"priority": "high"},
            }
        }
    }
    apns = json.dumps({"aps": {"alert": {"title": TITLE, "body": BODY}, "sound": "default"}, **data})
    return json.dumps({"default": BODY, "GCM": json.dumps(fcm), "APNS": apns, "APNS_SANDBOX": apns})
