"""Scheduled (and runnable by hand): push the recent activations the stream path did not finish, once each, and
count the ones that left the window unsettled (core `PushReconciler`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import count, logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.push_reconciliation import PushReconciler


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, reconciler: PushReconciler | None = None) -> dict:
    reconciler = reconciler or wiring.push_reconciler()
    outcome = reconciler.run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    count(
        PushesReconciled=outcome.pushed,
        PushReconcileFailures=outcome.still_failing,
        ActivationsAbandoned=outcome.abandoned,
    )
    logger.info("push reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
