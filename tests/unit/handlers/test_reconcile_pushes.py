"""Push reconciliation: what the stream path could not push is pushed later, exactly once per device."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from local.aws.lambda_events import device_registration_event
from tests.support.streams import stream_record
from tests.support.wired import ScriptedSns, activation_push

CUSTOMER = "5b1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
QUIET = {"checked": 0, "settled": 0, "pushed": 0, "still_failing": 0, "possible_duplicates": 0, "abandoned": 0}
TOKEN = "fcm-token:" + "R" * 140


@pytest.fixture
def functions(load_function):
    api = load_function("CustomerApiFunction")
    notify = load_function("NotifyActiveFunction")
    reconcile = load_function("ReconcilePushesFunction", PUSH_RECONCILE_GRACE_SECONDS="0")
    return api, notify, reconcile


def register(api, device: str) -> None:
    event = device_registration_event(CUSTOMER, device, f"{TOKEN}{device}")
    assert api.invoke(event)["statusCode"] == 200


def activate(aws, beneficiary_id: str, cool_off_seen: bool, at: datetime | None = None) -> dict:
    """Store an activation as the sync would (at `at`, by default now), and return the stream record it makes."""
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    identity = BeneficiaryIdentity(CUSTOMER, "p1", beneficiary_id)
    store.apply_beneficiary(
        BeneficiaryWrite(
            identity, StatusDecision("ACTIVE", cool_off_seen), "e1", "payment_source.beneficiary.updated", None
        ),
        at or datetime.now(UTC),
    )
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": f"PAYMENT_SOURCE#p1#BENEFICIARY#{beneficiary_id}"}},
    )["Item"]
    return stream_record(None, item)


def pushes(aws) -> int:
    from moto.sns.models import sns_backends

    return sum(len(e.messages) for e in sns_backends["123456789012"]["us-east-1"].platform_endpoints.values())


def sns_down(aws) -> ScriptedSns:
    """An SNS client whose every publish fails until its `publish_with` is reset."""
    from botocore.exceptions import ClientError

    def down(**kwargs):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "SNS is down"}}, "Publish")

    sns = ScriptedSns(aws["clients"]["sns"])
    sns.publish_with = down
    return sns


def test_activation_the_stream_could_not_push_is_pushed_once_by_the_reconciler(aws, functions):
    api, notify, reconcile = functions
    register(api, "phone")
    register(api, "tablet")
    record = activate(aws, "b1", cool_off_seen=True)
    push = activation_push(sns_down(aws))
    for _ in range(3):  # the stream's back-to-back retries all fail: the record ends in the failure queue
        assert notify.invoke({"Records": [record]}, push=push)["batchItemFailures"]
    assert pushes(aws) == 0
    first = reconcile.invoke({"source": "aws.events"})  # SNS is back
    assert first == {**QUIET, "checked": 1, "settled": 1, "pushed": 2}
    assert pushes(aws) == 2
    assert reconcile.invoke({})["checked"] == 0  # settled: out of the index
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}  # a late redelivery pushes nothing
    assert pushes(aws) == 2


def test_activation_without_a_cool_off_is_settled_without_a_push(aws, functions):
    api, _, reconcile = functions
    register(api, "phone")
    activate(aws, "b2", cool_off_seen=False)
    outcome = reconcile.invoke({})
    assert outcome == {**QUIET, "checked": 1, "settled": 1}
    assert pushes(aws) == 0


def test_activations_within_the_grace_period_are_left_to_the_stream(aws, load_function):
    api = load_function("CustomerApiFunction")
    register(api, "phone")
    activate(aws, "b3", cool_off_seen=True)
    reconcile = load_function("ReconcilePushesFunction")  # the template's 5-minute grace
    assert reconcile.invoke({})["checked"] == 0 and pushes(aws) == 0


def index_key(aws, beneficiary_id: str) -> str | None:
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": f"PAYMENT_SOURCE#p1#BENEFICIARY#{beneficiary_id}"}},
    )["Item"]
    return item.get("gsi2sk", {}).get("S")


def test_the_stream_path_settles_the_activation_it_pushed_so_the_reconciler_reads_nothing(aws, functions):
    api, notify, reconcile = functions
    register(api, "phone")
    record = activate(aws, "b4", cool_off_seen=True)
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []} and pushes(aws) == 1
    assert index_key(aws, "b4") is None
    assert reconcile.invoke({})["checked"] == 0 and pushes(aws) == 1


def test_a_failed_push_stays_in_the_index_and_a_later_activation_keeps_its_place(aws, functions):
    api, notify, _ = functions
    register(api, "phone")
    first = activate(aws, "b5", cool_off_seen=True)
    assert notify.invoke({"Records": [first]}, push=activation_push(sns_down(aws)))["batchItemFailures"]
    assert index_key(aws, "b5") is not None  # not settled: the reconciler's to push
    later = "2099-01-01T00:00:00.000000Z"  # activated again since (removed, then ACTIVE once more)
    aws["clients"]["dynamodb"].update_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "PAYMENT_SOURCE#p1#BENEFICIARY#b5"}},
        UpdateExpression="SET gsi2sk = :later",
        ExpressionAttributeValues={":later": {"S": later}},
    )
    assert notify.invoke({"Records": [first]}) == {"batchItemFailures": []}  # the old record, redelivered
    assert index_key(aws, "b5") == later  # the later activation keeps its place for the reconciler


def test_an_activation_that_leaves_the_window_unsettled_is_counted_once_and_taken_out(aws, functions, capsys):
    from lean_webhooks import wiring
    from lean_webhooks.core.push_reconciliation import PushReconciler
    from lean_webhooks.runtime.settings.push import PushReconcileSettings

    _, _, reconcile = functions
    now = datetime.now(UTC).replace(microsecond=0)
    activate(aws, "b6", cool_off_seen=True, at=now - timedelta(days=3))  # unsettled since; the scan looks back 9 days
    settings = PushReconcileSettings.from_env()
    reconciler = PushReconciler(
        wiring.payment_sources(settings.push.table_name),
        wiring.build_activation_push(settings.push),
        grace=timedelta(0),
        clock=lambda: now,
    )
    capsys.readouterr()
    first = reconcile.invoke({}, reconciler=reconciler)
    assert first["abandoned"] == 1 and first["checked"] == 0  # never pushed by this run: it left the window
    assert '"ActivationsAbandoned":[1.0]' in capsys.readouterr().out
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "PAYMENT_SOURCE#p1#BENEFICIARY#b6"}},
    )["Item"]
    assert "gsi2pk" not in item and "pushes_abandoned_at" in item
    assert reconcile.invoke({}, reconciler=reconciler)["abandoned"] == 0  # counted once
