"""scripts/redrive.py: SQS's own message move task in AWS (moto has none, so botocore's Stubber stands in for
SQS), and a dry run that leaves every message visible."""

from __future__ import annotations

import importlib.util

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from local.aws.template import ROOT

spec = importlib.util.spec_from_file_location("redrive", ROOT / "scripts" / "redrive.py")
redrive = importlib.util.module_from_spec(spec)
spec.loader.exec_module(redrive)

QUEUE, DLQ = "https://sqs/q", "https://sqs/dlq"
QUEUE_ARN, DLQ_ARN = "arn:aws:sqs:me-central-1:1:q", "arn:aws:sqs:me-central-1:1:dlq"


def test_in_aws_the_dlq_is_moved_back_by_a_message_move_task_followed_to_its_end():
    sqs = boto3.client("sqs", region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stub:
        stub.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": DLQ_ARN}},
            {"QueueUrl": DLQ, "AttributeNames": ["QueueArn"]},
        )
        stub.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": QUEUE_ARN}},
            {"QueueUrl": QUEUE, "AttributeNames": ["QueueArn"]},
        )
        stub.add_response(
            "start_message_move_task", {"TaskHandle": "h1"}, {"SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN}
        )
        running = {"TaskHandle": "h1", "Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 1}
        done = {**running, "Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 3}
        for task in (running, done):
            stub.add_response("list_message_move_tasks", {"Results": [task]}, {"SourceArn": DLQ_ARN, "MaxResults": 1})
        assert redrive.move_natively(sqs, QUEUE, DLQ, poll_s=0) == 3
        stub.assert_no_pending_responses()


def test_a_failed_move_task_is_an_error_with_its_reason():
    sqs = boto3.client("sqs", region_name="me-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stub:
        for url, arn in ((DLQ, DLQ_ARN), (QUEUE, QUEUE_ARN)):
            stub.add_response(
                "get_queue_attributes",
                {"Attributes": {"QueueArn": arn}},
                {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
            )
        stub.add_response("start_message_move_task", {"TaskHandle": "h1"})
        failed = {"TaskHandle": "h1", "Status": "FAILED", "FailureReason": "AccessDenied"}
        stub.add_response("list_message_move_tasks", {"Results": [failed]})
        with pytest.raises(RuntimeError, match="AccessDenied"):
            redrive.move_natively(sqs, QUEUE, DLQ, poll_s=0)


def test_a_dry_run_lists_reasons_and_hides_nothing():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        for reason in ("lean:http_503", "lean:http_503", "app_id_mismatch"):
            attribute = {"failure_reason": {"DataType": "String", "StringValue": reason}}
            sqs.send_message(QueueUrl=dlq, MessageBody="{}", MessageAttributes=attribute)
        assert redrive.peek(sqs, dlq) == {"lean:http_503": 2, "app_id_mismatch": 1}
        assert redrive.move_locally(sqs, queue, dlq) == 3  # right after the dry run: all three still there
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "3"
