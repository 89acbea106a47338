"""SQS sync queue -> Lean API -> DynamoDB, deduplicated on event_id by the event ledger, with partial batch
failures."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from lean_webhooks.adapters.aws import client
from lean_webhooks.adapters.dynamodb.event_ledger import SYNCED, EventLedger
from lean_webhooks.adapters.dynamodb.payment_sources import PaymentSourceStore
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.adapters.lean.factory import lean_client
from lean_webhooks.adapters.sqs_retry import SqsRetryPolicy
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.webhook import SYNC_EVENT, BeneficiaryEvent, PaymentSourceUpdatedEvent
from lean_webhooks.runtime.config import LeanSettings, SyncSettings
from lean_webhooks.runtime.invocation import Invocation
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.sync_budget import SyncBudget

settings = SyncSettings.from_env()
lean_settings = LeanSettings.from_env()
if lean_settings.needs_client_certificate:
    lean_client(lean_settings)  # start-up check: production app_token without a certificate fails the init, clearly
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_table = Table(settings.table_name)
store = PaymentSourceStore(_table)
ledger = EventLedger(_table)
budget = SyncBudget(lean_settings.call_deadline_s)
invocation = Invocation()
_seconds_left = invocation.seconds_left  # a module name, so that tests can shorten the time left


policy = SqsRetryPolicy(
    sqs=partial(client, "sqs"),  # made on the first failure or deferral
    queue_url=settings.queue_url,
    dlq_url=settings.dlq_url,
    max_receive_count=settings.max_receive_count,
    base_delay_s=settings.retry_base_delay_s,
    max_delay_s=settings.retry_max_delay_s,
)


def _service() -> PaymentSourceSync:
    return PaymentSourceSync(lean_client(lean_settings), store, lean_settings.app_id)


def sync_once(event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> dict:
    """Fetch and store what the event names. Safe to run twice: every write is conditional."""
    outcome = _service().handle(event)
    logger.info("payment source synced", extra={"event_id": event.event_id, **outcome.as_dict()})
    return outcome.as_dict()


def _finished(event_id: str, event_type: str, outcome: str) -> None:
    """Record in the ledger that the event is done: later deliveries and the Events API reconciliation skip
    it. Best effort: without the entry, a replay runs the event again and its conditional writes absorb it,
    so a failed write must not fail (and redeliver) a record whose work is done."""
    try:
        ledger.record(event_id, event_type, outcome, datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - see above
        metrics.add_metric(name="LedgerWriteFailures", unit="Count", value=1)
        logger.warning("event ledger write failed", extra={"event_id": event_id, "error": type(exc).__name__})


def _correlate(record: SQSRecord, event_id: str | None) -> None:
    """Every log line of this record names the webhook's API request id and the event (from webhook to push)."""
    attribute = record.message_attributes["api_request_id"]  # Powertools: None when absent
    logger.remove_keys(["api_request_id", "event_id"])
    logger.append_keys(api_request_id=attribute.string_value if attribute else None, event_id=event_id)


def record_handler(record: SQSRecord) -> None:
    _correlate(record, None)
    if _seconds_left() < budget.record_worst_case_s:  # would outlive the function: do not start it
        policy.defer(record)
        return
    try:
        event = SYNC_EVENT.validate_json(record.body)
    except ValidationError:
        policy.dead_letter(record, "invalid_message")
        return
    _correlate(record, event.event_id)
    # a duplicate delivery (Lean retries, our redeliveries, a replay)? A failed read backs off like any failure.
    seen = policy.run(record, lambda: ledger.synced(event.event_id))
    if seen is None:  # dead-lettered with its reason
        return
    if seen:
        metrics.add_metric(name="DuplicatesSkipped", unit="Count", value=1)
        logger.info("event already synced")
        return
    result = policy.run(record, lambda: sync_once(event=event))
    _finished(event.event_id, event.type, SYNCED if result is not None else "dead_lettered")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    invocation.start(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
