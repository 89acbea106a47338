"""IAM-authorised API for the customer's app backend: devices and stored payment sources.

Routes are typed (Powertools Event Handler validation): the OpenAPI document `docs/openapi.json` is generated
from them (`make openapi`), and every 4xx is `{"error", "message"}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.dynamodb.devices import DeviceStore
from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.sns_push import PushGateway
from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.payment_source_view import page_of_payment_sources
from lean_webhooks.models.customer_api import (
    DEVICE_ID_PATTERN,
    MAX_PAGE,
    Deletion,
    Device,
    DeviceList,
    DeviceRegistration,
    ErrorBody,
    PaymentSourcePage,
)
from lean_webhooks.models.errors import InvalidPageToken, LeanApiError, PlatformNotConfigured
from lean_webhooks.runtime.config import LeanSettings, PushSettings
from lean_webhooks.runtime.http_errors import error_response, unexpected_error, validation_message
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.snapstart import register_hooks

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
app = APIGatewayHttpResolver(enable_validation=True)
settings = PushSettings.from_env()
_table = Table(settings.table_name)
registry = DeviceRegistry(settings, DeviceStore(_table), PushGateway())
payment_sources = PaymentSourceStore(_table)

# Lean ids in paths: a UUID in its canonical form (any case), lower-cased as the rest of the service stores them.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CustomerId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean customer id (a UUID)")]
DeviceId = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="your id for the device (1-128 of A-Za-z0-9._-)")]
PaymentSourceId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean payment source id (a UUID)")]


def _answers(ok: type | None, *codes: int) -> dict[int, dict[str, Any]]:
    """OpenAPI `responses`: the 200 answer's model (if any) and the errors a route can give (`{"error", "message"}`)."""
    reasons = {
        400: "invalid path, query or body",
        403: "not IAM-authorised",
        404: "not found (or a path this API does not route)",
        500: "our fault: retry",
        502: "Lean refused",
        503: "Lean unavailable: retry",
        415: "the body is not application/json",
    }
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    answers = {code: {"description": reasons[code], "content": body} for code in (400, 403, 404, 500, *codes)}
    if ok is not None:
        answers[200] = {"description": "OK", "content": {"application/json": {"model": ok}}}
    return answers


@app.put(
    "/customers/<customer_id>/devices/<device_id>",
    summary="Register or refresh a device",
    responses=_answers(Device, 415),
)
def put_device(
    customer_id: CustomerId, device_id: DeviceId, registration: Annotated[DeviceRegistration, Body()]
) -> Device:
    customer_id = customer_id.lower()  # Lean ids are stored lower-case
    try:
        device = registry.register(customer_id, device_id, registration)
    except PlatformNotConfigured:
        raise BadRequestError(f"platform {registration.platform} is not configured") from None
    logger.info("device registered", extra={"device_id": device_id, "platform": registration.platform})
    return device


@app.get("/customers/<customer_id>/devices", summary="The customer's devices", responses=_answers(DeviceList))
def list_devices(customer_id: CustomerId) -> DeviceList:
    customer_id = customer_id.lower()
    return DeviceList(customer_id=customer_id, devices=registry.devices(customer_id))


@app.delete(
    "/customers/<customer_id>/devices/<device_id>",
    summary="Unregister a device",
    responses={204: {"description": "unregistered"}, **_answers(None)},
)
def delete_device(customer_id: CustomerId, device_id: DeviceId) -> Response[None]:
    if not registry.unregister(customer_id.lower(), device_id):
        raise NotFoundError("device not registered")
    return Response(status_code=204, content_type="application/json", body="")


@app.get(
    "/customers/<customer_id>/payment-sources", summary="Stored payment sources", responses=_answers(PaymentSourcePage)
)
def get_payment_sources(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="payment sources per page")] = 50,
    next_token: Annotated[str | None, Query(max_length=512, description="from the previous page")] = None,
) -> PaymentSourcePage:
    customer_id = customer_id.lower()
    try:
        return page_of_payment_sources(customer_id, payment_sources.list_for_customer(customer_id), limit, next_token)
    except InvalidPageToken:
        raise BadRequestError("next_token is not one this API gave") from None


