"""Scheduled: re-read beneficiaries still awaiting their cool-off past its expiry (missed-webhook recovery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.runtime.config import LeanSettings, required
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from lean_webhooks.core.sync import PaymentSourceSync

lean_settings = LeanSettings.from_env()
store = PaymentSourceStore(Table(required("TABLE_NAME")))


def _sync() -> PaymentSourceSync:
    """The sync with its Lean client: imported (requests, Lean's models) only when a run finds an overdue item,
    which most runs do not."""
    from lean_webhooks.adapters.lean.factory import lean_client
    from lean_webhooks.core.sync import PaymentSourceSync

    return PaymentSourceSync(lean_client(lean_settings), store, lean_settings.app_id)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    outcome = CoolOffRecovery(_sync, store).run()
    metrics.add_metric(name="RecoveryActivations", unit=MetricUnit.Count, value=outcome.activated)
    metrics.add_metric(name="RecoveryFailures", unit=MetricUnit.Count, value=outcome.failed)
    metrics.add_metric(name="RecoveryParked", unit=MetricUnit.Count, value=outcome.parked)
    logger.info("cool-off recovery run", extra=outcome.as_dict())
    return outcome.as_dict()
