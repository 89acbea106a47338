"""The local API emulator checks SigV4 on the template's IAM routes as API Gateway does: a request signed by
botocore with the local credentials reaches the function; anything else is API Gateway's 403 and reaches nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.test import Client

from local.aws.api_gateway import ApiEmulator
from local.aws.sigv4 import SigV4Verifier

CUSTOMER = "3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
PATH = f"/customers/{CUSTOMER}/devices/phone-1"
BODY = json.dumps({"platform": "GCM", "token": "fcm-token:" + "A" * 40}).encode()


class RecordingFunction:
    """Stands for the customer API function: records the events it is invoked with."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "body": "{}", "headers": {"content-type": "application/json"}}


def signed(
    method: str = "PUT",
    path: str = PATH,
    body: bytes = BODY,
    key: str = "local",
    secret: str = "local",  # noqa: S107 - the local stack's published credential
    service: str = "execute-api",
    region: str = "us-east-1",
) -> tuple[dict[str, str], datetime]:
    """Headers botocore's signer gives the request (as the example client signs), and the time it signed at."""
    request = AWSRequest(
        method=method, url=f"http://localhost{path}", data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    signed_at = datetime.strptime(request.headers["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    return dict(request.headers.items()), signed_at


def emulator(now: datetime) -> tuple[Client, RecordingFunction]:
    function = RecordingFunction()
    functions = {"CustomerApiFunction": function, "WebhookFunction": function}
    api = ApiEmulator(functions, health=dict, verifier=SigV4Verifier(clock=lambda: now))
    return Client(api), function


def send(headers: dict[str, str], now: datetime, body: bytes = BODY, method: str = "PUT", path: str = PATH):
    client, function = emulator(now)
    response = client.open(path, method=method, data=body, headers=headers)
    return response, function.events


def test_a_request_signed_with_the_local_credentials_reaches_the_function():
    headers, signed_at = signed()
    response, events = send(headers, signed_at + timedelta(seconds=1))
    assert response.status_code == 200 and len(events) == 1
    assert events[0]["requestContext"]["authorizer"]["iam"]["userArn"]


def test_a_signed_get_with_a_query_passes_and_so_does_a_clock_skew_under_five_minutes():
    path = f"/customers/{CUSTOMER}/payment-sources?limit=2&next_token=a%2Fb"
    headers, signed_at = signed("GET", path, b"")
    assert send(headers, signed_at - timedelta(minutes=4), b"", "GET", path)[0].status_code == 200
    assert send(headers, signed_at + timedelta(minutes=4), b"", "GET", path)[0].status_code == 200


def refused(response, events, error_type: str, message: str) -> None:
    assert response.status_code == 403 and events == []
    assert response.headers["x-amzn-ErrorType"] == error_type
    assert response.get_json() == {"message": message}


def test_an_unsigned_request_is_refused():
    response, events = send({"content-type": "application/json"}, datetime.now(UTC))
    refused(response, events, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_a_wrong_secret_is_refused():
    headers, signed_at = signed(secret="not-local")
    response, events = send(headers, signed_at)
    refused(response, events, "InvalidSignatureException", response.get_json()["message"])
    assert response.get_json()["message"].startswith("The request signature we calculated does not match")


def test_a_wrong_access_key_is_refused():
    headers, signed_at = signed(key="AKIDEXAMPLE")
    response, events = send(headers, signed_at)
    refused(response, events, "AccessDeniedException", "The security token included in the request is invalid.")


def test_a_tampered_body_is_refused():
    headers, signed_at = signed()
    tampered = BODY.replace(b"GCM", b"APN")
    response, events = send(headers, signed_at, body=tampered)
    assert response.status_code == 403 and events == []
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_a_tampered_signed_header_or_path_is_refused():
    headers, signed_at = signed()
    assert send({**headers, "content-type": "application/json; x=1"}, signed_at)[0].status_code == 403
    other = f"/customers/{CUSTOMER}/devices/phone-2"
    assert send(headers, signed_at, path=other)[0].status_code == 403


def test_a_signature_for_another_service_is_refused():
    headers, signed_at = signed(service="s3")
    response, events = send(headers, signed_at)
    refused(
        response, events, "InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'."
    )


def test_a_signature_for_another_region_is_refused():
    headers, signed_at = signed(region="me-central-1")
    response, events = send(headers, signed_at)
    assert response.status_code == 403 and events == []


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)])
def test_a_signature_outside_five_minutes_of_the_clock_is_refused(skew):
    headers, signed_at = signed()
    response, events = send(headers, signed_at + skew)
    assert response.status_code == 403 and events == []
    assert response.get_json()["message"].startswith("Signature expired" if skew > timedelta(0) else "Signature not")


def test_a_declared_body_hash_that_is_not_the_body_is_refused():
    headers, signed_at = signed()
    response, events = send({**headers, "x-amz-content-sha256": "0" * 64}, signed_at)
    assert response.status_code == 403 and events == []


def test_the_webhook_route_is_not_iam_authorised_and_needs_no_signature():
    client, function = emulator(datetime.now(UTC))
    response = client.post("/webhooks/lean", data=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 200 and len(function.events) == 1
