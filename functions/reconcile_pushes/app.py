"""Scheduled (and runnable by hand): push the recent activations the stream path did not finish, once each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks.adapters.dynamodb.devices import DeviceStore
from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.push_markers import PushMarkers
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.push_texts import push_texts
from lean_webhooks.adapters.sns_push import PushGateway
from lean_webhooks.core.activation_notifier import ActivationNotifier
from lean_webhooks.core.push_reconciliation import GRACE, PushReconciler
from lean_webhooks.runtime.config import PushSettings, env_int
from lean_webhooks.runtime.invocation import Invocation
from lean_webhooks.runtime.observability import count_now, logger, metrics

settings = PushSettings.from_env()
_table = Table(settings.table_name)
store = PaymentSourceStore(_table)
notifier = ActivationNotifier(
    DeviceStore(_table),
    PushMarkers(_table),
    PushGateway(),
    lease=timedelta(seconds=settings.push_lease_s),
    before_possible_duplicate=lambda: count_now("PushesPossiblyDuplicated"),
    texts=push_texts,
)
invocation = Invocation()
grace = timedelta(seconds=env_int("PUSH_RECONCILE_GRACE_SECONDS", int(GRACE.total_seconds())))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    invocation.start(context)
    outcome = PushReconciler(store, notifier, grace=grace, seconds_left=invocation.seconds_left).run()
    metrics.add_metric(name="PushesReconciled", unit=MetricUnit.Count, value=outcome.pushed)
    metrics.add_metric(name="PushReconcileFailures", unit=MetricUnit.Count, value=outcome.still_failing)
    logger.info("push reconciliation run", extra=outcome.as_dict())
    return outcome.as_dict()
