"""The customer API's handler with moto SNS and DynamoDB: device registration (update, re-enable, refusals,
tokens that move between customers), listing devices and payment sources (paging), its refusals (IAM, media type,
bodies that are not UTF-8 JSON, deep nesting, a platform without an application) with `{"error", "message"}` as
docs/push.md shows them, and its OpenAPI document against the code."""

from __future__ import annotations

import json
import sys

import pytest

from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.models.devices import DeviceRecord
from local.aws import template as tpl
from local.aws.lambda_events import device_registration_event, http_api_event
from tests.support.devices import CUSTOMER, GCM_TOKEN, OTHER, customer_api_caller, device_items, endpoints, register


@pytest.fixture
def api(load_function):
    return customer_api_caller(load_function("CustomerApiFunction"))


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


def test_a_phone_that_changed_hands_is_unregistered_by_its_new_owner_only(aws, api):
    register(api, customer=CUSTOMER, device="a-phone", token=GCM_TOKEN)
    register(api, customer=OTHER, device="b-phone", token=GCM_TOKEN)  # same phone, new owner
    assert device_items(aws, CUSTOMER) == [] and device_items(aws, OTHER) == ["b-phone"]
    # the previous owner's device is gone: deleting it is a 404 and leaves the new owner's endpoint alone
    route = "DELETE /customers/{customer_id}/devices/{device_id}"
    assert api("DELETE", f"/customers/{CUSTOMER}/devices/a-phone", route=route)[0] == 404
    assert list(endpoints(aws)) == [f"{OTHER}/b-phone"]
    assert api("DELETE", f"/customers/{OTHER}/devices/b-phone", route=route)[0] == 204
    assert endpoints(aws) == {}  # the owner's deletion deletes the endpoint


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


def test_a_platform_without_an_application_answers_the_documented_400_and_stores_nothing(aws, load_function):
    from moto.sns.models import sns_backends

    api = customer_api_caller(load_function("CustomerApiFunction", GCM_PLATFORM_APPLICATION_ARN=""))
    status, answer = register(api, device="android")
    body = {"error": "bad_request", "message": "platform GCM is not configured"}
    assert status == 400 and answer == body
    assert f"`400 {json.dumps(body)}`" in (tpl.ROOT / "docs" / "push.md").read_text(encoding="utf-8")
    assert not sns_backends["123456789012"]["us-east-1"].platform_endpoints  # no SNS endpoint was made
    assert device_items(aws, CUSTOMER) == []
