"""The customer API's error answers (Powertools Event Handler responses): `{"error", "message"}` with the right
status, the body the webhook's answers (`http_v2`) have too.

`install(app)` puts them on a resolver: the checks that come before any route (the request carries API Gateway's
IAM authorisation; a body is JSON), then the error table (`ERRORS`: each exception a use case raises, its answer),
then the catch-all (Powertools' routing errors keep their 4xx, anything else is a logged 500).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.models.errors import (
    DEFAULT_RETRY_AFTER_S,
    DeviceRegistrationConflict,
    ErasureIncomplete,
    InvalidPageToken,
    LeanApiError,
    PlatformNotConfigured,
    RefreshUnavailable,
)
from lean_webhooks.runtime.http_v2 import INTERNAL_ERROR
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
# A path served with another method: `DELETE .../payment-sources/refresh` reaches the payment source's route.
POST_ONLY = re.compile(r"^/customers/[^/]+/payment-sources/refresh$")


def validation_message(errors: list[dict]) -> str:
    """`invalid request: body.platform, path.customer_id` from Powertools' (pydantic's) error list: field
    names, never the values sent."""
    fields = sorted({".".join(str(part) for part in error.get("loc", ())) or "request" for error in errors})
    return f"invalid request: {', '.join(fields[:10])}"


def error_response(status_code: int, error: str, message: str) -> Response:
    return Response(status_code=status_code, content_type="application/json", body={"error": error, "message": message})


def unavailable(message: str, retry_after_s: int) -> Response:
    """503: Lean is unavailable, nothing changed; the caller retries after `Retry-After` seconds."""
    response = error_response(503, "lean_unavailable", message)
    response.headers["Retry-After"] = str(retry_after_s)
    return response


def unexpected_error(exc: Exception, what: str) -> Response:
    """The catch-all: Powertools' routing and validation errors keep their 4xx; anything else is our fault,
    logged with its traceback and answered 500 (for Lean: retry later)."""
    if isinstance(exc, ServiceError):
        return error_response(exc.status_code, _ERRORS.get(exc.status_code, "bad_request"), exc.msg)
    logger.exception(f"{what} failed")
    return error_response(500, *INTERNAL_ERROR)


def refusal(event: APIGatewayProxyEventV2) -> Response | None:
    """A request API Gateway's IAM authorizer did not sign (a route deployed without AWS_IAM, a direct invoke),
    or a body that is not JSON (forms, files): refused before anything runs."""
    authorizer = (event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    if not (authorizer.get("iam") or {}).get("userArn"):
        metrics.add_metric(name="CustomerApiUnauthorised", unit=MetricUnit.Count, value=1)
        return error_response(403, "forbidden", "requests must be signed (IAM authorisation)")
    content_type = str(event.headers.get("content-type") or "").strip().lower()
    if event.body and content_type and not content_type.startswith("application/json"):
        return error_response(415, "unsupported_media_type", "the body must be application/json")
    return None


def other_method(event: APIGatewayProxyEventV2) -> Response | None:
    if POST_ONLY.match(event.path) and event.http_method != "POST":
        response = error_response(405, "method_not_allowed", "this path takes POST")
        response.headers["Allow"] = "POST"
        return response
    return None


def refresh_unavailable(exc: RefreshUnavailable) -> Response:
    metrics.add_metric(name="RefreshesFailed", unit=MetricUnit.Count, value=1)
    if not exc.retryable:
        return error_response(502, "lean_error", "Lean refused the refresh")
    return unavailable("Lean is unavailable: nothing changed, retry later", exc.retry_after_s)


def lean_failed(exc: LeanApiError) -> Response:
    """Lean refused or is unavailable: nothing changed here (503 with `Retry-After`, as a refresh or an erasure)."""
    logger.warning("Lean refused the deletion", extra={"reason": exc.reason})
    if exc.retryable:
        wait = max(1, math.ceil(exc.retry_after_s or DEFAULT_RETRY_AFTER_S))
        return unavailable("Lean is unavailable: nothing changed, retry later", wait)
    return error_response(502, "lean_error", "Lean refused the deletion")


def erasure_incomplete(exc: ErasureIncomplete) -> Response:
    """Lean failed midway: the erasure stays under way (the customer's writes refused) until a repeat completes it."""
    metrics.add_metric(name="ErasuresIncomplete", unit=MetricUnit.Count, value=1)
    logger.warning("erasure incomplete", extra={"reason": exc.cause.reason, "deleted_at_lean": exc.deleted_at_lean})
    if not exc.cause.retryable:
        return error_response(502, "lean_error", "Lean refused the erasure: repeat it once that is fixed")
    return unavailable("Lean is unavailable: the erasure is incomplete, repeat it", exc.retry_after_s)


# The error table: what a use case (or the body's parser) raises -> its answer. Looked up along the exception's
# classes (Powertools' exception handlers), so a subclass gets its base's answer unless it has its own.
ERRORS: dict[type[Exception], Callable[[Any], Response]] = {
    PlatformNotConfigured: lambda exc: error_response(400, "bad_request", f"platform {exc} is not configured"),
    InvalidPageToken: lambda exc: error_response(400, "bad_request", "next_token is not one this API gave"),
    DeviceRegistrationConflict: lambda exc: error_response(409, "conflict", str(exc)),
    RefreshUnavailable: refresh_unavailable,
    ErasureIncomplete: erasure_incomplete,
    LeanApiError: lean_failed,
    RecursionError: lambda exc: error_response(400, "bad_request", "invalid request: body (nested too deeply)"),
    UnicodeDecodeError: lambda exc: error_response(400, "bad_request", "invalid request: body (not UTF-8 JSON)"),
}


def install(app: APIGatewayHttpResolver) -> None:
    """The first checks as middleware, and every error answer as the resolver's exception handlers. Validation
    runs before the middleware, and a body can fail to parse before it: the first checks decide those answers too.
    """

    def checked(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
        return refusal(app.current_event) or next_middleware(app)

    def invalid_request(exc: RequestValidationError) -> Response:
        event = app.current_event
        return (
            refusal(event)
            or other_method(event)
            or error_response(400, "bad_request", validation_message(exc.errors()))
        )

    def unsupported_body(exc: RequestUnsupportedContentType) -> Response:
        return refusal(app.current_event) or error_response(
            415, "unsupported_media_type", "the body must be application/json"
        )

    def failed(exc: Exception) -> Response:
        return refusal(app.current_event) or unexpected_error(exc, "customer API request")

    app.use(middlewares=[checked])
    handlers = {**ERRORS, RequestValidationError: invalid_request, RequestUnsupportedContentType: unsupported_body}
    for exc_class, handler in {**handlers, Exception: failed}.items():
        app.exception_handler(exc_class)(handler)
