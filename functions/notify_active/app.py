"""DynamoDB stream (filtered to activations) -> SNS mobile push to every enabled device, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from lean_webhooks.adapters.dynamodb.devices import DeviceStore
from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.push_markers import PushMarkers
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.push_texts import push_texts
from lean_webhooks.adapters.sns_push import PushGateway
from lean_webhooks.core.activation_notifier import ActivationNotifier, NotifyOutcome, PushFailed
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.models.beneficiary import BeneficiaryActivation, BeneficiaryIdentity
from lean_webhooks.runtime.config import PushSettings
from lean_webhooks.runtime.invocation import Invocation
from lean_webhooks.runtime.observability import count_now, logger, metrics

settings = PushSettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
_table = Table(settings.table_name)
notifier = ActivationNotifier(
    DeviceStore(_table),
    PushMarkers(_table),
    PushGateway(),
    lease=timedelta(seconds=settings.push_lease_s),
    before_possible_duplicate=lambda: count_now("PushesPossiblyDuplicated"),
    texts=push_texts,
)
store = PaymentSourceStore(_table)
invocation = Invocation()
_seconds_left = invocation.seconds_left  # a module name, so that tests can shorten the time left


def _count(outcome: NotifyOutcome) -> None:
    metrics.add_metric(name="PushesSent", unit=MetricUnit.Count, value=outcome.sent)
    metrics.add_metric(name="PushEndpointsDisabled", unit=MetricUnit.Count, value=outcome.disabled)
    if outcome.unknown:  # SNS may have accepted it: the retry may be the one unavoidable duplicate
        metrics.add_metric(name="PushesOutcomeUnknown", unit=MetricUnit.Count, value=outcome.unknown)
    if outcome.failed:
        metrics.add_metric(name="PushesFailed", unit=MetricUnit.Count, value=len(outcome.failed))


def record_handler(record: DynamoDBRecord) -> None:
    images = record.dynamodb
    new = images.new_image if images else None
    if not is_push_worthy_activation(images.old_image if images else None, new):
        return  # the event source filter should have dropped it: re-checked, not trusted
    logger.append_keys(event_id=new.get("last_event_id"))  # the event whose sync activated it (webhook to push)
    identity = BeneficiaryIdentity(new["customer_id"], new["payment_source_id"], new["beneficiary_id"])
    try:
        outcome = notifier.notify(BeneficiaryActivation(identity, new.get("bank_identifier", "")), _seconds_left)
    except PushFailed as exc:
        _count(exc.outcome)
        raise
    _count(outcome)
    # Every device pushed (or disabled): out of the reconciliation index, unless a later activation took its place.
    # A crash before this leaves it to the push reconciler, which finds the markers SENT and settles it.
    store.settle_activation(identity, datetime.now(UTC), activated_at=new.get("gsi2sk"))
    logger.info(
        "activation pushed",
        extra={
            "beneficiary_id": identity.beneficiary_id,
            "sent": outcome.sent,
            "already_sent": outcome.already_sent,
            "disabled": outcome.disabled,
        },
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    invocation.start(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
