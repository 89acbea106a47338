"""Posting webhooks to the webhook function as API Gateway would."""

from __future__ import annotations

import base64
import json

from local.aws.lambda_events import http_api_event
from local.harness import samples
from tests.support.constants import WEBHOOK_SECRET


def post(
    function,
    body: bytes,
    headers: dict | None = None,
    path: str = "/webhooks/lean",
    method: str = "POST",
    source_ip: str = "127.0.0.1",
    base64_body: bool = False,
) -> tuple[int, dict]:
    event = http_api_event(
        method, path, body=body, headers=headers or {}, route_key="POST /webhooks/lean", source_ip=source_ip
    )
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    result = function.invoke(event)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else {}


def signed(envelope: dict, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict]:
    return samples.signed(envelope, secret)
