"""SNS mobile push: platform endpoints (AWS's create/get/set-attributes algorithm) and JSON messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lean_webhooks.aws import client, error_code

PLATFORMS = ("GCM", "APNS", "APNS_SANDBOX")
_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:[^\s]+) already exists")


class EndpointDisabled(Exception):
    """SNS refused the publish because the endpoint is disabled (token expired or app uninstalled)."""


@dataclass(frozen=True)
class Activation:
    """What the push says: which beneficiary of which payment source became chargeable."""

    customer_id: str
    payment_source_id: str
    beneficiary_id: str
    bank_identifier: str = ""


TITLE = "Payment source ready"
BODY = "Your bank has finished its cool-off period. You can now pay with this account."


def build_message(activation: Activation) -> str:
    """SNS `MessageStructure=json` body: default text, FCM HTTP v1 (`GCM`), APNs and APNs sandbox."""
    data = {
        "type": "payment_source.beneficiary.active",
        "customer_id": activation.customer_id,
        "payment_source_id": activation.payment_source_id,
        "beneficiary_id": activation.beneficiary_id,
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


class PushGateway:
    """Thin adapter over the SNS calls this service makes."""

    def __init__(self, sns: Any = None):
        self._sns = sns or client("sns")

    def publish(self, endpoint_arn: str, message: str) -> str:
        try:
            return self._sns.publish(TargetArn=endpoint_arn, Message=message, MessageStructure="json")["MessageId"]
        except Exception as exc:
            if error_code(exc) == "EndpointDisabled":
                raise EndpointDisabled(endpoint_arn) from None
            raise

    def ensure_endpoint(self, application_arn: str, token: str, known_arn: str | None, user_data: str) -> str:
        """Create or refresh the endpoint for `token`, following AWS's recommended algorithm."""
        arn = known_arn or self._create(application_arn, token, user_data)
        try:
            attributes = self._sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        except Exception as exc:
            if error_code(exc) != "NotFound":
                raise
            arn = self._create(application_arn, token, user_data)
            attributes = self._sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        if attributes.get("Token") != token or str(attributes.get("Enabled", "")).lower() != "true":
            self._sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        return arn

    def delete_endpoint(self, endpoint_arn: str) -> None:
        self._sns.delete_endpoint(EndpointArn=endpoint_arn)  # idempotent in SNS

    def _create(self, application_arn: str, token: str, user_data: str) -> str:
        try:
            return self._sns.create_platform_endpoint(
                PlatformApplicationArn=application_arn, Token=token, CustomUserData=user_data
            )["EndpointArn"]
        except Exception as exc:
            # Same token already registered with other attributes: SNS names the existing endpoint.
            match = _EXISTING_ENDPOINT.search(str(exc)) if error_code(exc) == "InvalidParameter" else None
            if match:
                return match.group(1)
            raise
