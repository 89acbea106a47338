"""Build API Gateway HTTP API (payload format 2.0) events, as API Gateway hands them to Lambda."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

TEXT_TYPES = ("application/json", "text/", "application/xml", "application/x-www-form-urlencoded")


def http_api_event(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    route_key: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    iam_authorised: bool = False,
) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = headers.get("content-type", "")
    is_text = any(content_type.startswith(t) for t in TEXT_TYPES)
    try:
        text = body.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text = None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key or f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:  # as API Gateway does: decoded, repeated names joined with commas
        parameters: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            parameters.setdefault(name, []).append(value)
        event["queryStringParameters"] = {name: ",".join(values) for name, values in parameters.items()}
    if iam_authorised:
        event["requestContext"]["authorizer"] = {
            "iam": {"accountId": "123456789012", "userArn": "arn:aws:iam::123456789012:user/local"}
        }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if text is None:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def device_registration_event(
    customer_id: str, device_id: str, token: str, platform: str = "GCM", iam_authorised: bool = True
) -> dict[str, Any]:
    """`PUT /customers/{customer_id}/devices/{device_id}` with a JSON body, signed by default."""
    return http_api_event(
        "PUT",
        f"/customers/{customer_id}/devices/{device_id}",
        body=json.dumps({"platform": platform, "token": token}).encode(),
        headers={"content-type": "application/json"},
        route_key="PUT /customers/{customer_id}/devices/{device_id}",
        path_parameters={"customer_id": customer_id, "device_id": device_id},
        iam_authorised=iam_authorised,
    )
