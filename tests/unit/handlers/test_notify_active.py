"""The notifier (NotifyActiveFunction) on stream records, with moto SNS and DynamoDB: one push per enabled device
(devices registered by the customer API's wired registry), disabled and gone endpoints, failed and lost
publishes (an activation left unsettled keeps its place in the index), claims and their leases, tokens that
changed hands, languages and platform headers, and the SNS clients' time budgets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import from_iso, iso
from local.aws import template as tpl
from tests.support.activations import activate, index_key, sns_down
from tests.support.devices import APNS_TOKEN, CUSTOMER, GCM_TOKEN, OTHER, device_items, endpoints
from tests.support.streams import activation as activation_of
from tests.support.wired import ScriptedSns, activation_push, device_registry, time_left


@pytest.fixture
def devices(aws) -> DeviceRegistry:
    """How devices are registered before a push, without the customer API's handler."""
    return device_registry(aws)


def enrol(devices, customer=CUSTOMER, device="phone-1", platform="GCM", token=GCM_TOKEN, locale="en") -> StoredDevice:
    return devices.register(customer, device, platform, token, locale)


@pytest.fixture
def notify(load_function):
    return load_function("NotifyActiveFunction")


def activation(customer_id: str = CUSTOMER, **kwargs: str | None) -> dict:
    return activation_of(customer_id, **kwargs)


def test_notifier_pushes_once_to_every_enabled_device(aws, devices, notify):
    enrol(devices, device="android")
    enrol(devices, device="iphone", platform="APNS", token=APNS_TOKEN)
    enrol(devices, customer=OTHER, device="someone-else", token="fcm-token:" + "C" * 140)
    record = activation()
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}  # redelivered by the stream
    eps = endpoints(aws)
    assert [len(eps[f"{CUSTOMER}/{d}"].messages) for d in ("android", "iphone")] == [1, 1]
    assert len(eps[f"{OTHER}/someone-else"].messages) == 0
    message = json.loads(next(iter(eps[f"{CUSTOMER}/android"].messages.values())))
    assert set(message) == {"default", "GCM", "APNS", "APNS_SANDBOX"}
    fcm = json.loads(message["GCM"])["fcmV1Message"]["message"]
    assert fcm["data"] == {
        "type": "payment_source.beneficiary.active",
        "customer_id": CUSTOMER,
        "payment_source_id": "p1",
        "beneficiary_id": "b1",
    }
    apns = json.loads(message["APNS"])
    assert apns["aps"]["alert"]["title"] and apns["beneficiary_id"] == "b1"


