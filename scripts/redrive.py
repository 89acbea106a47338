"""Move dead-lettered sync messages back to the sync queue, after the cause (Lean outage, credentials) is fixed.

    python scripts/redrive.py --queue-url <SyncQueueUrl> --dlq-url <SyncDeadLetterQueueUrl> [--dry-run]
    python scripts/redrive.py --local            # the local stack's queues (moto on LOCAL_MOTO_PORT)

Each message's `failure_reason` is printed; the body is re-sent unchanged (the event_id dedupe makes a
second delivery harmless) and deleted from the DLQ only after the send succeeded.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import boto3

LOCAL_PREFIX = "lean-local"


def redrive(sqs: Any, queue_url: str, dlq_url: str, dry_run: bool = False, limit: int = 10_000) -> int:
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
            reason = (message.get("MessageAttributes") or {}).get("failure_reason", {}).get("StringValue", "unknown")
            print(f"{'would move' if dry_run else 'moving'} {message['MessageId']} (failure_reason={reason})")
            if dry_run:
                continue
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
        if dry_run:
            break
    return moved


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
    moved = redrive(sqs, queue_url, dlq_url, args.dry_run)
    print(f"{moved} message(s) moved back to the sync queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
