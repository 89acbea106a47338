"""The notifier reads the stream through the decoder: what it pushes and the activation it settles come from the
stored beneficiary's facts (`activated_at`), never from an index key of the image."""

from __future__ import annotations

from typing import Any

from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.core.activation_notifier import NotifyOutcome
from lean_webhooks.models.beneficiary import BeneficiaryActivation, BeneficiaryIdentity
from tests.support.streams import stored_beneficiary, stream_record

ACTIVATED = stored_beneficiary(
    bank_identifier="ENBD_UAE",
    status="ACTIVE",
    cool_off_seen=True,
    activated_at="2026-11-25T10:00:00.000000Z",
    gsi2sk="an index key the notifier does not read",
    last_event_id="e1",
)


class RecordingPush:
    def __init__(self) -> None:
        self.calls: list[tuple[BeneficiaryActivation, str | None]] = []

    def push(self, activation: BeneficiaryActivation, seconds_left: Any = None, activated_at: str | None = None):
        self.calls.append((activation, activated_at))
        return NotifyOutcome(sent=1)


def test_an_activation_is_pushed_and_settled_for_the_stored_activation_time(aws, load_function):
    notify, push = load_function("NotifyActiveFunction"), RecordingPush()
    awaiting = {k: v for k, v in ACTIVATED.items() if k != "activated_at"}  # never active before: no activation yet
    awaiting = to_item({**awaiting, "status": "AWAITING_BENEFICIARY_COOL_OFF"})
    assert notify.invoke({"Records": [stream_record(awaiting, to_item(ACTIVATED))]}, push=push) == {
        "batchItemFailures": []
    }
    activation = BeneficiaryActivation(BeneficiaryIdentity("c1", "p1", "b1"), "ENBD_UAE")
    assert push.calls == [(activation, "2026-11-25T10:00:00.000000Z")]


def test_a_change_that_is_no_activation_pushes_nothing(aws, load_function):
    notify, push = load_function("NotifyActiveFunction"), RecordingPush()
    payment_source = {"pk": "CUSTOMER#c1", "sk": "PAYMENT_SOURCE#p1", "entity": "PAYMENT_SOURCE", "status": "ACTIVE"}
    records = [
        stream_record(to_item(ACTIVATED), to_item({**ACTIVATED, "updated_at": "later"})),  # already active
        stream_record(None, to_item({**payment_source, "customer_id": "c1", "payment_source_id": "p1"})),
    ]
    assert notify.invoke({"Records": records}, push=push) == {"batchItemFailures": []}
    assert push.calls == []
