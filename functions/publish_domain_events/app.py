"""DynamoDB stream (second reader, filtered to transitions) -> domain events on the EventBridge bus (core
`DomainEventPublisher`), with partial batch failures: a record whose events the bus refused is retried, then
described in the on-failure queue."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from lean_webhooks import wiring
from lean_webhooks.core.domain_events import DomainEventPublisher
from lean_webhooks.models.domain_events import StoredChange
from lean_webhooks.models.timestamps import iso
from lean_webhooks.runtime.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
wiring.publisher_settings()  # a missing setting fails the start, with its name


def change_of(record: DynamoDBRecord) -> StoredChange:
    """The stream record as the core reads it: plain images, its id, and when DynamoDB recorded it."""
    images = record.dynamodb
    created = images.approximate_creation_date_time if images else None
    return StoredChange(
        record_id=record.event_id or "",
        kind=record.event_name.name if record.event_name else "",
        old=images.old_image if images else None,
        new=images.new_image if images else None,
        approximate_at=iso(datetime.fromtimestamp(created, UTC) if created else datetime.now(UTC)),
    )


def record_handler(record: DynamoDBRecord, publisher: DomainEventPublisher) -> None:
    events = publisher.publish(change_of(record))
    for event in events:
        metrics.add_metric(name="DomainEventsPublished", unit=MetricUnit.Count, value=1)
        logger.info("domain event published", extra={"detail_type": event.detail_type, "event_id": event.event_id})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any, publisher: DomainEventPublisher | None = None) -> dict:
    handler = partial(record_handler, publisher=publisher or wiring.domain_event_publisher())
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)
