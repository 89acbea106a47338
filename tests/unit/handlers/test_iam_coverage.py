"""Every AWS call a function makes is allowed by its own policy in template.yaml.

moto and DynamoDB Local do not enforce IAM, so a missing action (a `GetItem` the code needs only on a rare path)
would pass every other test and fail in AWS. Here each function runs its paths, rare ones included, while every
botocore call is recorded; each call's IAM action and resource is then looked up in that function's statements.
"""

from __future__ import annotations

import contextvars
import json
from collections import defaultdict
from typing import Any

import botocore.client
import pytest

from local.aws import template as tpl
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.queues import deliver
from tests.support.streams import activation
from tests.support.wired import activation_push

CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="")
PREFIX = {"dynamodb": "dynamodb", "sqs": "sqs", "sns": "sns", "secretsmanager": "secretsmanager", "ssm": "ssm"}
TRANSACT = {"Put": "PutItem", "Delete": "DeleteItem", "Update": "UpdateItem", "ConditionCheck": "ConditionCheckItem"}


@pytest.fixture
def calls(monkeypatch) -> dict[str, set[tuple[str, str]]]:
    """function -> {(IAM action, resource logical id or id/index/name)} of every call made while it ran."""
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if caller := CALLER.get():
            service = self.meta.service_model.endpoint_prefix
            if service == "dynamodb" and operation_name == "TransactWriteItems":
                for item in api_params["TransactItems"]:
                    ((kind, body),) = item.items()
                    seen[caller].add((f"dynamodb:{TRANSACT[kind]}", body["TableName"]))
            else:
                resource = api_params.get("TableName") or api_params.get("QueueUrl") or api_params.get("SecretId")
                resource = resource or api_params.get("Name") or ""
                if api_params.get("IndexName"):
                    resource += "/index/" + api_params["IndexName"]
                seen[caller].add((f"{PREFIX.get(service, service)}:{operation_name}", str(resource)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return seen


def run(function, event: dict, **use_cases: Any) -> Any:
    token = CALLER.set(function.name)
    try:
        return function.invoke(event, **use_cases)
    finally:
        CALLER.reset(token)


def allowed(function: str, refs: dict[str, str]) -> set[tuple[str, str]]:
    """(action, resource) pairs the function's statements allow, resources resolved to local names."""
    statements = []
    for policy in tpl.resources()[function]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            if isinstance(statement, dict) and "Action" in statement:
                statements.append(statement)
    pairs = set()
    for policy in tpl.resources()[function]["Properties"].get("Policies", []):  # SAM policy templates used here
        if "SQSSendMessagePolicy" in policy:
            queue = policy["SQSSendMessagePolicy"]["QueueName"]["Fn::GetAtt"][0]
            pairs |= {("sqs:SendMessage", refs[queue]), ("sqs:SendMessageBatch", refs[queue])}
        if "AWSSecretsManagerGetSecretValuePolicy" in policy:
            secret = policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]["Ref"]
            pairs.add(("secretsmanager:GetSecretValue", refs[secret]))
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            pairs |= {(action, local_name(resource, refs)) for action in actions}
    return pairs


def local_name(resource: Any, refs: dict[str, str]) -> str:
    """A statement's resource as the recorder names it: table name (+ /index/x), queue URL, secret id, or *."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        if attribute == "Arn" and logical_id in refs:
            return refs[logical_id]
        return "*"
    if isinstance(resource, dict) and "Ref" in resource:
        return refs.get(resource["Ref"], "*")
    if isinstance(resource, dict) and "Fn::Sub" in resource and isinstance(resource["Fn::Sub"], str):
        text = resource["Fn::Sub"]
        for logical_id, value in refs.items():
            if isinstance(value, str):
                text = text.replace("${" + logical_id + ".Arn}", value)
        return text if "${" not in text else "*"
    return "*"


def assert_allowed(function: str, seen: set[tuple[str, str]], refs: dict[str, str]) -> None:
    grants = allowed(function, refs)
    missing = [
        (action, resource)
        for action, resource in sorted(seen)
        if (action, resource) not in grants and (action, "*") not in grants
    ]
    assert not missing, f"{function} calls what its policy does not allow: {missing}"


def test_the_notifier_and_the_customer_api_call_only_what_their_policies_allow(aws, load_function, calls):
    api = load_function("CustomerApiFunction")
    notify = load_function("NotifyActiveFunction")
    customer, other = samples.ids()["customer_id"], samples.ids()["customer_id"]
    token = "fcm-iam:" + "I" * 140
    for cid, device in ((customer, "phone"), (other, "phone")):  # the second moves the endpoint (a transaction)
        body = json.dumps({"platform": "GCM", "token": token}).encode()
        run(
            api,
            http_event(
                "PUT", f"/customers/{cid}/devices/{device}", body, "/customers/{customer_id}/devices/{device_id}"
            ),
        )
    run(
        api,
        http_event(
            "PUT",
            f"/customers/{customer}/devices/tablet",
            json.dumps({"platform": "GCM", "token": token + "2"}).encode(),
            "/customers/{customer_id}/devices/{device_id}",
        ),
    )
    run(api, http_event("GET", f"/customers/{customer}/devices", b"", "/customers/{customer_id}/devices"))
    run(
        api,
        http_event("GET", f"/customers/{customer}/payment-sources", b"", "/customers/{customer_id}/payment-sources"),
    )
    run(
        api,
        http_event(
            "DELETE", f"/customers/{customer}/devices/tablet", b"", "/customers/{customer_id}/devices/{device_id}"
        ),
    )
    record = activation(other)
    run(notify, {"Records": [record]})
    waits = []
    claim_held(aws, other, "phone")  # the rare path: a claim held by another delivery (read with GetItem)
    run(notify, {"Records": [activation(other, beneficiary_id="b2")]}, push=activation_push(sleep=waits.append))
    assert waits and calls["NotifyActiveFunction"]
    assert ("dynamodb:GetItem", aws["refs"]["Table"]) in calls["NotifyActiveFunction"]
    for function in ("CustomerApiFunction", "NotifyActiveFunction"):
        assert_allowed(function, calls[function], aws["refs"])


def test_the_sync_function_calls_only_what_its_policy_allows(aws, load_function, calls):
    sync = load_function("SyncPaymentSourceFunction", LEAN_BACKOFF_SECONDS="0.01", RETRY_BASE_DELAY_SECONDS="0")
    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.ACTIVE
    )
    token = CALLER.set("SyncPaymentSourceFunction")
    try:
        deliver(aws, sync, [json.dumps(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))])
        deliver(aws, sync, ["not json"])  # dead-lettered with a reason
    finally:
        CALLER.reset(token)
    seen = {
        (a, r)
        for a, r in calls["SyncPaymentSourceFunction"]
        if not r.endswith("SyncQueue") or a != "sqs:ReceiveMessage"
    }
    assert ("sqs:SendMessage", aws["refs"]["SyncDeadLetterQueue"]) in seen
    assert_allowed("SyncPaymentSourceFunction", seen, aws["refs"])


def http_event(method: str, path: str, body: bytes, route_path: str, headers: dict | None = None) -> dict:
    from local.aws.lambda_events import http_api_event

    parts = path.split("/")
    params = dict(zip([p.strip("{}") for p in route_path.split("/")[2::2]], parts[2::2], strict=False))
    return http_api_event(
        method,
        path,
        body=body,
        headers=headers or {"content-type": "application/json"},
        route_key=f"{method} {route_path}",
        path_parameters=params,
        iam_authorised=True,
    )


def claim_held(aws, customer_id: str, device_id: str) -> None:
    from datetime import UTC, datetime, timedelta

    until = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat(timespec="microseconds").replace("+00:00", "Z")
    aws["clients"]["dynamodb"].put_item(
        TableName=aws["refs"]["Table"],
        Item={
            "pk": {"S": f"CUSTOMER#{customer_id}"},
            "sk": {"S": f"PUSH#b2#{device_id}"},
            "entity": {"S": "PUSH"},
            "state": {"S": "CLAIMED"},
            "claim_id": {"S": "other"},
            "lease_until": {"S": until},
        },
    )


def test_the_webhook_and_the_scheduled_functions_call_only_what_their_policies_allow(aws, load_function, calls):
    from tests.support.webhooks import signed

    webhook = load_function("WebhookFunction")
    flow = samples.ids()
    body, headers = signed(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
    answer = run(webhook, http_event("POST", "/webhooks/lean", body, "/webhooks/lean", headers))
    assert answer["statusCode"] == 200, answer
    for name in ("RecoverCoolOffFunction", "ReconcileEventsFunction", "ReconcilePushesFunction"):
        run(load_function(name), {"source": "aws.events"})
    assert {a for a, _ in calls["WebhookFunction"]} >= {"sqs:SendMessage", "secretsmanager:GetSecretValue"}
    assert ("dynamodb:Query", f"{aws['refs']['Table']}/index/RecentActivations") in calls["ReconcilePushesFunction"]
    for name in ("WebhookFunction", "RecoverCoolOffFunction", "ReconcileEventsFunction", "ReconcilePushesFunction"):
        assert_allowed(name, calls[name], aws["refs"])
