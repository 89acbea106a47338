"""The sync's retry policy makes its SQS client only when a record fails or is deferred."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lean_webhooks.adapters.sqs_retry import SqsRetryPolicy
from lean_webhooks.models.errors import LeanApiError


class FakeSqs:
    def __init__(self):
        self.calls: list[str] = []

    def send_message(self, **kwargs):
        self.calls.append("send_message")

    def change_message_visibility(self, **kwargs):
        self.calls.append("change_message_visibility")


def policy() -> tuple[SqsRetryPolicy, list[FakeSqs]]:
    made: list[FakeSqs] = []

    def make() -> FakeSqs:
        made.append(FakeSqs())
        return made[-1]

    return SqsRetryPolicy(make, "queue", "dlq", max_receive_count=5, base_delay_s=1, max_delay_s=60), made


def record(receive_count: int = 1) -> SimpleNamespace:
    return SimpleNamespace(
        attributes=SimpleNamespace(approximate_receive_count=str(receive_count)),
        body="{}",
        message_id="m-1",
        receipt_handle="r-1",
    )


def test_a_record_that_succeeds_makes_no_sqs_client():
    retry, made = policy()
    assert retry.run(record(), lambda: "done") == "done"
    assert made == []


def test_a_retryable_failure_makes_the_client_and_backs_off():
    retry, made = policy()

    def fail():
        raise LeanApiError("unavailable", http_status=503)

    with pytest.raises(LeanApiError):
        retry.run(record(), fail)
    assert [fake.calls for fake in made] == [["change_message_visibility"]]


def test_a_deferral_sends_the_copy_through_the_client_it_makes():
    retry, made = policy()
    retry.defer(record())
    assert [fake.calls for fake in made] == [["send_message"]]
