"""POST /webhooks/lean: verify, validate and route Lean webhooks; answer fast.

The HTTP API routes only `POST /webhooks/lean` here, so the function reads the payload-2.0 event itself: an
event router would add its import to every cold start that Lean waits on, for one route."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.aws import client
from lean_webhooks.adapters.secrets import webhook_secrets
from lean_webhooks.core import intake
from lean_webhooks.core.signature import SIGNATURE_HEADER
from lean_webhooks.models.labels import safe_label
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, sync_message
from lean_webhooks.runtime import http_v2
from lean_webhooks.runtime.config import WebhookSettings
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.snapstart import register_hooks

ROUTE = "POST /webhooks/lean"

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
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


def receive_webhook(event: dict[str, Any]) -> dict[str, Any]:
    try:
        raw_body = http_v2.raw_body(event)
    except http_v2.BadBody as exc:
        raise intake.WebhookRejected(400, "invalid_body", str(exc)) from None
    result = intake.accept(
        raw_body=raw_body,
        signature_header=http_v2.header(event, SIGNATURE_HEADER),
        source_ip=http_v2.source_ip(event),
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
    return http_v2.json_answer(200, result.body())


def rejected(exc: intake.WebhookRejected) -> dict[str, Any]:
    metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
    logger.warning("webhook rejected", extra={"status": exc.status_code, "error": exc.error})
    return http_v2.json_answer(exc.status_code, exc.body())


def failed() -> dict[str, Any]:
    """Our fault (secret unreadable, queue down): 500 so that Lean retries. A handled 500 leaves Lambda's
    Errors at 0, so this metric is what alarms."""
    logger.exception("webhook processing failed")
    metrics.add_metric(name="WebhooksFailed", unit=MetricUnit.Count, value=1)
    return http_v2.error_answer(500, *http_v2.INTERNAL_ERROR)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    if event.get("routeKey") != ROUTE:  # only reachable by a misrouted integration
        return http_v2.error_answer(404, "not_found", "no such route")
    try:
        return receive_webhook(event)
    except intake.WebhookRejected as exc:
        return rejected(exc)
    except Exception:  # noqa: BLE001 - answered 500 and logged with its traceback
        return failed()
