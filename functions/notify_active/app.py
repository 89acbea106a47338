"""DynamoDB stream (filtered to activations) -> SNS mobile push to every enabled device, once each, then the
activation settled (core `ActivationPush`)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from lean_webhooks import wiring
from lean_webhooks.adapters.dynamodb.stream import change_of
from lean_webhooks.core.activation_notifier import NotifyOutcome, PushFailed
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.items import StoredBeneficiary
from lean_webhooks.runtime.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from lean_webhooks.core.activation_push import ActivationPush

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def count(outcome: NotifyOutcome) -> None:
    metrics.add_metric(name="PushesSent", unit=MetricUnit.Count, value=outcome.sent)
    metrics.add_metric(name="PushEndpointsDisabled", unit=MetricUnit.Count, value=outcome.disabled)
    if outcome.unknown:  # SNS may have accepted it: the retry may be the one unavoidable duplicate
        metrics.add_metric(name="PushesOutcomeUnknown", unit=MetricUnit.Count, value=outcome.unknown)
    if outcome.failed:
        metrics.add_metric(name="PushesFailed", unit=MetricUnit.Count, value=len(outcome.failed))


def record_handler(record: DynamoDBRecord, lambda_context: LambdaContext, push: ActivationPush) -> None:
    change = change_of(record.raw_event)
    ben = change.new
    if not isinstance(ben, StoredBeneficiary) or not is_push_worthy_activation(change.old, ben):
        return  # the event source filter should have dropped it: re-checked, not trusted
    logger.append_keys(event_id=ben.last_event_id)  # the event whose sync activated it (webhook to push)
    identity = ben.identity
    seconds_left = lambda: lambda_context.get_remaining_time_in_millis() / 1000  # noqa: E731
    try:
        outcome = push.push(BeneficiaryActivation(identity, ben.bank_identifier or ""), seconds_left, ben.activated_at)
    except PushFailed as exc:
        count(exc.outcome)
        raise
    count(outcome)
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
def lambda_handler(event: dict, context: Any, push: ActivationPush | None = None) -> dict:
    handler = partial(record_handler, push=push or wiring.activation_push())
    return process_partial_response(event=event, record_handler=handler, processor=processor, context=context)
