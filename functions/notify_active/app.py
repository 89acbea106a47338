"""DynamoDB stream (filtered to activations) -> SNS mobile push to every enabled device, once each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from lean_webhooks.activation import is_push_worthy_activation
from lean_webhooks.config import PushSettings
from lean_webhooks.notify import ActivationNotifier
from lean_webhooks.observability import logger, metrics
from lean_webhooks.push import Activation, PushGateway
from lean_webhooks.store.devices import DeviceStore
from lean_webhooks.store.push_markers import PushMarkers
from lean_webhooks.store.table import Table, from_item

settings = PushSettings.from_env()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
_table = Table(settings.table_name)
notifier = ActivationNotifier(DeviceStore(_table), PushMarkers(_table), PushGateway())


def _image(record: DynamoDBRecord, name: str) -> dict[str, Any] | None:
    raw = (record.raw_event.get("dynamodb") or {}).get(name)
    return from_item(raw) if raw else None


def record_handler(record: DynamoDBRecord) -> None:
    new = _image(record, "NewImage")
    if not is_push_worthy_activation(_image(record, "OldImage"), new):
        return  # the event source filter should have dropped it: re-checked, not trusted
    outcome = notifier.notify(
        Activation(
            customer_id=new["customer_id"],
            payment_source_id=new["payment_source_id"],
            beneficiary_id=new["beneficiary_id"],
            bank_identifier=new.get("bank_identifier", ""),
        )
    )
    metrics.add_metric(name="PushesSent", unit=MetricUnit.Count, value=outcome.sent)
    metrics.add_metric(name="PushEndpointsDisabled", unit=MetricUnit.Count, value=outcome.disabled)
    logger.info(
        "activation pushed",
        extra={
            "beneficiary_id": new["beneficiary_id"],
            "sent": outcome.sent,
            "already_sent": outcome.already_sent,
            "disabled": outcome.disabled,
        },
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
