"""DynamoDB stream (second reader, filtered to transitions) -> domain events on the EventBridge bus (core
`DomainEventPublisher`), with partial batch failures: a record whose events the bus refused is retried, then
described in the on-failure queue. Per item, events reach the bus in stream order (`InStreamOrder`)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from lean_webhooks import wiring
from lean_webhooks.adapters.dynamodb.stream import change_of
from lean_webhooks.core.domain_events import DomainEventPublisher, InStreamOrder
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
wiring.publisher_settings()  # a missing setting fails the start, with its name


def record_handler(record: DynamoDBRecord, publisher: InStreamOrder) -> None:
    events = publisher.publish(change_of(record.raw_event))
    for event in events:
        metrics.add_metric(name="DomainEventsPublished", unit=MetricUnit.Count, value=1)
        logger.info("domain event published", extra={"detail_type": event.detail_type, "event_id": event.event_id})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, publisher: DomainEventPublisher | None = None) -> dict:
    # per item in stream order: a failed record holds back the item's later records, reported failed with it, and
    # Lambda retries from the lowest failed sequence number (AWS Lambda developer guide, "Configuring partial batch
    # response with DynamoDB and Lambda": services-ddb-batchfailurereporting.html)
    ordered = InStreamOrder(publisher or wiring.domain_event_publisher())
    handler = partial(record_handler, publisher=ordered)
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)
