"""The customer API's error table and first checks, on a resolver of their own: each exception a use case raises
has its status and `{"error", "message"}` answer; an unsigned request is refused before the route runs."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from lean_webhooks.models.errors import (
    DeviceRegistrationConflict,
    ErasureIncomplete,
    InvalidPageToken,
    LeanAuthError,
    LeanNotFound,
    LeanRateLimited,
    PlatformNotConfigured,
    RefreshUnavailable,
)
from lean_webhooks.runtime import http_errors
from local.aws.lambda_events import http_api_event


def answer_to(error: BaseException, iam_authorised: bool = True) -> tuple[int, dict, dict, bool]:
    """(status, body, headers, whether the route ran) of a request whose route raises `error`."""
    app, ran = APIGatewayHttpResolver(), []
    http_errors.install(app)

    @app.get("/raise")
    def fail() -> dict:
        ran.append(True)
        raise error

    result = app.resolve(http_api_event("GET", "/raise", iam_authorised=iam_authorised), None)
    return result["statusCode"], json.loads(result["body"]), result.get("headers") or {}, bool(ran)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (PlatformNotConfigured("APNS"), 400, "bad_request"),
        (InvalidPageToken("x"), 400, "bad_request"),
        (RecursionError(), 400, "bad_request"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), 400, "bad_request"),
        (DeviceRegistrationConflict("retry"), 409, "conflict"),
        (RefreshUnavailable(9, retryable=False, reason="auth"), 502, "lean_error"),
        (RefreshUnavailable(9), 503, "lean_unavailable"),
        (LeanAuthError("refused"), 502, "lean_error"),
        (ErasureIncomplete(LeanAuthError("refused"), 1), 502, "lean_error"),
        (ErasureIncomplete(LeanRateLimited("slow down"), 0), 503, "lean_unavailable"),
        (LeanRateLimited("slow down"), 503, "lean_unavailable"),
        (LeanNotFound("not yet"), 503, "lean_unavailable"),
        (KeyError("ours"), 500, "internal_error"),
    ],
)
def test_each_error_has_its_status_and_an_error_and_message_body(error, status, code):
    found, body, _, _ = answer_to(error)
    assert (found, body["error"], set(body)) == (status, code, {"error", "message"})


def test_an_unavailable_lean_says_when_to_retry_and_an_unconfigured_platform_is_named():
    assert answer_to(RefreshUnavailable(9))[2]["Retry-After"] == "9"
    assert answer_to(ErasureIncomplete(LeanRateLimited("slow down", retry_after_s=0.2), 0))[2]["Retry-After"] == "1"
    assert answer_to(ErasureIncomplete(LeanRateLimited("slow down"), 0))[2]["Retry-After"] == "5"  # Lean said nothing
    assert answer_to(PlatformNotConfigured("APNS"))[1]["message"] == "platform APNS is not configured"


def test_an_unsigned_request_is_refused_before_its_route_runs():
    status, body, _, ran = answer_to(KeyError("never raised"), iam_authorised=False)
    assert (status, body["error"], ran) == (403, "forbidden", False)
