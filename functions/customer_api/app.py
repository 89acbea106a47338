"""IAM-authorised API for the customer's app backend: devices, stored payment sources, a refresh from Lean,
deletion, and erasure of a customer.

Routes are typed (Powertools Event Handler validation): the OpenAPI document `docs/openapi.json` is generated
from them (`make openapi`). Two checks come before any route (middleware, and the validation errors' handler):
the request must carry API Gateway's IAM authorisation, and a body must be JSON. Every 4xx and 5xx is
`{"error", "message"}`. Each route calls one core use case (`lean_webhooks.wiring`) and shapes its answer.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.core.device_registry import DeviceRegistrationConflict
from lean_webhooks.core.erasure import ErasureIncomplete
from lean_webhooks.core.payment_source_view import page_of
from lean_webhooks.core.refresh import DEFAULT_RETRY_AFTER_S, RefreshUnavailable
from lean_webhooks.models.customer_api import (
    DEVICE_ID_PATTERN,
    MAX_PAGE,
    Deletion,
    Device,
    DeviceList,
    DeviceRegistration,
    ErasedCounts,
    Erasure,
    ErrorBody,
    PaymentSourcePage,
)
from lean_webhooks.models.errors import InvalidPageToken, LeanApiError, PlatformNotConfigured
from lean_webhooks.runtime.http_errors import error_response, unexpected_error, validation_message
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.snapstart import register_hooks

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
wiring.customer_api_settings()  # a missing or malformed setting fails the start, with its name
app = APIGatewayHttpResolver(enable_validation=True)

# Lean ids in paths: a UUID in its canonical form (any case), lower-cased as the rest of the service stores them.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CustomerId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean customer id (a UUID)")]
DeviceId = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="your id for the device (1-128 of A-Za-z0-9._-)")]
PaymentSourceId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean payment source id (a UUID)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="payment sources per page")]
REFRESH_PATH = re.compile(r"^/customers/[^/]+/payment-sources/refresh$")
REASONS = {
    400: "invalid path, query or body",
    403: "not IAM-authorised",
    404: "not found (or a path this API does not route)",
    409: "the token was registered concurrently by another device: retry",
    415: "the body is not application/json",
    500: "our fault: retry",
    502: "Lean refused",
    503: "Lean unavailable: retry after the Retry-After header's seconds",
}


def _answers(ok: type | None, *codes: int) -> dict[int, dict[str, Any]]:
    """OpenAPI `responses`: the 200 answer's model (if any) and the errors a route can give (`{"error", "message"}`)."""
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    answers = {code: {"description": REASONS[code], "content": body} for code in (400, 403, 404, 500, *codes)}
    if ok is not None:
        answers[200] = {"description": "OK", "content": {"application/json": {"model": ok}}}
    return answers


def use(name: str) -> Any:
    """The use case `name` of `lean_webhooks.wiring`, or the one the caller of `lambda_handler` handed in."""
    return app.context.get(name) or getattr(wiring, name)()


