"""Event source mappings, emulated: SQS -> function and DynamoDB stream -> function (with FilterCriteria)."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import Any

from moto.events.models import EventPattern

from local.aws.functions import LocalFunction

log = logging.getLogger("local.aws.pollers")


class Poller:
    """A daemon thread calling `poll_once` until stopped; errors are logged, never fatal."""

    name = "poller"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.healthy = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll_once()
                self.healthy = True
            except Exception:
                log.exception("%s failed; retrying", self.name)
                busy = False
            if not busy:
                self._stop.wait(0.2)

    def poll_once(self) -> bool:
        raise NotImplementedError


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received SQS message in the shape Lambda hands to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


class SqsPoller(Poller):
    """Like Lambda's SQS mapping: batches, partial batch failures, failed messages stay for the visibility
    timeout (the queue's RedrivePolicy moves them to the DLQ after maxReceiveCount)."""

    _receiving: dict[str, threading.Lock] = {}  # one receive at a time per queue: moto's are not atomic

    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, function: LocalFunction, batch_size: int):
        self.name = f"sqs->{function.name}"
        super().__init__()
        self._sqs, self._url, self._arn = sqs, queue_url, queue_arn
        self._function, self._batch_size = function, min(batch_size, 10)
        self._lock = self._receiving.setdefault(queue_url, threading.Lock())

    def poll_once(self) -> bool:
        with self._lock:
            messages = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=self._batch_size,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [_sqs_record(m, self._arn) for m in messages]}
        try:
            result = self._function.invoke(event) or {}
        except Exception:
            log.exception("%s raised: the whole batch returns to the queue", self._function.name)
            return True
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            answer = self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            for failure in answer.get("Failed", []):  # stays in flight until the visibility timeout: say so
                log.warning("%s: could not delete a processed message: %s", self.name, failure.get("Code"))
        return True


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


class StreamPoller(Poller):
    """Like Lambda's DynamoDB stream mapping: shards read in order, FilterCriteria applied (with moto's
    EventPattern), ReportBatchItemFailures honoured by retrying from the failed record, bounded retries,
    then the batch's description goes to the on-failure SQS destination and the shard moves on."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        function: LocalFunction,
        properties: dict[str, Any],
        sqs: Any,
        on_failure_queue_url: str | None,
        retry_delay_s: float = 0.2,
    ):
        self.name = f"stream->{function.name}"
        super().__init__()
        self._streams, self._arn, self._function = streams, stream_arn, function
        self._sqs, self._on_failure = sqs, on_failure_queue_url
        self._batch_size = int(properties.get("BatchSize", 100))
        self._max_retries = int(properties.get("MaximumRetryAttempts", -1))
        self._bisect = bool(properties.get("BisectBatchOnFunctionError", False))
        self._patterns = [
            EventPattern.load(f["Pattern"]) for f in properties.get("FilterCriteria", {}).get("Filters", [])
        ]
        self._retry_delay_s = retry_delay_s
        self._iterators: dict[str, str | None] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._last_sequence: dict[str, str] = {}
        self._last_describe = 0.0
        self.filtered_out = 0

    def matches(self, record: dict[str, Any]) -> bool:
        """True when any filter pattern matches (no filters: every record)."""
        return not self._patterns or any(p.matches_event(record) for p in self._patterns)

    def _discover_shards(self) -> None:
        if time.monotonic() - self._last_describe < 2 and self._iterators:
            return
        self._last_describe = time.monotonic()
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._pending[shard_id] = []

    def poll_once(self) -> bool:
        self._discover_shards()
        busy = False
        for shard_id, iterator in list(self._iterators.items()):
            pending = self._pending[shard_id]
            if iterator and len(pending) < self._batch_size:
                page = self._read(shard_id, iterator)
                self._iterators[shard_id] = page.get("NextShardIterator")
                for raw in page.get("Records", []):
                    record = _json_safe({**raw, "eventSourceARN": self._arn})
                    self._last_sequence[shard_id] = record["dynamodb"]["SequenceNumber"]
                    if self.matches(record):
                        pending.append(record)
                    else:
                        self.filtered_out += 1
            if pending:
                busy = True
                self._deliver(shard_id)
        return busy

    def _read(self, shard_id: str, iterator: str) -> dict[str, Any]:
        """GetRecords; an iterator that expired or points before the oldest record (DynamoDB Local hands one
        out for an empty shard) is replaced by one after the last record read, or the shard's start."""
        try:
            return self._streams.get_records(ShardIterator=iterator, Limit=100)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("TrimmedDataAccessException", "ExpiredIteratorException"):
                raise
        last = self._last_sequence.get(shard_id)
        position = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        fresh = self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **position)["ShardIterator"]
        return self._streams.get_records(ShardIterator=fresh, Limit=100)

    def _deliver(self, shard_id: str) -> None:
        """Send the shard's next batch until it succeeds or retries run out (in order, like Lambda)."""
        pending = self._pending[shard_id]
        batch_size = self._batch_size
        attempts = 0
        while pending:
            batch = pending[:batch_size]
            failed_from = self._invoke(batch)
            if failed_from is None:
                del pending[: len(batch)]
                attempts = 0
                batch_size = self._batch_size
                continue
            del pending[:failed_from]  # records before the first failure are done
            attempts += 1
            if 0 <= self._max_retries < attempts:
                self._send_to_on_failure(shard_id, pending[: len(batch) - failed_from], attempts)
                del pending[: len(batch) - failed_from]
                attempts = 0
                continue
            if self._bisect and batch_size > 1:
                batch_size = max(1, batch_size // 2)
            time.sleep(min(self._retry_delay_s * attempts, 2.0))

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """None on success, else the index of the first record to retry."""
        try:
            result = self._function.invoke({"Records": batch}) or {}
        except Exception:
            log.exception("%s raised: the batch is retried", self._function.name)
            return 0
        failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        if not failures:
            return None
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failures:
                return index
        return 0

    def _send_to_on_failure(self, shard_id: str, records: list[dict[str, Any]], attempts: int) -> None:
        """What Lambda sends to an on-failure destination: where the failed batch is, not its data."""
        log.error("%s: %d record(s) failed after %d attempts", self.name, len(records), attempts)
        if not self._on_failure or not records:
            return
        self._sqs.send_message(
            QueueUrl=self._on_failure,
            MessageBody=json.dumps(
                {
                    "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
                    "DDBStreamBatchInfo": {
                        "shardId": shard_id,
                        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                        "batchSize": len(records),
                        "streamArn": self._arn,
                    },
                }
            ),
        )


def rate_seconds(expression: str) -> float:
    """`rate(15 minutes)` -> 900.0 (cron expressions are not emulated)."""
    value, unit = expression.strip().removeprefix("rate(").removesuffix(")").split()
    return float(value) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}[unit]


class Scheduler(Poller):
    """Like an EventBridge schedule rule: invokes the function at its rate; `trigger()` runs it now."""

    def __init__(self, function: LocalFunction, expression: str):
        self.name = f"schedule->{function.name}"
        super().__init__()
        self._function = function
        self._every = rate_seconds(expression)
        self._next = time.monotonic() + self._every
        self._lock = threading.Lock()
        self.healthy = True

    def trigger(self) -> Any:
        with self._lock:
            self._next = time.monotonic() + self._every
            event = {
                "version": "0",
                "id": str(time.time_ns()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "region": "us-east-1",
                "time": datetime.now().astimezone().isoformat(),
                "resources": [],
                "detail": {},
            }
            return self._function.invoke(event)

    def poll_once(self) -> bool:
        if time.monotonic() >= self._next:
            self.trigger()
        return False
