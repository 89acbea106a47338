"""Scheduled: re-read beneficiaries still awaiting their cool-off past its expiry (missed-webhook recovery)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.lean.factory import lean_client
from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.runtime.config import LeanSettings, required
from lean_webhooks.runtime.observability import logger, metrics

lean_settings = LeanSettings.from_env()
store = PaymentSourceStore(Table(required("TABLE_NAME")))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    sync = PaymentSourceSync(lean_client(lean_settings), store, lean_settings.app_id)
    outcome = CoolOffRecovery(sync, store).run()
    metrics.add_metric(name="RecoveryActivations", unit=MetricUnit.Count, value=outcome.activated)
    metrics.add_metric(name="RecoveryFailures", unit=MetricUnit.Count, value=outcome.failed)
    metrics.add_metric(name="RecoveryParked", unit=MetricUnit.Count, value=outcome.parked)
    logger.info("cool-off recovery run", extra=outcome.as_dict())
    return outcome.as_dict()
