"""What happens to an SQS message whose processing failed: back off and retry, or dead-letter it with
its reason (permanent errors at once, retryable ones after the last receive)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lean_webhooks.adapters.aws import error_code
from lean_webhooks.models.errors import LeanApiError, PermanentSyncError
from lean_webhooks.runtime.config import ConfigError
from lean_webhooks.runtime.observability import logger, metrics


def classify(exc: Exception) -> tuple[bool, str]:
    """(retryable, reason) for an exception raised while processing a message."""
    if isinstance(exc, PermanentSyncError):
        return False, exc.reason
    if isinstance(exc, LeanApiError):
        return exc.retryable, f"lean:{exc.reason}"
    if isinstance(exc, ConfigError):
        return True, "config_error"
    code = error_code(exc)
    return True, f"aws:{code}" if code else type(exc).__name__


@dataclass(frozen=True)
class SqsRetryPolicy:
    """What happens to a sync record that fails or is not started. `sqs` makes the SQS client when one of those
    first happens: a sync that succeeds never creates it (a client costs its cold start ~10-30 ms)."""

    sqs: Callable[[], Any]
    queue_url: str
    dlq_url: str
    max_receive_count: int
    base_delay_s: int
    max_delay_s: int

    def receive_count(self, record: Any) -> int:
        return int(record.attributes.approximate_receive_count or 1)

    def dead_letter(self, record: Any, reason: str) -> None:
        """Copy the message to the DLQ with why and how often it failed; the caller then lets it be deleted."""
        self.sqs().send_message(
            QueueUrl=self.dlq_url,
            MessageBody=record.body,
            MessageAttributes={
                "failure_reason": {"DataType": "String", "StringValue": reason[:256]},
                "receive_count": {"DataType": "Number", "StringValue": str(self.receive_count(record))},
                "source_message_id": {"DataType": "String", "StringValue": record.message_id},
            },
        )
        metrics.add_metric(name="MessagesDeadLettered", unit="Count", value=1)
        logger.error("message dead-lettered", extra={"reason": reason, "message_id": record.message_id})

    def back_off(self, record: Any) -> None:
        """Exponential backoff between receives instead of the queue's fixed visibility timeout."""
        self._hide(record, min(self.base_delay_s * 2 ** (self.receive_count(record) - 1), self.max_delay_s))

    def defer(self, record: Any) -> None:
        """A record this invocation will not start: queued again as a new message (its receive count starts
        over, so a deferral is never a failed try and never reaches the redrive); the caller then lets the
        original be deleted. The sync's dedupe on `event_id` makes the copy harmless."""
        self.sqs().send_message(QueueUrl=self.queue_url, MessageBody=record.body, DelaySeconds=1)
        metrics.add_metric(name="MessagesDeferred", unit="Count", value=1)

    def _hide(self, record: Any, seconds: float) -> None:
        try:
            self.sqs().change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=int(seconds)
            )
        except Exception as exc:  # noqa: BLE001 - the queue's own visibility timeout still applies
            logger.warning("could not change visibility", extra={"error": type(exc).__name__})

    def run(self, record: Any, work: Callable[[], Any]) -> Any:
        """Run `work`; on failure dead-letter (permanent or last try, then None) or back off and re-raise."""
        try:
            return work()
        except Exception as exc:
            retryable, reason = classify(exc)
            if not retryable or self.receive_count(record) >= self.max_receive_count:
                self.dead_letter(record, reason)
                return None
            logger.warning("message will be retried", extra={"reason": reason, "message_id": record.message_id})
            self.back_off(record)
            raise
