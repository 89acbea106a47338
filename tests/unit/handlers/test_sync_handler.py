"""The sync function on SQS records: store, dedupe on event_id, retry with backoff, dead-letter with reason."""

from __future__ import annotations

import json

import pytest

from local.aws.pollers import _sqs_record
from local.aws.resources import local_app_id
from local.harness import samples
from local.lean_sim import Fault
from tests.support.queues import beneficiary_items, deliver, queue_messages
from tests.support.wired import time_left


@pytest.fixture
def sync(load_function):
    """The sync function with no backoff between receives, so tests can receive again at once."""
    return load_function("SyncPaymentSourceFunction", LEAN_BACKOFF_SECONDS="0.01", RETRY_BASE_DELAY_SECONDS="0")


def test_failed_message_is_hidden_for_an_exponential_backoff(aws, load_function):
    sync = load_function("SyncPaymentSourceFunction", LEAN_BACKOFF_SECONDS="0.01")  # template: 30 s base
    flow = samples.ids()
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    result = deliver(aws, sync, [json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))])
    assert len(result["batchItemFailures"]) == 1
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # invisible for 30 s, not retried at once
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"


def given_lean_has(aws, flow, status):
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), status
    )


def test_message_is_synced_and_stored(aws, sync):
    flow = samples.ids()
    given_lean_has(aws, flow, samples.AWAITING)
    result = deliver(aws, sync, [json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))])
    assert result == {"batchItemFailures": []}
    [ben] = beneficiary_items(aws, flow["customer_id"])
    assert ben["status"] == samples.AWAITING and ben["cool_off_seen"] is True


def test_duplicate_event_id_does_no_second_fetch_or_write(aws, sync):
    flow = samples.ids()
    given_lean_has(aws, flow, samples.AWAITING)
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    deliver(aws, sync, [body])
    calls = aws["sim"].state.stats["api"]
    [first] = beneficiary_items(aws, flow["customer_id"])
    assert deliver(aws, sync, [body, body]) == {"batchItemFailures": []}
    assert aws["sim"].state.stats["api"] == calls
    assert beneficiary_items(aws, flow["customer_id"]) == [first]


def test_other_apps_payment_source_is_dead_lettered_with_reason(aws, sync):
    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, "00000000-0000-4000-8000-000000000000", samples.AWAITING
    )
    result = deliver(aws, sync, [json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))])
    assert result == {"batchItemFailures": []}
    [dead] = queue_messages(aws, "SyncDeadLetterQueue")
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "app_id_mismatch"
    assert beneficiary_items(aws, flow["customer_id"]) == []


def test_lean_failure_is_retried_with_backoff_then_dead_lettered(aws, sync):
    flow = samples.ids()
    given_lean_has(aws, flow, samples.AWAITING)
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    result = deliver(aws, sync, [body])
    assert len(result["batchItemFailures"]) == 1  # retried: the message stays in the queue
    assert queue_messages(aws, "SyncDeadLetterQueue") == []
    aws["sim"].state.faults.clear()
    aws["sim"].state.faults.append(Fault(status=429, count=None))
    # the fifth receive is the last try: dead-lettered with its reason, not failed again
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    for _ in range(3):
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
    messages = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])["Messages"]
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "5"
    result = sync.invoke({"Records": [_sqs_record(messages[0], aws["refs"]["SyncQueue.Arn"])]})
    assert result == {"batchItemFailures": []}
    [dead] = queue_messages(aws, "SyncDeadLetterQueue")
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "lean:http_429:RATE_LIMIT_EXCEEDED"
    assert json.loads(dead["Body"])["event_id"] == json.loads(body)["event_id"]
    assert beneficiary_items(aws, flow["customer_id"]) == []


