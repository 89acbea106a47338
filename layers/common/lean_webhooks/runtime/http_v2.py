"""The two ends of an HTTP API (payload format 2.0) request, for a function behind a single route: its raw
body, exactly as signed, and a JSON answer. Error answers have the body both HTTP APIs use:
`{"error", "message"}`."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# Our fault, whichever API: the caller (Lean, an app backend) should retry later.
INTERNAL_ERROR = ("internal_error", "temporary failure, please retry")


class BadBody(ValueError):
    """A body flagged base64 that does not decode."""


def raw_body(event: dict[str, Any]) -> bytes:
    """The request body's bytes: API Gateway base64-encodes bodies it does not take for text."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadBody("body is not valid base64") from None
    return body.encode("utf-8")


def header(event: dict[str, Any], name: str) -> str | None:
    """A request header, whatever the case of its name (HTTP API lower-cases names; a test or proxy may not)."""
    wanted = name.lower()
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == wanted), None)


def source_ip(event: dict[str, Any]) -> str | None:
    return ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")


def json_answer(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def error_answer(status_code: int, error: str, message: str) -> dict[str, Any]:
    return json_answer(status_code, {"error": error, "message": message})
