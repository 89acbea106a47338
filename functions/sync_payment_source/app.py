"""SQS sync queue -> Lean API -> DynamoDB: each record's event synced once in effect (core `EventSync`), with
partial batch failures; failures back off between receives or are dead-lettered with their reason."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from pydantic import ValidationError

from lean_webhooks import wiring
from lean_webhooks.core.event_sync import EventResult, EventSync
from lean_webhooks.models.statuses import ERASED
from lean_webhooks.models.webhook import SYNC_EVENT
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.sync_budget import SyncBudget

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from lean_webhooks.adapters.sqs_retry import SqsRetryPolicy

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
budget = SyncBudget(wiring.lean_settings().call_deadline_s)
wiring.sync_settings()  # a missing or malformed setting fails the start, with its name
if wiring.lean_settings().needs_client_certificate:
    wiring.lean().client()  # start-up check: production app_token without a certificate fails the init, clearly


def _correlate(record: SQSRecord, event_id: str | None) -> None:
    """Every log line of this record names the webhook's API request id and the event (from webhook to push)."""
    attribute = record.message_attributes["api_request_id"]  # Powertools: None when absent
    logger.remove_keys(["api_request_id", "event_id"])
    logger.append_keys(api_request_id=attribute.string_value if attribute else None, event_id=event_id)


def record_handler(record: SQSRecord, lambda_context: LambdaContext, sync: EventSync, policy: SqsRetryPolicy) -> None:
    _correlate(record, None)
    if lambda_context.get_remaining_time_in_millis() / 1000 < budget.record_worst_case_s:
        policy.defer(record)  # would outlive the function: not started, queued again
        return
    try:
        event = SYNC_EVENT.validate_json(record.body)
    except ValidationError:
        policy.dead_letter(record, "invalid_message")
        return
    _correlate(record, event.event_id)
    outcome = sync.process(event, attempt=partial(policy.run, record))
    if outcome.result is EventResult.DUPLICATE:
        metrics.add_metric(name="DuplicatesSkipped", unit="Count", value=1)
        logger.info("event already synced")
    elif outcome.sync is not None:
        if outcome.sync.status == ERASED:  # about an erased customer: acknowledged, nothing stored
            metrics.add_metric(name="ErasedCustomerEvents", unit="Count", value=1)
        logger.info("payment source synced", extra=outcome.sync.as_dict())
    if outcome.ledger_write_failed:
        metrics.add_metric(name="LedgerWriteFailures", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(
    event: dict, context: Any, sync: EventSync | None = None, policy: SqsRetryPolicy | None = None
) -> dict:
    handler = partial(record_handler, sync=sync or wiring.event_sync(), policy=policy or wiring.sync_retry_policy())
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)
