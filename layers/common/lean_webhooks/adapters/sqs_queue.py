"""The sync queue (SQS): the webhook function and the Events API reconciliation put events there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lean_webhooks.adapters.aws import client
from lean_webhooks.runtime.observability import logger

if TYPE_CHECKING:
    from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent


class SqsSyncQueue:
    """Sends an event as the sync function reads it; with `correlate`, tagged with the API request id, so that
    the sync's log lines name the request that brought it."""

    def __init__(self, queue_url: str, correlate: bool = False, sqs: Any = None):
        self._url, self._correlate, self._given = queue_url, correlate, sqs

    def send(self, event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> None:
        from lean_webhooks.models.webhook import sync_message

        extra: dict[str, Any] = {}
        if self._correlate:
            request_id = logger.get_correlation_id() or "-"
            extra["MessageAttributes"] = {"api_request_id": {"DataType": "String", "StringValue": request_id}}
        (self._given or client("sqs")).send_message(QueueUrl=self._url, MessageBody=sync_message(event), **extra)
