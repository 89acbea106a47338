"""Scheduled: recover events whose every webhook delivery failed, from Lean's Events API, into the sync queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.aws import client
from lean_webhooks.adapters.dynamodb.event_ledger import EventLedger
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.lean.factory import lean_client
from lean_webhooks.core.events_reconciliation import EventsReconciler
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, sync_message
from lean_webhooks.runtime.config import LeanSettings, required
from lean_webhooks.runtime.observability import logger, metrics

lean_settings = LeanSettings.from_env()
ledger = EventLedger(Table(required("TABLE_NAME")))
queue_url = required("SYNC_QUEUE_URL")


def _enqueue(event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> None:
    """The same message the webhook function queues for a delivered webhook."""
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=sync_message(event))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    outcome = EventsReconciler(lean_client(lean_settings), ledger, _enqueue).run()
    metrics.add_metric(name="EventsSeen", unit=MetricUnit.Count, value=outcome.seen)
    metrics.add_metric(name="EventsAlreadyProcessed", unit=MetricUnit.Count, value=outcome.already_processed)
    metrics.add_metric(name="EventsReplayed", unit=MetricUnit.Count, value=outcome.replayed)
    metrics.add_metric(name="EventsInvalid", unit=MetricUnit.Count, value=outcome.invalid)
    logger.info("events reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
