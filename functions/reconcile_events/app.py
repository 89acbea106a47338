"""Scheduled: recover events whose every webhook delivery failed, from Lean's Events API, into the sync queue
(core `EventsReconciler`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import count, logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.events_reconciliation import EventsReconciler


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, reconciler: EventsReconciler | None = None) -> dict:
    outcome = (reconciler or wiring.events_reconciler()).run()
    count(
        EventsSeen=outcome.seen,
        EventsAlreadyProcessed=outcome.already_processed,
        EventsReplayed=outcome.replayed,
        EventsInvalid=outcome.invalid,
    )
    logger.info("events reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
