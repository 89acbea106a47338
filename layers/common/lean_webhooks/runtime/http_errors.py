"""The customer API's error answers (Powertools Event Handler responses): `{"error", "message"}` with the right
status, the body the webhook's answers (`http_v2`) have too."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError

from lean_webhooks.runtime.http_v2 import INTERNAL_ERROR
from lean_webhooks.runtime.observability import logger

_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def validation_message(errors: list[dict]) -> str:
    """`invalid request: body.platform, path.customer_id` from Powertools' (pydantic's) error list: field
    names, never the values sent."""
    fields = sorted({".".join(str(part) for part in error.get("loc", ())) or "request" for error in errors})
    return f"invalid request: {', '.join(fields[:10])}"


def error_response(status_code: int, error: str, message: str) -> Response:
    return Response(status_code=status_code, content_type="application/json", body={"error": error, "message": message})


def unexpected_error(exc: Exception, what: str) -> Response:
    """The catch-all: Powertools' routing and validation errors keep their 4xx; anything else is our fault,
    logged with its traceback and answered 500 (for Lean: retry later)."""
    if isinstance(exc, ServiceError):
        return error_response(exc.status_code, _ERRORS.get(exc.status_code, "bad_request"), exc.msg)
    logger.exception(f"{what} failed")
    return error_response(500, *INTERNAL_ERROR)
