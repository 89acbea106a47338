"""Reading the template's queues in moto and handing SQS records to a function."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from local.aws.pollers import _sqs_record


def queue_messages(aws: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    """Every message currently visible in a queue of the template (received, then made visible again)."""
    sqs = aws["clients"]["sqs"]
    url = aws["refs"][logical_id]
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            VisibilityTimeout=0,
        ).get("Messages", [])
        new = [m for m in batch if m["MessageId"] not in {f["MessageId"] for f in found}]
        if not new:
            return found
        found += new


def deliver(
    aws: dict[str, Any], function, bodies: list[str], receive_count: int = 1, context: Any = None, **use_cases: Any
) -> dict[str, Any]:
    """Send bodies to the sync queue, receive them `receive_count` times, and hand the last receive to the function
    (with `context` and `use_cases`, when given)."""
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    for _ in range(receive_count):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
        )["Messages"]
    records = [_sqs_record(m, aws["refs"]["SyncQueue.Arn"]) for m in messages]
    return function.invoke({"Records": records}, context, **use_cases)


def beneficiary_items(aws, customer_id: str) -> list[dict]:
    from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
    from lean_webhooks.adapters.dynamodb.table import Table

    sources = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])).list_for_customer(
        customer_id
    )
    return [asdict(b) for s in sources for b in s.beneficiaries]
