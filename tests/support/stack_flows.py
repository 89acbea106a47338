"""Onboarding flows driven through the running local stack over HTTP: customers with devices, what Lean has,
webhooks in, and waiting for what is stored and pushed."""

from __future__ import annotations

import time
from typing import Any

from local.aws.resources import local_app_id
from local.harness import samples
from local.harness.client import wait_for

TABLE = "lean-local-Table"  # the local stack's name for the template's table


def new_customer(stack, devices=("phone",)) -> dict[str, str]:
    flow = samples.ids()
    for device in devices:
        token = f"fcm-{device}-{flow['customer_id'][:8]}:APA91b" + "y" * 100
        assert stack.register_device(flow["customer_id"], device, "GCM", token).status_code == 200
    return flow


def lean_has(stack, flow, status) -> None:
    stack.set_payment_source(
        flow["customer_id"], flow["payment_source_id"], samples.payment_source(flow, local_app_id(), status)
    )


def post_ok(stack, envelope) -> None:
    response = stack.post_webhook(envelope)
    assert response.status_code == 200, response.text


def status_of(stack, flow) -> str | None:
    ben = stack.beneficiary(flow["customer_id"], flow["beneficiary_id"])
    return ben["status"] if ben else None


def wait_status(stack, flow, status, timeout_s=40) -> None:
    wait_for(lambda: status_of(stack, flow) == status, timeout_s=timeout_s, what=f"status {status}")


def settle(stack, flow, pushes_expected: int, device="phone", seconds=2.0) -> list:
    """Wait for the expected pushes, then a little longer to catch any extra one."""
    if pushes_expected:
        wait_for(
            lambda: len(stack.pushes(flow["customer_id"], device)) >= pushes_expected,
            timeout_s=40,
            what=f"{pushes_expected} push(es)",
        )
    time.sleep(seconds)
    return stack.pushes(flow["customer_id"], device)


def dynamodb(stack) -> Any:
    """A client of the local stack's DynamoDB Local."""
    import boto3

    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{stack.ports['LOCAL_DYNAMODB_PORT']}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def unsettle(stack, flow) -> None:
    """Put the flow's activation back in the activations index, as if its push had not finished."""
    day = time.strftime("%Y-%m-%d", time.gmtime())
    dynamodb(stack).update_item(
        TableName=TABLE,
        Key={
            "pk": {"S": f"CUSTOMER#{flow['customer_id']}"},
            "sk": {"S": f"PAYMENT_SOURCE#{flow['payment_source_id']}#BENEFICIARY#{flow['beneficiary_id']}"},
        },
        UpdateExpression="SET gsi2pk = :pk, gsi2sk = :sk",
        ExpressionAttributeValues={":pk": {"S": f"ACTIVATED#{day}"}, ":sk": {"S": f"{day}T00:00:00.000000Z"}},
    )


def scan_for(stack, text: str) -> list[dict[str, Any]]:
    """Every item of the local stack's table that mentions `text` anywhere (an auditor's scan)."""
    client = dynamodb(stack)
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE}
    while True:
        page = client.scan(**kwargs)
        found += [item for item in page["Items"] if text in str(item)]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def events_of(stack, flow, count: int) -> list[dict]:
    """The flow's domain events once `count` have arrived (then a moment more, to catch any extra one)."""

    def found() -> list[dict]:
        return [e for e in stack.domain_events() if e["detail"].get("customer_id") == flow["customer_id"]]

    wait_for(lambda: len(found()) >= count, timeout_s=40, what=f"{count} domain event(s)")
    settle(stack, flow, 0, seconds=2)
    return found()
