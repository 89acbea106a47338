"""Scheduled: re-read beneficiaries still awaiting their cool-off past its expiry (missed-webhook recovery, core
`CoolOffRecovery`). The Lean client and Lean's models load only when a run finds an overdue item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.cool_off_recovery import CoolOffRecovery


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, recovery: CoolOffRecovery | None = None) -> dict:
    outcome = (recovery or wiring.cool_off_recovery()).run()
    metrics.add_metric(name="RecoveryActivations", unit=MetricUnit.Count, value=outcome.activated)
    metrics.add_metric(name="RecoveryFailures", unit=MetricUnit.Count, value=outcome.failed)
    metrics.add_metric(name="RecoveryParked", unit=MetricUnit.Count, value=outcome.parked)
    logger.info("cool-off recovery run", extra=outcome.as_dict())
    return outcome.as_dict()
