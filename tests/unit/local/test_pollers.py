"""The local event source mappings behave like Lambda's: partial failures, bounded retries, stream iterators."""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from local.aws.pollers import StreamPoller, rate_seconds


class FakeStreams:
    """A one-shard stream whose first GetRecords fails like DynamoDB Local's iterator for an empty shard."""

    def __init__(self, records: list[dict]):
        self.records, self.failed_once, self.iterators = records, False, []

    def describe_stream(self, StreamArn: str) -> dict:
        return {"StreamDescription": {"Shards": [{"ShardId": "s1"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, **kw: Any) -> dict:
        self.iterators.append(ShardIteratorType)
        return {"ShardIterator": f"it-{len(self.iterators)}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict:
        if not self.failed_once:
            self.failed_once = True
            error = {"Error": {"Code": "TrimmedDataAccessException", "Message": "past the oldest record"}}
            raise botocore.exceptions.ClientError(error, "GetRecords")
        records, self.records = self.records, []
        return {"Records": records, "NextShardIterator": "it-next"}


class FakeFunction:
    name = "Fake"

    def __init__(self, fail_first: int = 0):
        self.batches: list[list[str]] = []
        self.fail_first = fail_first

    def invoke(self, event: dict) -> dict:
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(seqs)
        if self.fail_first > 0:
            self.fail_first -= 1
            return {"batchItemFailures": [{"itemIdentifier": seqs[-1]}]}
        return {"batchItemFailures": []}


class FakeSqs:
    def __init__(self):
        self.sent: list[str] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(MessageBody)


def record(seq: str) -> dict:
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": seq, "NewImage": {"entity": {"S": "X"}}}}


def poller(streams, function, sqs, **props) -> StreamPoller:
    return StreamPoller(streams, "arn:stream", function, {"BatchSize": 10, **props}, sqs, "dlq-url", retry_delay_s=0)


def test_trimmed_iterator_is_replaced_and_no_record_is_lost():
    streams, function = FakeStreams([record("1"), record("2")]), FakeFunction()
    p = poller(streams, function, FakeSqs())
    p.poll_once()
    assert streams.iterators == ["TRIM_HORIZON", "TRIM_HORIZON"]
    assert function.batches == [["1", "2"]]


def test_partial_failure_retries_from_the_failed_record():
    streams, function = FakeStreams([record("1"), record("2"), record("3")]), FakeFunction(fail_first=1)
    streams.failed_once = True
    poller(streams, function, FakeSqs(), MaximumRetryAttempts=2).poll_once()
    assert function.batches == [["1", "2", "3"], ["3"]]


def test_exhausted_retries_go_to_the_on_failure_destination():
    streams, function, sqs = FakeStreams([record("1")]), FakeFunction(fail_first=10), FakeSqs()
    streams.failed_once = True
    poller(streams, function, sqs, MaximumRetryAttempts=2).poll_once()
    assert len(function.batches) == 3 and len(sqs.sent) == 1
    assert '"startSequenceNumber": "1"' in sqs.sent[0]


def test_filters_drop_records_before_the_function():
    streams, function = FakeStreams([record("1")]), FakeFunction()
    streams.failed_once = True
    pattern = '{"dynamodb": {"NewImage": {"entity": {"S": ["BENEFICIARY"]}}}}'
    p = poller(streams, function, FakeSqs(), FilterCriteria={"Filters": [{"Pattern": pattern}]})
    p.poll_once()
    assert function.batches == [] and p.filtered_out == 1


def test_schedule_rates():
    assert rate_seconds("rate(15 minutes)") == 900 and rate_seconds("rate(1 hour)") == 3600
