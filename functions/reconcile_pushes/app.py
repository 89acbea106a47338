"""Scheduled (and runnable by hand): push the recent activations the stream path did not finish, once each, and
count the ones that left the window unsettled (core `PushReconciler`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.push_reconciliation import PushReconciler


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, reconciler: PushReconciler | None = None) -> dict:
    reconciler = reconciler or wiring.push_reconciler()
    outcome = reconciler.run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="PushesReconciled", unit=MetricUnit.Count, value=outcome.pushed)
    metrics.add_metric(name="PushReconcileFailures", unit=MetricUnit.Count, value=outcome.still_failing)
    metrics.add_metric(name="ActivationsAbandoned", unit=MetricUnit.Count, value=outcome.abandoned)
    logger.info("push reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
