"""Devices and their SNS endpoints in the unit tests: a customer API caller that builds the event by hand (a raw,
base64 or routed body), registration, and what moto's SNS and the table hold."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from local.aws.lambda_events import http_api_event

CUSTOMER = "3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
GCM_TOKEN = "fcm-token:" + "A" * 140
APNS_TOKEN = "ab" * 32


def customer_api_caller(function: Any) -> Callable[..., tuple[int, Any]]:
    """`api(method, path, body, route=..., raw=..., b64=..., query=..., use_cases=...)`: (status, JSON body) of the
    customer API's answer to an IAM-signed request (the path parameters read from the path, the route key given)."""

    def call(
        method: str,
        path: str,
        body: Any = None,
        route: str | None = None,
        raw: bytes | None = None,
        b64: bool = False,
        query: str = "",
        use_cases: dict | None = None,
    ) -> tuple[int, Any]:
        params = dict(zip(("customer_id", "device_id"), path.split("/")[2::2], strict=False))
        raw = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = http_api_event(
            method,
            path,
            body=raw,
            headers={"content-type": "application/json"},
            route_key=route or method + " " + path,
            path_parameters=params,
            query=query,
            iam_authorised=True,
        )
        if b64:
            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        result = function.invoke(event, **(use_cases or {}))
        return result["statusCode"], json.loads(result["body"]) if result.get("body") else None

    return call


def endpoints(aws) -> dict[str, dict]:
    from moto.sns.models import sns_backends

    backend = sns_backends["123456789012"]["us-east-1"]
    # SetEndpointAttributes updates the user data in `attributes` only (moto keeps the creation value apart)
    return {e.attributes.get("CustomUserData", e.custom_user_data): e for e in backend.platform_endpoints.values()}


def register(api, customer=CUSTOMER, device="phone-1", platform="GCM", token=GCM_TOKEN):
    return api(
        "PUT",
        f"/customers/{customer}/devices/{device}",
        {"platform": platform, "token": token},
        route="PUT /customers/{customer_id}/devices/{device_id}",
    )


def device_items(aws, customer: str) -> list[str]:
    answer = aws["clients"]["dynamodb"].query(
        TableName=aws["refs"]["Table"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer}"}, ":d": {"S": "DEVICE#"}},
    )
    return [i["device_id"]["S"] for i in answer["Items"]]