@app.delete(
    "/customers/<customer_id>/payment-sources/<payment_source_id>",
    summary="Delete a payment source at Lean and here",
    responses=_answers(Deletion, 502, 503),
)
def delete_payment_source(customer_id: CustomerId, payment_source_id: PaymentSourceId) -> Deletion:
    """Delete the payment source at Lean (`reason: USER_REQUESTED`), then mark it and its beneficiaries deleted:
    not chargeable, out of the recovery index, left out of the list."""
    from lean_webhooks.adapters.lean.factory import lean_client  # lazy: only deletions need the HTTP client

    customer_id, payment_source_id = customer_id.lower(), payment_source_id.lower()
    deleted_now = lean_client(_lean_settings()).delete_payment_source(customer_id, payment_source_id)
    changed = payment_sources.mark_payment_source_deleted(
        customer_id, payment_source_id, "USER_REQUESTED", datetime.now(UTC)
    )
    logger.info("payment source deleted", extra={"deleted_at_lean": deleted_now, "beneficiaries": changed})
    return Deletion(
        customer_id=customer_id,
        payment_source_id=payment_source_id,
        deleted=True,
        already_gone_at_lean=not deleted_now,
    )


@app.exception_handler(RequestUnsupportedContentType)
def unsupported_body(exc: RequestUnsupportedContentType) -> Response:
    return error_response(415, "unsupported_media_type", "the body must be application/json")


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response:
    return error_response(400, "bad_request", validation_message(exc.errors()))


@app.exception_handler(LeanApiError)
def lean_failed(exc: LeanApiError) -> Response:
    """Lean refused or is unavailable: nothing changed here."""
    logger.warning("Lean refused the deletion", extra={"reason": exc.reason})
    if exc.retryable:
        return error_response(503, "lean_error", "Lean is unavailable, try again later")
    return error_response(502, "lean_error", "Lean refused the deletion")


@app.exception_handler(RecursionError)
def too_deep(exc: RecursionError) -> Response:
    return error_response(400, "bad_request", "invalid request: body (nested too deeply)")


@app.exception_handler(UnicodeDecodeError)
def not_text(exc: UnicodeDecodeError) -> Response:
    return error_response(400, "bad_request", "invalid request: body (not UTF-8 JSON)")


@app.exception_handler(Exception)
def failed(exc: Exception) -> Response:
    """Routing errors keep their 4xx (as `{"error", "message"}`); anything else is a logged 500."""
    return unexpected_error(exc, "customer API request")


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of these routes (what `make openapi` writes to docs/openapi.json)."""
    schema = json.loads(
        app.get_openapi_json_schema(
            title="Lean payment sources: customer API",
            version="1.0.0",
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


@cache
def _lean_settings() -> LeanSettings:
    return LeanSettings.from_env()


def _iam_authorised(event: dict) -> bool:
    """API Gateway's IAM authorizer signs every request it lets through; without its context, refuse."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return bool((authorizer.get("iam") or {}).get("userArn"))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    if not _iam_authorised(event):  # a route deployed without AWS_IAM, or a direct invoke: fail closed
        metrics.add_metric(name="CustomerApiUnauthorised", unit=MetricUnit.Count, value=1)
        return _plain(403, "forbidden", "requests must be signed (IAM authorisation)")
    content_type = str((event.get("headers") or {}).get("content-type") or "").strip().lower()
    if event.get("body") and content_type and not content_type.startswith("application/json"):
        return _plain(415, "unsupported_media_type", "the body must be application/json")  # not forms, not files
    return app.resolve(event, context)


def _plain(status: int, error: str, message: str) -> dict:
    """An answer given before routing, in the API's one error shape."""
    body = json.dumps({"error": error, "message": message})
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}
