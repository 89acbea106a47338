"""Device registration (customer API) and the notifier on stream records, with moto SNS and DynamoDB."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.models.devices import DeviceRecord
from local.aws import template as tpl
from local.aws.lambda_events import device_registration_event, http_api_event
from tests.support.streams import activation as activation_of
from tests.support.wired import ScriptedSns, activation_push, time_left

CUSTOMER = "3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
GCM_TOKEN = "fcm-token:" + "A" * 140
APNS_TOKEN = "ab" * 32


@pytest.fixture
def api(load_function):
    function = load_function("CustomerApiFunction")

    def call(
        method: str,
        path: str,
        body: Any = None,
        route: str | None = None,
        raw: bytes | None = None,
        b64: bool = False,
        query: str = "",
        use_cases: dict | None = None,
    ) -> tuple[int, Any]:
        params = dict(zip(("customer_id", "device_id"), path.split("/")[2::2], strict=False))
        raw = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        event = http_api_event(
            method,
            path,
            body=raw,
            headers={"content-type": "application/json"},
            route_key=route or method + " " + path,
            path_parameters=params,
            query=query,
            iam_authorised=True,
        )
        if b64:
            event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        result = function.invoke(event, **(use_cases or {}))
        return result["statusCode"], json.loads(result["body"]) if result.get("body") else None

    return call


@pytest.fixture
def notify(load_function):
    return load_function("NotifyActiveFunction")


def activation(customer_id: str = CUSTOMER, **kwargs: str | None) -> dict:
    return activation_of(customer_id, **kwargs)


def endpoints(aws) -> dict[str, dict]:
    from moto.sns.models import sns_backends

    backend = sns_backends["123456789012"]["us-east-1"]
    # SetEndpointAttributes updates the user data in `attributes` only (moto keeps the creation value apart)
    return {e.attributes.get("CustomUserData", e.custom_user_data): e for e in backend.platform_endpoints.values()}


def register(api, customer=CUSTOMER, device="phone-1", platform="GCM", token=GCM_TOKEN):
    return api(
        "PUT",
        f"/customers/{customer}/devices/{device}",
        {"platform": platform, "token": token},
        route="PUT /customers/{customer_id}/devices/{device_id}",
    )


def test_register_update_and_delete_a_device(aws, api):
    status, body = register(api)
    assert status == 200 and body == {
        "customer_id": CUSTOMER,
        "device_id": "phone-1",
        "platform": "GCM",
        "locale": "en",
        "enabled": True,
        "registered_at": body["registered_at"],
        "updated_at": body["updated_at"],
    }
    assert body["registered_at"].endswith("Z") and "token" not in body
    arn = endpoints(aws)[f"{CUSTOMER}/phone-1"].arn
    new_token = "fcm-token:" + "B" * 140
    assert register(api, token=new_token)[0] == 200
    (endpoint,) = endpoints(aws).values()  # the new token's endpoint; the old token's deleted
    assert endpoint.arn != arn and endpoint.token == new_token
    assert api("DELETE", f"/customers/{CUSTOMER}/devices/phone-1")[0] == 204
    assert f"{CUSTOMER}/phone-1" not in endpoints(aws)
    assert api("DELETE", f"/customers/{CUSTOMER}/devices/phone-1")[0] == 404


def test_reregistering_a_disabled_endpoint_enables_it(aws, api):
    register(api)
    endpoint = endpoints(aws)[f"{CUSTOMER}/phone-1"]
    endpoint.attributes["Enabled"] = False
    register(api)
    assert endpoint.attributes["Enabled"] is True


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"platform": "WINDOWS", "token": GCM_TOKEN}, f"/customers/{CUSTOMER}/devices/p"),
        ({"platform": "GCM"}, f"/customers/{CUSTOMER}/devices/p"),
        ({"platform": "GCM", "token": "short"}, f"/customers/{CUSTOMER}/devices/p"),
        ({"platform": "GCM", "token": GCM_TOKEN, "extra": 1}, f"/customers/{CUSTOMER}/devices/p"),
        ("not an object", f"/customers/{CUSTOMER}/devices/p"),
        ({"platform": "GCM", "token": GCM_TOKEN}, "/customers/not-a-uuid/devices/p"),
        ({"platform": "GCM", "token": GCM_TOKEN}, f"/customers/{CUSTOMER}/devices/bad%20id!"),
    ],
)
def test_invalid_registrations_are_400_and_store_nothing(aws, api, body, path):
    status, answer = api("PUT", path, body, route="PUT /customers/{customer_id}/devices/{device_id}")
    assert status == 400, answer
    assert endpoints(aws) == {}


def test_notifier_pushes_once_to_every_enabled_device(aws, api, notify):
    register(api, device="android")
    register(api, device="iphone", platform="APNS", token=APNS_TOKEN)
    register(api, customer=OTHER, device="someone-else", token="fcm-token:" + "C" * 140)
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


def test_disabled_endpoint_is_marked_and_skipped_others_still_pushed(aws, api, notify):
    register(api, device="old-phone")
    register(api, device="new-phone", token="fcm-token:" + "D" * 140)
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


def test_failed_publish_fails_the_record_and_can_be_retried(aws, api, notify):
    from botocore.exceptions import ClientError

    register(api, device="phone")
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


def test_endpoint_gone_at_sns_is_handled_like_a_disabled_one(aws, api, notify):
    register(api, device="phone")
    register(api, device="tablet", token="fcm-token:" + "T" * 140)
    aws["clients"]["sns"].delete_endpoint(EndpointArn=endpoints(aws)[f"{CUSTOMER}/phone"].arn)  # NotFound
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/tablet"].messages) == 1
    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"], Key={"pk": {"S": f"CUSTOMER#{CUSTOMER}"}, "sk": {"S": "DEVICE#phone"}}
    )["Item"]
    assert item["enabled"] == {"BOOL": False}


def device_items(aws, customer: str) -> list[str]:
    answer = aws["clients"]["dynamodb"].query(
        TableName=aws["refs"]["Table"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": {"S": f"CUSTOMER#{customer}"}, ":d": {"S": "DEVICE#"}},
    )
    return [i["device_id"]["S"] for i in answer["Items"]]


def test_reinstalled_app_same_token_new_device_id_gets_one_push(aws, api, notify):
    register(api, device="iphone-before", platform="APNS", token=APNS_TOKEN)
    register(api, device="iphone-after", platform="APNS", token=APNS_TOKEN)
    assert device_items(aws, CUSTOMER) == ["iphone-after"]  # one endpoint, one device item
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    (endpoint,) = endpoints(aws).values()
    assert len(endpoint.messages) == 1 and list(endpoints(aws)) == [f"{CUSTOMER}/iphone-after"]


def test_phone_that_changed_hands_never_gets_the_previous_customers_push(aws, api, notify):
    register(api, customer=CUSTOMER, device="a-phone", token=GCM_TOKEN)
    register(api, customer=OTHER, device="b-phone", token=GCM_TOKEN)  # same phone, new owner
    assert device_items(aws, CUSTOMER) == [] and device_items(aws, OTHER) == ["b-phone"]
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # CUSTOMER's activation
    (endpoint,) = endpoints(aws).values()
    assert len(endpoint.messages) == 0 and list(endpoints(aws)) == [f"{OTHER}/b-phone"]
    # the previous owner's device is gone: deleting it is a 404 and leaves the new owner's endpoint alone
    route = "DELETE /customers/{customer_id}/devices/{device_id}"
    assert api("DELETE", f"/customers/{CUSTOMER}/devices/a-phone", route=route)[0] == 404
    assert list(endpoints(aws)) == [f"{OTHER}/b-phone"]
    assert api("DELETE", f"/customers/{OTHER}/devices/b-phone", route=route)[0] == 204
    assert endpoints(aws) == {}  # the owner's deletion deletes the endpoint


@pytest.mark.parametrize("b_had_a_primary_already", [False, True])
def test_two_customers_registering_device_primary_with_one_token_leave_it_to_the_last(
    aws, api, notify, b_had_a_primary_already
):
    """An app that calls every phone `primary`: the token belongs to whoever registered it last, even when the
    second customer's `primary` pointed at another phone's endpoint before."""
    if b_had_a_primary_already:
        register(api, customer=OTHER, device="primary", token="fcm-token:" + "B" * 140)  # B's own phone
    register(api, customer=CUSTOMER, device="primary", token=GCM_TOKEN)
    assert register(api, customer=OTHER, device="primary", token=GCM_TOKEN)[0] == 200  # the same phone, now B's
    holding = [e for e in endpoints(aws).values() if e.attributes.get("Token", e.token) == GCM_TOKEN]
    assert len(holding) == 1 and list(endpoints(aws)) == [f"{OTHER}/primary"]
    assert device_items(aws, CUSTOMER) == [] and device_items(aws, OTHER) == ["primary"]
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # A's activation
    assert [len(e.messages) for e in endpoints(aws).values()] == [0]  # nothing reaches the phone
    assert notify.invoke({"Records": [activation(OTHER)]}) == {"batchItemFailures": []}  # B's activation
    assert [len(e.messages) for e in endpoints(aws).values()] == [1]


def test_a_phone_sold_after_its_owners_registration_crashed_midway_registers_for_its_new_owner(aws, api):
    """The previous owner's device was moved to another endpoint by a registration that died before it released
    the old one: the old endpoint's owner record names a device pointing elsewhere. The buyer still registers."""
    from datetime import UTC, datetime

    from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
    from lean_webhooks.adapters.dynamodb.table import Table

    register(api, customer=CUSTOMER, device="a-phone", token=GCM_TOKEN)
    elsewhere = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/x/elsewhere"
    devices = DynamoDevices(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    assert devices.put(DeviceRecord(CUSTOMER, "a-phone", "GCM", elsewhere), datetime.now(UTC))  # the crash's state
    status, _ = register(api, customer=OTHER, device="b-phone", token=GCM_TOKEN)
    assert status == 200 and device_items(aws, OTHER) == ["b-phone"]
    assert devices.get(CUSTOMER, "a-phone").endpoint_arn == elsewhere


def test_records_that_are_not_activations_push_nothing(aws, api, notify):
    register(api)
    not_activation = activation(old="ACTIVE")
    assert notify.invoke({"Records": [not_activation]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 0


def test_a_revived_beneficiary_is_not_pushed_again(aws, api, notify):
    """REMOVED by a read after its activation was pushed, listed again by a later read (its push markers may have
    expired): the item keeps the activation it had, and the notifier pushes nothing."""
    register(api)
    revival = activation(old="REMOVED")
    for image in ("OldImage", "NewImage"):
        revival["dynamodb"][image]["activated_at"] = {"S": "2026-10-01T10:00:00.000000Z"}
    assert notify.invoke({"Records": [revival]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 0
    revival["dynamodb"]["NewImage"]["activated_at"] = {"S": "2026-12-01T10:00:00.000000Z"}  # a new activation
    assert notify.invoke({"Records": [revival]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone-1"].messages) == 1


def test_read_api_lists_payment_sources_with_chargeable_flags(aws, api):
    from lean_webhooks.adapters.dynamodb.table import to_item as item

    ddb = aws["clients"]["dynamodb"]
    base = {"pk": f"CUSTOMER#{CUSTOMER}", "customer_id": CUSTOMER, "payment_source_id": "p1"}
    ddb.put_item(
        TableName=aws["refs"]["Table"],
        Item=item(
            {
                **base,
                "sk": "PAYMENT_SOURCE#p1",
                "entity": "PAYMENT_SOURCE",
                "bank_identifier": "ENBD_UAE",
                "accounts": [{"id": "a", "iban": "AE1"}],
            }
        ),
    )
    for ben, status in (("b1", "ACTIVE"), ("b2", "AWAITING_BENEFICIARY_COOL_OFF"), ("b3", "SUSPENDED")):
        ddb.put_item(
            TableName=aws["refs"]["Table"],
            Item=item(
                {
                    **base,
                    "sk": f"PAYMENT_SOURCE#p1#BENEFICIARY#{ben}",
                    "entity": "BENEFICIARY",
                    "beneficiary_id": ben,
                    "status": status,
                }
            ),
        )
    status, body = api(
        "GET", f"/customers/{CUSTOMER}/payment-sources", route="GET /customers/{customer_id}/payment-sources"
    )
    assert status == 200
    [source] = body["payment_sources"]
    assert [(b["id"], b["status"], b["chargeable"]) for b in source["beneficiaries"]] == [
        ("b1", "ACTIVE", True),
        ("b2", "AWAITING_BENEFICIARY_COOL_OFF", False),
        ("b3", "SUSPENDED", False),
    ]
    empty = {"customer_id": OTHER, "payment_sources": [], "next_token": None}
    assert api("GET", f"/customers/{OTHER}/payment-sources")[1] == empty


def test_base64_bodies_are_decoded_and_deep_nesting_is_a_400(aws, api):
    route = "PUT /customers/{customer_id}/devices/{device_id}"
    path = f"/customers/{CUSTOMER}/devices/b64-phone"
    body = json.dumps({"platform": "GCM", "token": GCM_TOKEN}).encode()
    status, answer = api("PUT", path, route=route, raw=body, b64=True)
    assert status == 200 and answer["device_id"] == "b64-phone"
    deep = b"[" * 30_000 + b"]" * 30_000
    status, answer = api("PUT", f"/customers/{CUSTOMER}/devices/deep", route=route, raw=deep)
    assert status == 400 and answer["error"] == "bad_request" and answer["message"]


def test_unexpected_failures_are_a_json_500(aws, api):
    class Broken:
        def list_for_customer(self, customer_id):
            return 1 / 0

    status, answer = api(
        "GET",
        f"/customers/{CUSTOMER}/payment-sources",
        route="GET /customers/{customer_id}/payment-sources",
        use_cases={"payment_source_reader": Broken()},
    )
    assert status == 500 and answer == {"error": "internal_error", "message": "temporary failure, please retry"}


def test_deleting_a_stale_item_whose_endpoint_moved_on_leaves_the_endpoint_alone(aws, api):
    register(api, customer=OTHER, device="b-phone", token=GCM_TOKEN)
    (arn,) = [e.arn for e in endpoints(aws).values()]
    aws["clients"]["dynamodb"].put_item(  # an item written before endpoints had owners, pointing at B's endpoint
        TableName=aws["refs"]["Table"],
        Item={
            "pk": {"S": f"CUSTOMER#{CUSTOMER}"},
            "sk": {"S": "DEVICE#a-phone"},
            "entity": {"S": "DEVICE"},
            "customer_id": {"S": CUSTOMER},
            "device_id": {"S": "a-phone"},
            "platform": {"S": "GCM"},
            "endpoint_arn": {"S": arn},
            "enabled": {"BOOL": True},
        },
    )
    route = "DELETE /customers/{customer_id}/devices/{device_id}"
    assert api("DELETE", f"/customers/{CUSTOMER}/devices/a-phone", route=route)[0] == 204
    assert list(endpoints(aws)) == [f"{OTHER}/b-phone"]  # B's endpoint survives


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


def test_a_claim_whose_lease_ran_out_is_published_by_the_next_delivery(aws, api, notify):
    """The notifier died after claiming and before SNS answered: the push is not lost."""
    register(api, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="dead-worker", lease_until=stamp(-1))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1
    assert marker(aws, "phone")["state"] == {"S": "SENT"}
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}  # redelivered: no second
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1


def test_a_claim_still_in_its_lease_is_waited_for_as_long_as_time_allows_then_fails_the_record(aws, api, notify):
    register(api, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="live-worker", lease_until=stamp(60))
    waits: list[float] = []
    record = activation()
    result = notify.invoke({"Records": [record]}, push=activation_push(sleep=waits.append))
    assert result == {"batchItemFailures": [{"itemIdentifier": "b1"}]}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 0
    assert marker(aws, "phone")["claim_id"] == {"S": "live-worker"}
    # waited what its 30 s allow (keeping 15 s for a publish), which spaces out the stream's retries
    assert len(waits) == 1 and 14 < waits[0] <= 15


def test_a_claim_whose_lease_ends_soon_is_waited_for_and_taken_over(aws, api, notify):
    """A notifier killed mid-push: its lease ends 5 s after its deadline; the retry waits, then publishes."""
    register(api, device="phone")
    marker(aws, "phone", state="CLAIMED", claim_id="killed-worker", lease_until=stamp(0.5))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 1
    assert marker(aws, "phone")["state"] == {"S": "SENT"}


def test_a_lease_ends_shortly_after_its_claimants_own_deadline(aws, api, notify):
    from datetime import UTC, datetime

    register(api, device="phone")
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


def test_a_publish_whose_answer_was_lost_is_retried_and_counted_as_a_possible_duplicate(aws, api, notify, capsys):
    from botocore.exceptions import ReadTimeoutError

    register(api, device="phone")
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


def test_markers_from_before_leases_count_as_sent(aws, api, notify):
    register(api, device="phone")
    marker(aws, "phone", state="CLAIMED", claimed_at=stamp(-3600))
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    assert len(endpoints(aws)[f"{CUSTOMER}/phone"].messages) == 0


def test_no_device_is_claimed_when_the_time_left_cannot_fit_a_publish(aws, api, notify):
    register(api, device="phone")
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


def test_requests_without_iam_authorisation_are_refused_and_change_nothing(aws, load_function):
    function = load_function("CustomerApiFunction")
    # no requestContext.authorizer.iam: not signed by API Gateway's IAM authorizer
    event = device_registration_event(CUSTOMER, "phone", GCM_TOKEN, iam_authorised=False)
    result = function.invoke(event)
    assert result["statusCode"] == 403 and json.loads(result["body"])["error"] == "forbidden"
    assert endpoints(aws) == {}


def test_devices_are_listed_with_their_language_and_never_their_token(aws, api):
    api(
        "PUT",
        f"/customers/{CUSTOMER}/devices/phone-ar",
        {"platform": "GCM", "token": GCM_TOKEN, "locale": "ar"},
        route="PUT /customers/{customer_id}/devices/{device_id}",
    )
    register(api, device="tablet", token="fcm-token:" + "T" * 140)
    status, body = api("GET", f"/customers/{CUSTOMER}/devices", route="GET /customers/{customer_id}/devices")
    assert status == 200
    assert [(d["device_id"], d["locale"], d["enabled"]) for d in body["devices"]] == [
        ("phone-ar", "ar", True),
        ("tablet", "en", True),
    ]
    assert all(d["registered_at"] and d["updated_at"] for d in body["devices"])
    assert GCM_TOKEN not in json.dumps(body) and "endpoint" not in json.dumps(body)


def test_the_first_registration_time_survives_a_refresh(aws, api):
    first = register(api)[1]
    again = register(api)[1]
    assert again["registered_at"] == first["registered_at"] and again["updated_at"] >= first["updated_at"]


def test_an_arabic_device_gets_the_arabic_push_with_the_same_data(aws, api, notify):
    api(
        "PUT",
        f"/customers/{CUSTOMER}/devices/phone-ar",
        {"platform": "GCM", "token": GCM_TOKEN, "locale": "ar"},
        route="PUT /customers/{customer_id}/devices/{device_id}",
    )
    register(api, device="phone-en", token="fcm-token:" + "E" * 140)
    assert notify.invoke({"Records": [activation()]}) == {"batchItemFailures": []}
    pushes = {name: json.loads(next(iter(e.messages.values()))) for name, e in endpoints(aws).items()}
    ar = json.loads(pushes[f"{CUSTOMER}/phone-ar"]["GCM"])["fcmV1Message"]["message"]
    en = json.loads(pushes[f"{CUSTOMER}/phone-en"]["GCM"])["fcmV1Message"]["message"]
    assert ar["notification"]["title"] == "مصدر الدفع جاهز"
    assert en["notification"]["title"] == "Payment source ready"
    assert ar["data"] == en["data"] and ar["data"]["beneficiary_id"] == "b1"


def test_push_texts_can_be_overridden_by_a_file_or_an_ssm_parameter(aws, tmp_path):
    from lean_webhooks.adapters import push_texts as texts
    from lean_webhooks.runtime.config import ConfigError

    override = tmp_path / "texts.json"
    override.write_text(json.dumps({"ar": {"title": "جاهز", "body": "يمكنك الدفع الآن"}}), encoding="utf-8")
    loaded = texts.push_texts(file=str(override))
    assert loaded["ar"].title == "جاهز" and loaded["en"].title == "Payment source ready"  # others kept
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/lean/push-texts", Type="String", Value=json.dumps({"en": {"title": "Ready", "body": "Pay now"}})
    )
    assert texts.push_texts(parameter="/lean/push-texts")["en"].title == "Ready"
    override.write_text(json.dumps({"fr": {"title": "Prêt", "body": "Payez"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown locale 'fr'"):
        texts.push_texts(parameter="/lean/push-texts", file=str(override))
    override.write_text(json.dumps({"en": {"title": "", "body": "x"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"en\.title"):
        texts.push_texts(file=str(override))


def test_the_push_texts_settings_come_from_the_environment(monkeypatch):
    from lean_webhooks.runtime.config import PushSettings

    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("PUSH_TEXTS_PARAMETER", " /lean/push-texts ")
    monkeypatch.setenv("PUSH_TEXTS_FILE", "/tmp/texts.json")
    settings = PushSettings.from_env()
    assert (settings.texts_parameter, settings.texts_file) == ("/lean/push-texts", "/tmp/texts.json")


def payment_source_item(aws, customer: str, psid: str) -> None:
    aws["clients"]["dynamodb"].put_item(
        TableName=aws["refs"]["Table"],
        Item=to_item(
            {
                "pk": f"CUSTOMER#{customer}",
                "sk": f"PAYMENT_SOURCE#{psid}",
                "entity": "PAYMENT_SOURCE",
                "customer_id": customer,
                "payment_source_id": psid,
                "bank_identifier": "ENBD_UAE",
            }
        ),
    )


def test_payment_sources_are_paged_with_an_opaque_token(aws, api):
    for psid in ("p3", "p1", "p2"):
        payment_source_item(aws, CUSTOMER, psid)
    route = "GET /customers/{customer_id}/payment-sources"
    path = f"/customers/{CUSTOMER}/payment-sources"
    status, first = api("GET", path, route=route, query="limit=2")
    assert status == 200 and [s["id"] for s in first["payment_sources"]] == ["p1", "p2"]
    assert first["next_token"] and "p2" not in first["next_token"]
    status, second = api("GET", path, route=route, query=f"limit=2&next_token={first['next_token']}")
    assert [s["id"] for s in second["payment_sources"]] == ["p3"] and second["next_token"] is None
    assert api("GET", path, route=route)[1]["next_token"] is None  # default limit 50: one page
    for query in ("limit=0", "limit=101", "limit=x", "next_token=not-ours"):
        status, answer = api("GET", path, route=route, query=query)
        assert status == 400 and answer["error"] == "bad_request", query


def test_every_4xx_of_the_customer_api_is_error_and_message(aws, api):
    route = "PUT /customers/{customer_id}/devices/{device_id}"
    cases = [
        api("PUT", "/customers/not-a-uuid/devices/phone", {"platform": "GCM", "token": GCM_TOKEN}, route=route),
        api("PUT", f"/customers/{CUSTOMER}/devices/phone", {"platform": "WP8", "token": GCM_TOKEN}, route=route),
        api(
            "PUT",
            f"/customers/{CUSTOMER}/devices/phone",
            {"platform": "GCM", "token": GCM_TOKEN, "locale": "fr"},
            route=route,
        ),
        api(
            "DELETE",
            f"/customers/{CUSTOMER}/devices/never",
            route="DELETE /customers/{customer_id}/devices/{device_id}",
        ),
    ]
    for status, answer in cases:
        assert 400 <= status < 500 and set(answer) == {"error", "message"}, (status, answer)
    assert GCM_TOKEN not in json.dumps(cases)


def test_the_committed_openapi_document_is_the_codes():
    import subprocess

    result = subprocess.run(
        [sys.executable, "scripts/openapi.py", "--check"], cwd=tpl.ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tpl.ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    routes = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    template_routes = {(r.method, r.path) for r in tpl.http_routes() if r.iam_auth}
    assert routes == template_routes  # every IAM route of the template is documented, and nothing else


def test_bodies_that_are_not_utf8_json_are_refused_not_failed(aws, load_function):
    function = load_function("CustomerApiFunction")
    route = "PUT /customers/{customer_id}/devices/{device_id}"
    path, params = f"/customers/{CUSTOMER}/devices/phone", {"customer_id": CUSTOMER, "device_id": "phone"}
    for content_type, raw, expected in (
        ("text/plain", b'{"platform": "GCM"}', 415),
        ("multipart/form-data", b"x", 415),
        ("application/json", b"\xff\xfe\x00", 400),
    ):
        event = http_api_event(
            "PUT",
            path,
            body=raw,
            headers={"content-type": content_type},
            route_key=route,
            path_parameters=params,
            iam_authorised=True,
        )
        result = function.invoke(event)
        assert result["statusCode"] == expected, (content_type, result)
        assert set(json.loads(result["body"])) == {"error", "message"}


def test_apns_pushes_set_the_alert_push_type_and_priority_and_fcm_pushes_do_not(aws, api, notify):
    register(api, device="iphone", platform="APNS", token=APNS_TOKEN)
    register(api, device="android", platform="GCM", token=GCM_TOKEN)
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
