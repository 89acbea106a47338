"""The recorder (local.aws.aws_calls): only a function's own calls, once each, in a file of the process; nothing
without IAM_CALLS. Each test records into its own directory, never into the suites' calls."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.aws import aws_calls

QUEUE = "arn:aws:sqs:us-east-1:123456789012:lean-local-SyncQueue"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)


def recorded(directory: Path) -> list[dict]:
    return [json.loads(line) for path in directory.glob("calls-*.jsonl") for line in path.read_text().splitlines()]


def test_only_the_functions_own_calls_are_recorded_once_each(tmp_path, monkeypatch):
    monkeypatch.setenv("IAM_CALLS", str(tmp_path))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="lean-local-SyncQueue")["QueueUrl"]  # the test's own call
        with aws_calls.made_by("WebhookFunction"):
            for _ in range(2):  # the same request twice: one line
                sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])
            other = threading.Thread(target=lambda: sqs.get_queue_attributes(QueueUrl=url))  # not the function's
            other.start()
            other.join()
            with pytest.raises(sqs.exceptions.ClientError):  # refused by AWS: still asked for, so recorded
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="gone", VisibilityTimeout=1)
        sqs.receive_message(QueueUrl=url)  # the test's own call again
    lines = recorded(tmp_path)
    assert [(r["function"], r["action"], r["resource"]) for r in lines] == [
        ("WebhookFunction", "sqs:SendMessage", QUEUE),
        ("WebhookFunction", "sqs:ChangeMessageVisibility", QUEUE),
    ]
    assert lines[0]["call"] == "sqs.SendMessageBatch" and lines[0]["test"].endswith(
        "test_only_the_functions_own_calls_are_recorded_once_each"
    )


def test_nothing_is_recorded_without_iam_calls(tmp_path, monkeypatch):
    monkeypatch.delenv("IAM_CALLS", raising=False)
    with mock_aws(), aws_calls.made_by("WebhookFunction"):
        boto3.client("sqs", region_name="us-east-1").list_queues()
    assert aws_calls.directory() is None and not list(tmp_path.iterdir())


def _worker(directory: str) -> None:
    import os

    os.environ["IAM_CALLS"] = directory
    aws_calls.record_process_as("SyncPaymentSourceFunction")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="lean-local-SyncQueue")["QueueUrl"]
        thread = threading.Thread(target=lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
        thread.start()
        thread.join()


def test_a_worker_process_records_every_call_of_the_process_as_its_function(tmp_path):
    process = multiprocessing.get_context("spawn").Process(target=_worker, args=(str(tmp_path),))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    lines = recorded(tmp_path)
    assert {(r["function"], r["action"]) for r in lines} == {
        ("SyncPaymentSourceFunction", "sqs:CreateQueue"),
        ("SyncPaymentSourceFunction", "sqs:SendMessage"),
    }
    assert all(r["test"] is None and r["pid"] == process.pid for r in lines)
