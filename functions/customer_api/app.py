"""IAM-authorised API for the customer's app backend: devices and stored payment sources."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import TypeAdapter, ValidationError

from lean_webhooks.adapters.dynamodb.devices import DeviceStore
from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.sns_push import PushGateway
from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.payment_source_view import payment_sources_view
from lean_webhooks.models.common import LeanId
from lean_webhooks.models.customer_api import DeviceRegistration
from lean_webhooks.models.errors import PlatformNotConfigured
from lean_webhooks.models.validation import invalid_fields
from lean_webhooks.runtime.config import LeanSettings, PushSettings
from lean_webhooks.runtime.http_errors import error_response, unexpected_error
from lean_webhooks.runtime.observability import logger, metrics

app = APIGatewayHttpResolver()
settings = PushSettings.from_env()
_table = Table(settings.table_name)
registry = DeviceRegistry(settings, DeviceStore(_table), PushGateway())
payment_sources = PaymentSourceStore(_table)
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_LEAN_ID = TypeAdapter(LeanId)


def _lean_id(raw: str, name: str = "customer_id") -> str:
    """A Lean id from the path (a UUID, lower-cased), or a 400 naming the parameter."""
    try:
        return _LEAN_ID.validate_python(raw)
    except ValidationError:
        raise BadRequestError(f"{name} must be a UUID") from None


def _device_id(raw: str) -> str:
    if not _DEVICE_ID.match(raw):
        raise BadRequestError("device_id must be 1-128 characters of letters, digits, '.', '_' or '-'")
    return raw


@app.put("/customers/<customer_id>/devices/<device_id>")
def put_device(customer_id: str, device_id: str) -> Response:
    cid, did = _lean_id(customer_id), _device_id(device_id)
    try:
        registration = DeviceRegistration.model_validate(json.loads(app.current_event.decoded_body or "null"))
    except (ValueError, ValidationError, RecursionError) as exc:
        fields = invalid_fields(exc) if isinstance(exc, ValidationError) else ["body"]
        raise BadRequestError(f"invalid device registration: {', '.join(fields)}") from None
    try:
        device = registry.register(cid, did, registration)
    except PlatformNotConfigured:
        raise BadRequestError(f"platform {registration.platform} is not configured") from None
    logger.info("device registered", extra={"device_id": did, "platform": registration.platform})
    return Response(status_code=200, content_type="application/json", body=device)


@app.delete("/customers/<customer_id>/devices/<device_id>")
def delete_device(customer_id: str, device_id: str) -> Response:
    if not registry.unregister(_lean_id(customer_id), _device_id(device_id)):
        raise NotFoundError("device not registered")
    return Response(status_code=204, content_type="application/json", body="")


@app.get("/customers/<customer_id>/payment-sources")
def get_payment_sources(customer_id: str) -> dict:
    cid = _lean_id(customer_id)
    return payment_sources_view(cid, payment_sources.list_for_customer(cid))


@app.delete("/customers/<customer_id>/payment-sources/<payment_source_id>")
def delete_payment_source(customer_id: str, payment_source_id: str) -> Response:
    """Delete the payment source at Lean (`reason: USER_REQUESTED`), then mark it and its beneficiaries deleted:
    not chargeable, out of the recovery index, left out of the list."""
    from lean_webhooks.adapters.lean.factory import lean_client  # lazy: only deletions need the HTTP client
    from lean_webhooks.models.errors import LeanApiError

    cid, psid = _lean_id(customer_id), _lean_id(payment_source_id, "payment_source_id")
    try:
        deleted_now = lean_client(_lean_settings()).delete_payment_source(cid, psid)
    except LeanApiError as exc:
        logger.warning("Lean refused the deletion", extra={"reason": exc.reason})
        status = 503 if exc.retryable else 502
        message = "Lean is unavailable, try again later" if exc.retryable else "Lean refused the deletion"
        return error_response(status, "lean_error", message)
    changed = payment_sources.mark_payment_source_deleted(cid, psid, "USER_REQUESTED", datetime.now(UTC))
    logger.info("payment source deleted", extra={"deleted_at_lean": deleted_now, "beneficiaries": changed})
    return Response(
        status_code=200,
        content_type="application/json",
        body={"customer_id": cid, "payment_source_id": psid, "deleted": True, "already_gone_at_lean": not deleted_now},
    )


@app.exception_handler(Exception)
def failed(exc: Exception) -> Response:
    """Routing and validation errors keep their 4xx (as `{"error", "message"}`); anything else is a logged 500."""
    return unexpected_error(exc, "customer API request")


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
        return {
            "statusCode": 403,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": "forbidden", "message": "requests must be signed (IAM authorisation)"}),
        }
    return app.resolve(event, context)
