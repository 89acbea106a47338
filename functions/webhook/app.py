"""POST /webhooks/lean: verify, validate and route Lean webhooks; answer fast.

The HTTP API routes only `POST /webhooks/lean` here, so the function reads the payload-2.0 event itself: an
event router would add its import to every cold start that Lean waits on, for one route."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.core.intake import IntakeResult, Rejection, WebhookIntake, WebhookRejected
from lean_webhooks.core.signature import SIGNATURE_HEADER
from lean_webhooks.models.labels import safe_label
from lean_webhooks.runtime import http_v2
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.snapstart import register_hooks

ROUTE = "POST /webhooks/lean"
STATUS = {Rejection.SOURCE_NOT_ALLOWED: 403, Rejection.TOO_LARGE: 413, Rejection.BAD_SIGNATURE: 401}  # else 400

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
wiring.webhook_settings()  # a missing or malformed setting fails the start, with its name


def receive_webhook(event: dict[str, Any], intake: WebhookIntake) -> dict[str, Any]:
    try:
        raw_body = http_v2.raw_body(event)
    except http_v2.BadBody as exc:
        raise WebhookRejected(Rejection.INVALID_BODY, str(exc)) from None
    result = intake.accept(raw_body, http_v2.header(event, SIGNATURE_HEADER), http_v2.source_ip(event))
    count(result)
    return http_v2.json_answer(
        200, {"status": "accepted" if result.queued else "ignored", "event_id": result.event.event_id}
    )


def count(result: IntakeResult) -> None:
    metrics.add_metric(name="WebhooksQueued" if result.queued else "WebhooksIgnored", unit=MetricUnit.Count, value=1)
    if result.unroutable:
        metrics.add_metric(name="WebhooksUnroutable", unit=MetricUnit.Count, value=1)
        logger.warning("webhook names no payment source to sync", extra={"type": safe_label(result.event.type)})
    logger.info(
        "webhook accepted",
        extra={"type": safe_label(result.event.type), "event_id": result.event.event_id, "queued": result.queued},
    )


def rejected(exc: WebhookRejected) -> dict[str, Any]:
    status = STATUS.get(exc.rejection, 400)
    metrics.add_metric(name="WebhooksRejected", unit=MetricUnit.Count, value=1)
    logger.warning("webhook rejected", extra={"status": status, "error": exc.rejection.value})
    return http_v2.error_answer(status, exc.rejection.value, exc.detail)


def failed() -> dict[str, Any]:
    """Our fault (secret unreadable, queue down): 500 so that Lean retries. A handled 500 leaves Lambda's
    Errors at 0, so this metric is what alarms."""
    logger.exception("webhook processing failed")
    metrics.add_metric(name="WebhooksFailed", unit=MetricUnit.Count, value=1)
    return http_v2.error_answer(500, *http_v2.INTERNAL_ERROR)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, intake: WebhookIntake | None = None) -> dict:
    if event.get("routeKey") != ROUTE:  # only reachable by a misrouted integration
        return http_v2.error_answer(404, "not_found", "no such route")
    try:
        return receive_webhook(event, intake or wiring.webhook_intake())
    except WebhookRejected as exc:
        return rejected(exc)
    except Exception:  # noqa: BLE001 - answered 500 and logged with its traceback
        return failed()
