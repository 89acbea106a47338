"""POST /webhooks/lean: verify, validate and route Lean webhooks; answer fast."""

from __future__ import annotations

import base64
import binascii
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.aws import client
from lean_webhooks.adapters.secrets import webhook_secrets
from lean_webhooks.core import intake
from lean_webhooks.core.signature import SIGNATURE_HEADER
from lean_webhooks.models.labels import safe_label
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, sync_message
from lean_webhooks.runtime.config import WebhookSettings
from lean_webhooks.runtime.http_errors import unexpected_error
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.snapstart import register_hooks

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
app = APIGatewayHttpResolver()
settings = WebhookSettings.from_env()


@cache
def _sqs() -> Any:
    return client("sqs")


def _secrets() -> tuple[str, ...]:
    return webhook_secrets(settings.webhook_secret_id, settings.secret_max_age_s)


def _enqueue(event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> None:
    """Queue the event for the sync, with the API request id so that the sync's log lines name it too."""
    attributes = {"api_request_id": {"DataType": "String", "StringValue": logger.get_correlation_id() or "-"}}
    _sqs().send_message(QueueUrl=settings.sync_queue_url, MessageBody=sync_message(event), MessageAttributes=attributes)


def _raw_body(raw_event: dict[str, Any]) -> bytes:
    body = raw_event.get("body") or ""
    if raw_event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise intake.WebhookRejected(400, "invalid_body", "body is not valid base64") from None
    return body.encode("utf-8")


@app.post("/webhooks/lean")
def receive_webhook() -> Response:
    event = app.current_event
    result = intake.accept(
        raw_body=_raw_body(event.raw_event),
        signature_header=event.headers.get(SIGNATURE_HEADER),  # HTTP API lower-cases header names
        source_ip=event.request_context.http.source_ip,
        settings=settings,
        secrets=_secrets,
        enqueue=_enqueue,
    )
    metrics.add_metric(name="WebhooksQueued" if result.queued else "WebhooksIgnored", unit=MetricUnit.Count, value=1)
    if result.unroutable:
        metrics.add_metric(name="WebhooksUnroutable", unit=MetricUnit.Count, value=1)
        logger.warning("webhook names no payment source to sync", extra={"type": safe_label(result.event.type)})
    logger.info(
        "webhook accepted",
        extra={"type": safe_label(result.event.type), "event_id": result.event.event_id, "queued": result.queued},
    )
    return Response(status_code=200, content_type="application/json", body=result.body())


@app.exception_handler(intake.WebhookRejected)
def rejected(exc: intake.WebhookRejected) -> Response:
    metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
    logger.warning("webhook rejected", extra={"status": exc.status_code, "error": exc.error})
    return Response(status_code=exc.status_code, content_type="application/json", body=exc.body())


@app.exception_handler(Exception)
def failed(exc: Exception) -> Response:
    """Our fault (secret unreadable, queue down): 500 so that Lean retries. Routing errors keep their 4xx."""
    response = unexpected_error(exc, "webhook processing")
    if response.status_code >= 500:  # a handled 500 leaves Lambda's Errors at 0: this metric is what alarms
        metrics.add_metric(name="WebhooksFailed", unit=MetricUnit.Count, value=1)
    return response


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    return app.resolve(event, context)