def test_disabled_endpoint_is_marked_and_skipped_others_still_pushed(aws, devices, notify):
    enrol(devices, device="old-phone")
    enrol(devices, device="new-phone", token="fcm-token:" + "D" * 140)
    endpoints(aws)[f"{CUSTOMER}/old-phone"].attributes["Enabled"] = False
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/new-phone"].messages) == 1
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"], Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "DEVICE#old-phone"}}
    )["Item"]
    assert item["enabled"] == {"BOOL": False}
    # the next activation does not even try the disabled device
    assert notify.invoke({"Records": [activation(beneficiary_id="b2")]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/new-phone"].messages) == 2


def test_failed_publish_fails_the_record_and_can_be_retried(aws, devices, notify):
    from botocore.exceptions import ClientError

    enrol(devices, device="phone")
    sns = ScriptedSns(aws["clients"]["sns"])
    push = activation_push(sns)

    def throttled(**kwargs):
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Publish")

    sns.publish_with = throttled
    record = activation()
    result = notify.invoke({"Records": [record]}, push=push)
    assert result == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    sns.publish_with = None  # SNS recovered: the redelivered record pushes once
    assert notify.invoke({"Records": [record]}, push=push) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1


def test_endpoint_gone_at_sns_is_handled_like_a_disabled_one(aws, devices, notify):
    enrol(devices, device="phone")
    enrol(devices, device="tablet", token="fcm-token:" + "T" * 140)
    aws["clients"]["sns"].delete_endpoint(EndpointArn=endpoints(aws)[f"{CUSTOMER}/phone"].arn)  # NotFound
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/tablet"].messages) == 1
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"], Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "DEVICE#phone"}}
    )["Item"]
    assert item["enabled"] == {"BOOL": False}


def test_reinstalled_app_same_token_new_device_id_gets_one_push(aws, devices, notify):
    enrol(devices, device="iphone-before", platform="APNS", token=APNS_TOKEN)
    enrol(devices, device="iphone-after", platform="APNS", token=APNS_TOKEN)
    assert device_items(aws, CUSTOMER) == ["iphone-after"]  # one endpoint, one device item
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    (endpoint,) = endpoints(aws).values()
    assert len(endpoint.messages) == 1 and list(endpoints(aws)) == [f"{CUSTOMER}/iphone-after"]


def test_phone_that_changed_hands_never_gets_the_previous_customers_push(aws, devices, notify):
    enrol(devices, customer=CUSTOMER, device="a-phone", token=GCM_TOKEN)
    enrol(devices, customer=OTHER, device="b-phone", token=GCM_TOKEN)  # same phone, new owner
    assert device_items(aws, CUSTOMER) == [] and device_items(aws, OTHER) == ["b-phone"]
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # CUSTOMER's activation
    (endpoint,) = endpoints(aws).values()
    assert len(endpoint.messages) == 0 and list(endpoints(aws)) == [f"{OTHER}/b-phone"]


@pytest.mark.parametrize("b_had_a_primary_already", [False, True])
def test_two_customers_registering_device_primary_with_one_token_leave_it_to_the_last(
    aws, devices, notify, b_had_a_primary_already
):
    """An app that calls every phone `primary`: the token belongs to whoever registered it last, even when the
    second customer's `primary` pointed at another phone's endpoint before."""
    if b_had_a_primary_already:
        enrol(devices, customer=OTHER, device="primary", token="fcm-token:" + "B" * 140)  # B's own phone
    enrol(devices, customer=CUSTOMER, device="primary", token=GCM_TOKEN)
    assert (
        enrol(devices, customer=OTHER, device="primary", token=GCM_TOKEN).customer_id == OTHER
    )  # the same phone, now B's
    holding = [e for e in endpoints(aws).values() if e.attributes.get("Token", e.token) == GCM_TOKEN]
    assert len(holding) == 1 and list(endpoints(aws)) == [f"{OTHER}/primary"]
    assert device_items(aws, CUSTOMER) == [] and device_items(aws, OTHER) == ["primary"]
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # A's activation
    assert [len(e.messages) for e in endpoints(aws).values()] == [0]  # nothing reaches the phone
    assert notify.invoke({"Records": [activation(OTHER)]}) == {"batchItemFailures": []}  # B's activation
    assert [len(e.messages) for e in endpoints(aws).values()] == [1]


def test_records_that_are_not_activations_push_nothing(aws, devices, notify):
    enrol(devices)
    not_activation = activation(old="ACTIVE")
    assert notify.invoke({"Records": [not_activation]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 0


def test_a_revived_beneficiary_is_not_pushed_again(aws, devices, notify):
    """REMOVED by a read after its activation was pushed, listed again by a later read (its push markers may have
    expired): the item keeps the activation it had, and the notifier pushes nothing."""
    enrol(devices)
    revival = activation(old="REMOVED")
    for image in ("OldImage", "NewImage"):
        revival["dynamodb"][image]["activated_at"] = {"S": "2026-10-01T10:00:00.000000Z"}
    assert notify.invoke({"Records": [revival]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 0
    revival["dynamodb"]["NewImage"]["activated_at"] = {"S": "2026-12-01T10:00:00.000000Z"}  # a new activation
    assert notify.invoke({"Records": [revival]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 1


def marker(aws, device: str, **attributes: str) -> dict:
    """Write (or, with no attributes, read) the push marker of activation b1 to `device`."""
    ddb, table = aws["clients"]["dynamodb"], aws["refs"]["Table"]
    key = {"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": f"PUSH#b1#{device}"}}
    if attributes:
        ddb.put_item(
            TableName=table, Item={**key, "entity": {"S": "PUSH"}, **{k: {"S": v} for k, v in attributes.items()}}
        )
    return ddb.get_item(TableName=table, Key=key).get("Item", {})


def stamp(seconds: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="microseconds").replace("+00:00", "Z")


def test_a_claim_whose_lease_ran_out_is_published_by_the_next_delivery(aws, devices, notify):
    """The notifier died after claiming and before SNS answered: the push is not lost."""
    enrol(devices, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="dead-worker", lease_until=stamp(-1))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1
    assert marker(aws, "phone")["state"] == {"S": "SENT"}
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # redelivered: no second
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1


def test_a_claim_still_in_its_lease_is_waited_for_as_long_as_time_allows_then_fails_the_record(aws, devices, notify):
    enrol(devices, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="live-worker", lease_until=stamp(60))
    waits: list[float] = []
    record = activation()
    result = notify.invoke({"Records": [record]}, push=activation_push(sleep=waits.append))
    assert result == {"batchItemFailures": [{"itemIdentifier": "b1"}]}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 0
    assert marker(aws, "phone")["claim_id"] == {"S": "live-worker"}
    # waited what its 30 s allow (keeping 15 s for a publish), which spaces out the stream's retries
    assert len(waits) == 1 and 14 < waits[0] <= 15


def test_a_claim_whose_lease_ends_soon_is_waited_for_and_taken_over(aws, devices, notify):
    """A notifier killed mid-push: its lease ends 5 s after its deadline; the retry waits, then publishes."""
    enrol(devices, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="killed-worker", lease_until=stamp(0.5))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1
    assert marker(aws, "phone")["state"] == {"S": "SENT"}


def test_a_lease_ends_shortly_after_its_claimants_own_deadline(aws, devices, notify):
    from datetime import UTC, datetime

    enrol(devices, device="phone")
    sns = ScriptedSns(aws["clients"]["sns"])
    push = activation_push(sns)
    sns.publish_with = lambda **kw: 1 / 0  # claim stays?
    notify.invoke({"Records": [activation()]}, time_left(20), push=push)
    assert marker(aws, "phone") == {}  # a failed publish releases its claim
    seen: list[str] = []

    def publish(**kwargs):
        seen.append(marker(aws, "phone")["lease_until"]["S"])
        return {"MessageId": "m"}

    sns.publish_with = publish
    assert notify.invoke({"Records": [activation()]}, time_left(20), push=push) == {"batchItemFailures": []}
    lease_s = (datetime.fromisoformat(seen[0]) - datetime.now(UTC)).total_seconds()
    assert 20 < lease_s <= 25  # 20 s left + the 5 s margin, not the configured 60 s


def test_a_publish_whose_answer_was_lost_is_retried_and_counted_as_a_possible_duplicate(aws, devices, notify, capsys):
    from botocore.exceptions import ReadTimeoutError

    enrol(devices, device="phone")
    sns = ScriptedSns(aws["clients"]["sns"])
    push = activation_push(sns)

    def accepted_then_lost(**kwargs):
        sns.real.publish(**kwargs)  # SNS accepted it ...
        raise ReadTimeoutError(endpoint_url="https://sns")  # ... and its answer never came

    sns.publish_with = accepted_then_lost
    record = activation()
    assert notify.invoke({"Records": [record]}, push=push) == {"batchItemFailures": [{"itemIdentifier": "b1"}]}
    assert marker(aws, "phone")["state"] == {"S": "CLAIMED"}  # kept, its lease ended at once
    sns.publish_with = None
    capsys.readouterr()
    assert notify.invoke({"Records": [record]}, push=push) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 2  # the one duplicate nobody can avoid ...
    assert '"PushesPossiblyDuplicated":[1.0]' in capsys.readouterr().out  # ... is counted
    assert notify.invoke({"Records": [record]}, push=push) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 2


def test_markers_from_before_leases_count_as_sent(aws, devices, notify):
    enrol(devices, device="phone")
    marker(aws, "phone", state="CLAIMED", claimed_at=stamp(-3600))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 0


def test_no_device_is_claimed_when_the_time_left_cannot_fit_a_publish(aws, devices, notify):
    enrol(devices, device="phone")
    result = notify.invoke({"Records": [activation()]}, time_left(5))
    assert result == {"batchItemFailures": [{"itemIdentifier": "b1"}]}
    assert marker(aws, "phone") == {} and len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 0
    assert notify.invoke({"Records": [activation()]}, time_left(25)) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1


def test_the_sns_clients_have_timeouts_and_retry_budgets_that_fit_the_functions(aws, notify):
    from lean_webhooks.adapters.aws import client
    from lean_webhooks.core.activation_notifier import MIN_TIME_FOR_A_PUSH_S

    publish = client("sns", "publish").meta.config
    # one attempt: a botocore retry after a lost answer would be a duplicate nobody counts
    assert (publish.connect_timeout, publish.read_timeout, publish.retries["total_max_attempts"]) == (2, 5, 1)
    assert publish.connect_timeout + publish.read_timeout < MIN_TIME_FOR_A_PUSH_S
    assert tpl.functions()["NotifyActiveFunction"].timeout > MIN_TIME_FOR_A_PUSH_S
    endpoints_ = client("sns").meta.config
    attempts = endpoints_.retries["total_max_attempts"]
    assert (endpoints_.connect_timeout, endpoints_.read_timeout, attempts) == (1, 3, 2)
    assert (
        attempts * (endpoints_.connect_timeout + endpoints_.read_timeout)
        < tpl.functions()["CustomerApiFunction"].timeout
    )


def test_an_arabic_device_gets_the_arabic_push_with_the_same_data(aws, devices, notify):
    enrol(devices, device="phone-ar", locale="ar")
    enrol(devices, device="phone-en", token="fcm-token:" + "E" * 140)
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    pushes = {name: json.loads(next(iter(e.messages.values()))) for name, e in endpoints(aws).items()}
    ar = json.loads(pushes[f"{CUSTOMER}/phone-ar"]["GCM"])["fcmV1Message"]["message"]
    en = json.loads(pushes[f"{CUSTOMER}/phone-en"]["GCM"])["fcmV1Message"]["message"]
    assert ar["notification"]["title"] == "مصدر الدفع جاهز"
    assert en["notification"]["title"] == "Payment source ready"
    assert ar["data"] == en["data"] and ar["data"]["beneficiary_id"] == "b1"


def test_apns_pushes_set_the_alert_push_type_and_priority_and_fcm_pushes_do_not(aws, devices, notify):
    enrol(devices, device="iphone", platform="APNS", token=APNS_TOKEN)
    enrol(devices, device="android", platform="GCM", token=GCM_TOKEN)
    sns = ScriptedSns(aws["clients"]["sns"])
    published: list[dict] = []

    def recording(**kwargs):
        published.append(kwargs)
        return sns.real.publish(**kwargs)

    sns.publish_with = recording
    assert notify.invoke({"Records": [activation()]}, push=activation_push(sns)) == {"batchItemFailures": []}
    apns = next(p for p in published if "/APNS/" in p["TargetArn"])
    fcm = next(p for p in published if "/GCM/" in p["TargetArn"])
    assert apns["MessageAttributes"] == {
        "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "alert"},
        "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "10"},
    }
    assert "MessageAttributes" not in fcm


def test_a_failed_push_stays_in_the_index_and_a_later_activation_keeps_its_place(aws, devices, notify):
    enrol(devices, device="phone")
    first = activate(aws, CUSTOMER, "b5", cool_off_seen=True)
    assert notify.invoke({"Records": [first]}, push=activation_push(sns_down(aws)))["batchItemFailures"]
    first_at = index_key(aws, CUSTOMER, "b5")
    assert first_at is not None  # not settled: the reconciler's to push
    later = iso(from_iso(first_at) + timedelta(days=1))  # activated again since (removed, then ACTIVE once more)
    aws["clients"]["dynamodb"].update_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "PAYMENT_SOURCE#p1#BENEFICIARY#b5"}},
        UpdateExpression="SET gsi2sk = :later",
        ExpressionAttributeValues={":later": {"S": later}},
    )
    assert notify.invoke({"Records": [first]}) == {"batchItemFailures": []}  # the old record, redelivered
    assert index_key(aws, CUSTOMER, "b5") == later  # the later activation keeps its place for the reconciler
