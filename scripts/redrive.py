"""Move dead-lettered sync messages back to the sync queue, after the cause (Lean outage, credentials) is fixed.

    python scripts/redrive.py --queue-url <SyncQueueUrl> --dlq-url <SyncDeadLetterQueueUrl> [--dry-run]
    python scripts/redrive.py --local [--dry-run]   # the local stack's queues (moto on LOCAL_MOTO_PORT)

In AWS this is SQS's own redrive (`StartMessageMoveTask` from the DLQ to its source queue), followed until it
ends. moto has no move task, so `--local` receives, re-sends unchanged and deletes each message (deleted only
after the send succeeded). Either way the event_id dedupe makes a second delivery harmless. `--dry-run` lists
the messages' `failure_reason`s without hiding them (visibility timeout 0), so a real redrive can follow at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from typing import Any

import boto3

LOCAL_PREFIX = "lean-local"
FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED")


def _reason(message: dict[str, Any]) -> str:
    return (message.get("MessageAttributes") or {}).get("failure_reason", {}).get("StringValue", "unknown")


def peek(sqs: Any, dlq_url: str, rounds: int = 10) -> Counter[str]:
    """The failure reasons of the messages a few receives see, leaving every message visible."""
    seen: dict[str, str] = {}
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update({m["MessageId"]: _reason(m) for m in fresh})
    return Counter(seen.values())


def move_locally(sqs: Any, queue_url: str, dlq_url: str, limit: int = 10_000) -> int:
    """Receive, re-send unchanged, delete: for moto, which has no message move task."""
    moved = 0
    while moved < limit:
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=30,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            print(f"moving {message['MessageId']} (failure_reason={_reason(message)})")
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def move_natively(sqs: Any, queue_url: str, dlq_url: str, poll_s: float = 5, timeout_s: float = 3600) -> int:
    """SQS's own redrive from the DLQ to the sync queue, followed until it ends; returns the messages moved."""
    source = queue_arn(sqs, dlq_url)
    handle = sqs.start_message_move_task(SourceArn=source, DestinationArn=queue_arn(sqs, queue_url))["TaskHandle"]
    print(f"message move task started: {handle}")
    deadline = time.monotonic() + timeout_s
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=source, MaxResults=1)["Results"]
        task = next((t for t in tasks if t.get("TaskHandle") == handle), tasks[0] if tasks else {})
        status, moved = task.get("Status", "UNKNOWN"), int(task.get("ApproximateNumberOfMessagesMoved", 0))
        print(f"  {status}: {moved} moved of {task.get('ApproximateNumberOfMessagesToMove', '?')}")
        if status in FINAL_STATES:
            if status != "COMPLETED":
                raise RuntimeError(f"message move task {status}: {task.get('FailureReason', 'no reason given')}")
            return moved
        if time.monotonic() > deadline:
            raise TimeoutError(f"message move task still {status} after {timeout_s:.0f} s (it keeps running)")
        time.sleep(poll_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url")
    parser.add_argument("--dlq-url")
    parser.add_argument("--local", action="store_true", help="use the running local stack")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.local:
        port = os.environ.get("LOCAL_MOTO_PORT") or "5000"
        sqs = boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts anything
        )
        queue_url = sqs.get_queue_url(QueueName=f"{LOCAL_PREFIX}-SyncQueue")["QueueUrl"]
        dlq_url = sqs.get_queue_url(QueueName=f"{LOCAL_PREFIX}-SyncDeadLetterQueue")["QueueUrl"]
    elif args.queue_url and args.dlq_url:
        sqs, queue_url, dlq_url = boto3.client("sqs"), args.queue_url, args.dlq_url
    else:
        parser.error("give --queue-url and --dlq-url (stack outputs SyncQueueUrl, SyncDeadLetterQueueUrl), or --local")
    if args.dry_run:
        reasons = peek(sqs, dlq_url)
        for reason, count in reasons.most_common():
            print(f"would move {count} message(s) (failure_reason={reason})")
        print(f"{sum(reasons.values())} message(s) seen; nothing moved (dry run)")
        return 0
    moved = move_locally(sqs, queue_url, dlq_url) if args.local else move_natively(sqs, queue_url, dlq_url)
    print(f"{moved} message(s) moved back to the sync queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