# ---------- checks before any route ----------
def refusal() -> Response | None:
    """A request API Gateway's IAM authorizer did not sign (a route deployed without AWS_IAM, a direct invoke),
    or a body that is not JSON (forms, files): refused before anything runs."""
    event = app.current_event
    authorizer = (event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    if not (authorizer.get("iam") or {}).get("userArn"):
        metrics.add_metric(name="CustomerApiUnauthorised", unit=MetricUnit.Count, value=1)
        return error_response(403, "forbidden", "requests must be signed (IAM authorisation)")
    content_type = str(event.headers.get("content-type") or "").strip().lower()
    if event.body and content_type and not content_type.startswith("application/json"):
        return error_response(415, "unsupported_media_type", "the body must be application/json")
    return None


def checked(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    return refusal() or next_middleware(app)


app.use(middlewares=[checked])


# ---------- devices ----------
@app.put(
    "/customers/<customer_id>/devices/<device_id>",
    summary="Register or refresh a device",
    responses=_answers(Device, 409, 415),
)
def put_device(
    customer_id: CustomerId, device_id: DeviceId, registration: Annotated[DeviceRegistration, Body()]
) -> Device:
    try:
        device = use("device_registry").register(
            customer_id.lower(), device_id, registration.platform, registration.token, registration.locale
        )
    except PlatformNotConfigured:
        raise BadRequestError(f"platform {registration.platform} is not configured") from None
    logger.info("device registered", extra={"device_id": device_id, "platform": registration.platform})
    return Device.of(device)


@app.get("/customers/<customer_id>/devices", summary="The customer's devices", responses=_answers(DeviceList))
def list_devices(customer_id: CustomerId) -> DeviceList:
    customer_id = customer_id.lower()
    return DeviceList(
        customer_id=customer_id, devices=[Device.of(d) for d in use("device_registry").devices(customer_id)]
    )


@app.delete(
    "/customers/<customer_id>/devices/<device_id>",
    summary="Unregister a device",
    responses={204: {"description": "unregistered"}, **_answers(None)},
)
def delete_device(customer_id: CustomerId, device_id: DeviceId) -> Response[None]:
    if not use("device_registry").unregister(customer_id.lower(), device_id):
        raise NotFoundError("device not registered")
    return Response(status_code=204, content_type="application/json", body="")


# ---------- payment sources ----------
@app.get(
    "/customers/<customer_id>/payment-sources", summary="Stored payment sources", responses=_answers(PaymentSourcePage)
)
def get_payment_sources(
    customer_id: CustomerId,
    limit: Limit = 50,
    next_token: Annotated[str | None, Query(max_length=512, description="from the previous page")] = None,
) -> PaymentSourcePage:
    customer_id = customer_id.lower()
    try:
        page = page_of(use("payment_source_reader").list_for_customer(customer_id), limit, next_token)
    except InvalidPageToken:
        raise BadRequestError("next_token is not one this API gave") from None
    return PaymentSourcePage.of(customer_id, page.sources, page.next_token)


@app.post(
    "/customers/<customer_id>/payment-sources/refresh",
    summary="Refresh the customer's payment sources from Lean (call it when the LinkSDK reports success)",
    description="Lists the customer's payment sources at Lean, stores those of this application under the same "
    "rules as Lean's webhooks, and answers like the GET (first page). At most one call to Lean per customer per "
    "RefreshMinIntervalSeconds: a refresh within it answers from storage. Lean unavailable: 503 with Retry-After, "
    "nothing changed.",
    responses=_answers(PaymentSourcePage, 502, 503),
)
def refresh_payment_sources(customer_id: CustomerId, limit: Limit = 50) -> PaymentSourcePage:
    customer_id = customer_id.lower()
    outcome = use("payment_source_refresh").refresh(customer_id)
    metrics.add_metric(name="RefreshesCoalesced" if outcome.coalesced else "Refreshes", unit=MetricUnit.Count, value=1)
    if outcome.unreadable:
        metrics.add_metric(name="LeanItemsUnreadable", unit=MetricUnit.Count, value=outcome.unreadable)
    logger.info(
        "payment sources refreshed",
        extra={"called_lean": outcome.called_lean, "stored": outcome.stored, "foreign": outcome.foreign},
    )
    page = page_of(outcome.sources, limit, None)
    return PaymentSourcePage.of(customer_id, page.sources, page.next_token)


@app.delete(
    "/customers/<customer_id>/payment-sources/<payment_source_id>",
    summary="Delete a payment source at Lean and here",
    responses=_answers(Deletion, 502, 503),
)
def delete_payment_source(customer_id: CustomerId, payment_source_id: PaymentSourceId) -> Deletion:
    """Delete the payment source at Lean (`reason: USER_REQUESTED`), then mark it and its beneficiaries deleted:
    not chargeable, out of the recovery index, left out of the list."""
    customer_id, payment_source_id = customer_id.lower(), payment_source_id.lower()
    outcome = use("payment_source_deletion").delete(customer_id, payment_source_id)
    logger.info(
        "payment source deleted",
        extra={"deleted_at_lean": outcome.deleted_at_lean_now, "beneficiaries": outcome.beneficiaries},
    )
    return Deletion(
        customer_id=customer_id,
        payment_source_id=payment_source_id,
        deleted=True,
        already_gone_at_lean=not outcome.deleted_at_lean_now,
    )


# ---------- erasure ----------
@app.delete(
    "/customers/<customer_id>",
    summary="Erase everything stored for the customer (deleting at Lean first what is still active there)",
    description="Deletes at Lean every payment source Lean holds for the customer, then everything here; nothing "
    "read from Lean before the erasure is stored, pushed or published after it. A repeat finds nothing and answers "
    "zeros. Lean failing midway: 503 with Retry-After (or 502 when Lean refused): what Lean deleted is shown as "
    "deleted, and repeating the call completes the erasure. Announced once on the event bus as Customer Erased.",
    responses=_answers(Erasure, 502, 503),
)
def erase_customer(customer_id: CustomerId) -> Erasure:
    customer_id = customer_id.lower()
    outcome = use("customer_erasure").erase(customer_id)
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1 if outcome.event_id else 0)
    return Erasure(
        customer_id=customer_id,
        deleted_at_lean=outcome.deleted_at_lean,
        push_endpoints=outcome.push_endpoints,
        deleted=ErasedCounts(**outcome.deleted),
        event_id=outcome.event_id,
    )


@app.exception_handler(ErasureIncomplete)
def erasure_incomplete(exc: ErasureIncomplete) -> Response:
    """Lean failed midway: the erasure stays under way (the customer's writes refused) until a repeat completes it."""
    metrics.add_metric(name="ErasuresIncomplete", unit=MetricUnit.Count, value=1)
    logger.warning("erasure incomplete", extra={"reason": exc.cause.reason, "deleted_at_lean": exc.deleted_at_lean})
    if not exc.cause.retryable:
        return error_response(502, "lean_error", "Lean refused the erasure: repeat it once that is fixed")
    return Response(
        status_code=503,
        content_type="application/json",
        body={"error": "lean_unavailable", "message": "Lean is unavailable: the erasure is incomplete, repeat it"},
        headers={"Retry-After": str(max(1, math.ceil(exc.cause.retry_after_s or DEFAULT_RETRY_AFTER_S)))},
    )


# ---------- errors ----------
@app.exception_handler(RequestUnsupportedContentType)
def unsupported_body(exc: RequestUnsupportedContentType) -> Response:
    return refusal() or error_response(415, "unsupported_media_type", "the body must be application/json")


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response:
    """Validation runs before the middleware: the checks that come first still decide the answer. A path this API
    serves with another method (`DELETE .../payment-sources/refresh` reaches the payment source's route) is 405."""
    return refusal() or other_method() or error_response(400, "bad_request", validation_message(exc.errors()))


def other_method() -> Response | None:
    if REFRESH_PATH.match(app.current_event.path) and app.current_event.http_method != "POST":
        response = error_response(405, "method_not_allowed", "this path takes POST")
        response.headers["Allow"] = "POST"
        return response
    return None


@app.exception_handler(RefreshUnavailable)
def refresh_unavailable(exc: RefreshUnavailable) -> Response:
    metrics.add_metric(name="RefreshesFailed", unit=MetricUnit.Count, value=1)
    if not exc.retryable:
        return error_response(502, "lean_error", "Lean refused the refresh")
    return Response(
        status_code=503,
        content_type="application/json",
        body={"error": "lean_unavailable", "message": "Lean is unavailable: nothing changed, retry later"},
        headers={"Retry-After": str(exc.retry_after_s)},
    )


@app.exception_handler(LeanApiError)
def lean_failed(exc: LeanApiError) -> Response:
    """Lean refused or is unavailable: nothing changed here."""
    logger.warning("Lean refused the deletion", extra={"reason": exc.reason})
    if exc.retryable:
        return error_response(503, "lean_error", "Lean is unavailable, try again later")
    return error_response(502, "lean_error", "Lean refused the deletion")


@app.exception_handler(DeviceRegistrationConflict)
def registration_conflict(exc: DeviceRegistrationConflict) -> Response:
    return error_response(409, "conflict", str(exc))


@app.exception_handler(RecursionError)
def too_deep(exc: RecursionError) -> Response:
    return error_response(400, "bad_request", "invalid request: body (nested too deeply)")


@app.exception_handler(UnicodeDecodeError)
def not_text(exc: UnicodeDecodeError) -> Response:
    return error_response(400, "bad_request", "invalid request: body (not UTF-8 JSON)")


@app.exception_handler(Exception)
def failed(exc: Exception) -> Response:
    """A request the first checks refuse is refused (its body may have failed to parse before they ran); routing
    errors keep their 4xx (as `{"error", "message"}`); anything else is a logged 500."""
    return refusal() or unexpected_error(exc, "customer API request")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of these routes (what `make openapi` writes to docs/openapi.json)."""
    schema = json.loads(
        app.get_openapi_json_schema(
            title="Lean payment sources: customer API",
            version="1.1.0",
            description="Called by the fintech's app backend with SigV4 (IAM). Every error is {error, message}.",
        )
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema()
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)  # validation errors are answered 400 here
            if "204" in responses:  # no body, and no 200
                responses["204"].pop("content", None)
                responses.pop("200", None)
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    return schema


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, **use_cases: Any) -> dict:
    """`use_cases`: instead of the wired ones, by their builder's name in `lean_webhooks.wiring` (tests)."""
    app.append_context(**use_cases)
    return app.resolve(event, context)