def test_failure_then_success_stores_once(aws, sync):
    flow = samples.ids()
    given_lean_has(aws, flow, samples.AWAITING)
    aws["sim"].state.faults.append(Fault(status=500, count=3))  # more than the client's own retries
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    assert len(deliver(aws, sync, [body])["batchItemFailures"]) == 1
    messages = aws["clients"]["sqs"].receive_message(
        QueueUrl=aws["refs"]["SyncQueue"], VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
    )["Messages"]
    result = sync.invoke({"Records": [_sqs_record(messages[0], aws["refs"]["SyncQueue.Arn"])]})
    assert result == {"batchItemFailures": []}
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.AWAITING]


def test_malformed_message_is_dead_lettered(aws, sync):
    assert deliver(aws, sync, ['{"not": "a webhook"}']) == {"batchItemFailures": []}
    [dead] = queue_messages(aws, "SyncDeadLetterQueue")
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "invalid_message"


def test_one_bad_record_does_not_fail_the_batch(aws, sync):
    good, bad = samples.ids(), samples.ids()
    given_lean_has(aws, good, samples.AWAITING)
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    given_lean_has(aws, bad, samples.AWAITING)
    # fault hits every call; so first store `good` alone, then check partial failure reporting on a batch
    aws["sim"].state.faults.clear()
    bodies = [json.dumps(samples.beneficiary_webhook(f, "created", samples.AWAITING)) for f in (good, bad)]
    del aws["sim"].state.payment_sources[(bad["customer_id"], bad["payment_source_id"])]  # 404: retryable
    result = deliver(aws, sync, bodies)
    assert len(result["batchItemFailures"]) == 1
    assert len(beneficiary_items(aws, good["customer_id"])) == 1


def test_production_app_token_without_certificate_fails_at_start_up(aws, load_function):
    import json as _json

    from lean_webhooks.adapters.secrets import forget_secrets
    from lean_webhooks.runtime.config import ConfigError

    aws["clients"]["secretsmanager"].put_secret_value(
        SecretId=aws["refs"]["LeanCredentialsSecret"], SecretString=_json.dumps({"app_token": "legacy-token"})
    )
    forget_secrets()
    with pytest.raises(ConfigError, match="mTLS"):
        load_function("SyncPaymentSourceFunction", LEAN_ENVIRONMENT="production", LEAN_AUTH_MODE="app_token")


def test_no_record_is_started_when_the_time_left_cannot_fit_its_worst_case(aws, sync):
    import time

    from lean_webhooks.runtime.settings.lean import LeanSettings
    from lean_webhooks.runtime.sync_budget import SyncBudget

    flow = samples.ids()
    given_lean_has(aws, flow, samples.AWAITING)
    worst_case = SyncBudget(LeanSettings.from_env().call_deadline_s).record_worst_case_s
    calls = aws["sim"].state.stats.get("api", 0)
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    # even at the last receive before dead-lettering
    result = deliver(aws, sync, [body], receive_count=5, context=time_left(worst_case - 1))
    assert result["batchItemFailures"] == []  # the original is done with: a fresh copy is queued instead
    assert aws["sim"].state.stats.get("api", 0) == calls and beneficiary_items(aws, flow["customer_id"]) == []
    assert queue_messages(aws, "SyncDeadLetterQueue") == []  # deferred, not a failed try
    time.sleep(1.2)  # the copy is delayed by 1 s
    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    queued = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    # besides the original (which Lambda deletes after a successful batch; this test calls the handler itself),
    # a fresh copy whose receive count starts over
    [copy] = [m for m in queued if m["Attributes"]["ApproximateReceiveCount"] == "1"]
    assert json.loads(copy["Body"]) == json.loads(body)
    assert deliver(aws, sync, [], receive_count=1)["batchItemFailures"] == []
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.AWAITING]


