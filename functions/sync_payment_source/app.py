"""SQS sync queue -> Lean API -> DynamoDB, once per event_id, with partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import ValidationError

from lean_webhooks.aws import client
from lean_webhooks.config import LeanSettings, SyncSettings
from lean_webhooks.lean.factory import lean_client
from lean_webhooks.models.webhook import BeneficiaryEvent
from lean_webhooks.observability import logger, metrics
from lean_webhooks.retry_policy import SqsRetryPolicy
from lean_webhooks.store.payment_sources import PaymentSourceStore
from lean_webhooks.store.table import Table
from lean_webhooks.sync import PaymentSourceSync

settings = SyncSettings.from_env()
lean_settings = LeanSettings.from_env()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
idempotency = IdempotencyConfig(event_key_jmespath="event_id", expires_after_seconds=settings.idempotency_ttl_s)
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name, boto3_client=client("dynamodb"))
store = PaymentSourceStore(Table(settings.table_name))
policy = SqsRetryPolicy(
    sqs=client("sqs"),
    queue_url=settings.queue_url,
    dlq_url=settings.dlq_url,
    max_receive_count=settings.max_receive_count,
    base_delay_s=settings.retry_base_delay_s,
    max_delay_s=settings.retry_max_delay_s,
)


def _service() -> PaymentSourceSync:
    return PaymentSourceSync(lean_client(lean_settings), store, lean_settings.app_id)


@idempotent_function(data_keyword_argument="event", config=idempotency, persistence_store=persistence)
def sync_once(event: dict) -> dict:
    """Runs at most once per event_id (a failure clears the record so a retry can run)."""
    outcome = _service().sync(BeneficiaryEvent.model_validate(event))
    logger.info("payment source synced", extra={"event_id": event["event_id"], **outcome.as_dict()})
    return outcome.as_dict()


def record_handler(record: SQSRecord) -> None:
    try:
        event = BeneficiaryEvent.model_validate_json(record.body)
    except ValidationError:
        policy.dead_letter(record, "invalid_message")
        return
    policy.run(record, lambda: sync_once(event=event.model_dump(mode="json")))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
