"""Scheduled: re-read beneficiaries still awaiting their cool-off past its expiry (missed-webhook recovery, core
`CoolOffRecovery`). The Lean client and Lean's models load only when a run finds an overdue item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lean_webhooks import wiring
from lean_webhooks.runtime.observability import count, logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.cool_off_recovery import CoolOffRecovery


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, recovery: CoolOffRecovery | None = None) -> dict:
    outcome = (recovery or wiring.cool_off_recovery()).run()
    count(RecoveryActivations=outcome.activated, RecoveryFailures=outcome.failed, RecoveryParked=outcome.parked)
    logger.info("cool-off recovery run", extra=outcome.as_dict())
    return outcome.as_dict()