def test_two_deliveries_of_one_event_at_once_both_finish_and_store_it_once(aws, sync):
    """No claim record: a second delivery while the first is still running does the work again, and the
    conditional writes make that harmless (one item, ACTIVE written once, one ledger entry); neither fails."""
    import threading

    from lean_webhooks import wiring
    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.core.event_sync import EventSync
    from lean_webhooks.models.webhook import SYNC_EVENT

    flow = samples.ids()
    given_lean_has(aws, flow, samples.ACTIVE)
    body = json.dumps(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    holding, release = threading.Event(), threading.Event()
    outcomes = []

    class Held:
        def handle(self, event):
            holding.set()
            release.wait(10)
            outcome = wiring.payment_source_sync(aws["refs"]["Table"]).handle(event)
            outcomes.append(outcome)
            return outcome

    held = EventSync(DynamoEventLedger(wiring.table(aws["refs"]["Table"])), Held())
    first = threading.Thread(target=lambda: held.process(SYNC_EVENT.validate_json(body)))
    first.start()
    assert holding.wait(10)
    assert deliver(aws, sync, [body], receive_count=5) == {"batchItemFailures": []}
    release.set()
    first.join(10)
    [late] = outcomes
    assert late.beneficiary_written is False  # ACTIVE is final: the late copy changed nothing
    assert queue_messages(aws, "SyncDeadLetterQueue") == []
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.ACTIVE]
    ledger = ledger_item(aws, body)
    assert ledger["outcome"]["S"] == "synced"


def test_a_dead_lettered_event_runs_again_when_redriven_and_a_synced_one_stays_synced(aws, sync):
    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, "ANOTHER_APP", samples.AWAITING
    )
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    deliver(aws, sync, [body])
    assert ledger_item(aws, body)["outcome"]["S"] == "dead_lettered"
    given_lean_has(aws, flow, samples.AWAITING)  # the operator fixed the cause, then redrove the message
    assert deliver(aws, sync, [body]) == {"batchItemFailures": []}
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.AWAITING]
    assert ledger_item(aws, body)["outcome"]["S"] == "synced"
    calls = aws["sim"].state.stats["api"]
    assert deliver(aws, sync, [body]) == {"batchItemFailures": []}  # a later duplicate: skipped, no Lean read
    assert aws["sim"].state.stats["api"] == calls
    assert ledger_item(aws, body)["outcome"]["S"] == "synced"


def ledger_item(aws, body):
    event_id = json.loads(body)["event_id"]
    return aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"], Key={"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}}
    )["Item"]


def test_a_synced_ledger_entry_is_final(aws):
    from datetime import UTC, datetime

    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.adapters.dynamodb.table import Table

    ledger = DynamoEventLedger(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    now = datetime.now(UTC)
    assert ledger.record("e1", "payment_source.beneficiary.created", "dead_lettered", now) is True
    assert ledger.synced("e1") is False  # a dead-lettered event runs again when redriven
    assert ledger.record("e1", "payment_source.beneficiary.created", "synced", now) is True
    assert ledger.record("e1", "payment_source.beneficiary.created", "dead_lettered", now) is False
    assert ledger.synced("e1") is True and ledger.synced("e2") is False


def test_a_failed_ledger_read_backs_off_and_finally_dead_letters_with_its_reason(aws, sync):

    from lean_webhooks import wiring
    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.core.event_sync import EventSync

    class Unreadable(DynamoEventLedger):
        def synced(self, event_id):
            raise RuntimeError("ledger unreadable")

    table = aws["refs"]["Table"]
    broken = EventSync(Unreadable(wiring.table(table)), wiring.payment_source_sync(table))
    flow = samples.ids()
    body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    assert len(deliver(aws, sync, [body], sync=broken)["batchItemFailures"]) == 1  # retried later, not synced
    assert queue_messages(aws, "SyncDeadLetterQueue") == []
    # the fifth receive: dead-lettered
    assert deliver(aws, sync, [], receive_count=4, sync=broken)["batchItemFailures"] == []
    [dead] = queue_messages(aws, "SyncDeadLetterQueue")
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "RuntimeError"
    assert beneficiary_items(aws, flow["customer_id"]) == []
