"""SNS mobile push: platform endpoints (one per token: create, read, set its attributes) and publishing."""

from __future__ import annotations

import re
from typing import Any

from lean_webhooks.adapters.aws import client, error_code
from lean_webhooks.models.errors import EndpointDisabled, PushOutcomeUnknown

_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:[^\s]+) already exists")
# APNs needs an apns-push-type header; SNS otherwise infers it from the payload. Set it, with the priority of a
# visible alert (SNS developer guide, "Specifying custom APNs header values").
APNS_HEADERS = {
    "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "alert"},
    "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "10"},
}


class SnsPushPlatform:
    """The SNS calls of mobile push: endpoint management and publishing (each with the client configured for it,
    unless one client is given)."""

    def __init__(self, sns: Any = None):
        self._given = sns

    @property
    def _sns(self) -> Any:
        return self._given or client("sns")

    def publish(self, endpoint_arn: str, message: str) -> str:
        """One attempt; `PushOutcomeUnknown` when SNS may have accepted it (the answer was lost)."""
        from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

        try:
            return (self._given or client("sns", "publish")).publish(
                TargetArn=endpoint_arn, Message=message, MessageStructure="json", **_apns_headers(endpoint_arn)
            )["MessageId"]
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise PushOutcomeUnknown(type(exc).__name__) from None
        except Exception as exc:
            if error_code(exc) in ("EndpointDisabled", "NotFound"):  # disabled, or deleted under us
                raise EndpointDisabled(endpoint_arn) from None
            raise

    def ensure_endpoint(self, application_arn: str, token: str, user_data: str) -> str:
        """The endpoint of `token`, enabled, its user data naming its owner. CreatePlatformEndpoint is idempotent
        per token: it answers the endpoint that already holds the token, or names it when that endpoint's
        attributes differ (SNS API reference, CreatePlatformEndpoint). A token is never set on another endpoint
        (the known-ARN step of AWS's mobile-token guide would do so), so one token has one endpoint."""
        arn = self._create(application_arn, token, user_data)
        try:
            attributes = self._sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        except Exception as exc:
            if error_code(exc) != "NotFound":
                raise
            arn = self._create(application_arn, token, user_data)  # deleted meanwhile
            attributes = self._sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        wanted = {"Token": token, "Enabled": "true", "CustomUserData": user_data}
        current = {k: str(attributes.get(k, "")) for k in wanted}
        current["Enabled"] = current["Enabled"].lower()  # SNS answers "true"/"false"; moto may answer True
        if current != wanted:
            self._sns.set_endpoint_attributes(EndpointArn=arn, Attributes=wanted)  # user data names the new owner
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


def _apns_headers(endpoint_arn: str) -> dict:
    """APNs headers for an endpoint of an APNs platform application (`...:endpoint/APNS[_SANDBOX]/...`)."""
    platform = endpoint_arn.split(":endpoint/", 1)[-1].split("/", 1)[0]
    return {"MessageAttributes": APNS_HEADERS} if platform in ("APNS", "APNS_SANDBOX") else {}
