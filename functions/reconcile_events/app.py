"""Scheduled: recover events whose every webhook delivery failed, from Lean's Events API, into the sync queue
(core `EventsReconciler`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.events_reconciliation import EventsReconciler


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, reconciler: EventsReconciler | None = None) -> dict:
    outcome = (reconciler or wiring.events_reconciler()).run()
    metrics.add_metric(name="EventsSeen", unit=MetricUnit.Count, value=outcome.seen)
    metrics.add_metric(name="EventsAlreadyProcessed", unit=MetricUnit.Count, value=outcome.already_processed)
    metrics.add_metric(name="EventsReplayed", unit=MetricUnit.Count, value=outcome.replayed)
    metrics.add_metric(name="EventsInvalid", unit=MetricUnit.Count, value=outcome.invalid)
    logger.info("events reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
