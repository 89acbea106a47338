"""The customer API's deletion: Lean's DELETE first, then the stored payment source marked deleted."""

from __future__ import annotations

import json

from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.statuses import DELETED
from lean_webhooks.models.webhook import parse_webhook
from local.aws.lambda_events import http_api_event
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.lean import simulator_client


def _customer_api_call(api, method: str, path: str, route: str, params: dict) -> tuple[int, dict]:
    event = http_api_event(
        method, path, body=b"", headers={}, route_key=route, path_parameters=params, iam_authorised=True
    )
    result = api.invoke(event)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else {}


def test_customer_api_deletes_at_lean_then_marks_deleted(aws, load_function):
    flow = samples.ids()
    cid, psid = flow["customer_id"], flow["payment_source_id"]
    aws["sim"].state.payment_sources[(cid, psid)] = samples.payment_source(flow, local_app_id(), samples.ACTIVE)
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    sync = PaymentSourceSync(simulator_client(aws), store, local_app_id())
    sync.handle(parse_webhook(samples.beneficiary_webhook(flow, "created", samples.ACTIVE)))
    assert store.list_for_customer(cid)
    api = load_function("CustomerApiFunction")
    route = "DELETE /customers/{customer_id}/payment-sources/{payment_source_id}"
    path = f"/customers/{cid}/payment-sources/{psid}"
    status, body = _customer_api_call(api, "DELETE", path, route, {"customer_id": cid, "payment_source_id": psid})
    assert status == 200 and body["deleted"] is True and body["already_gone_at_lean"] is False
    assert (cid, psid) not in aws["sim"].state.payment_sources  # Lean's DELETE was called
    assert store.list_for_customer(cid) == []
    ben = store.beneficiaries_of(cid, psid)[0]
    assert ben.status == DELETED and ben.status_reason == "USER_REQUESTED"
    status, body = _customer_api_call(api, "DELETE", path, route, {"customer_id": cid, "payment_source_id": psid})
    assert status == 200 and body["already_gone_at_lean"] is True  # idempotent


def test_customer_api_deletion_refused_by_lean_changes_nothing(aws, load_function):
    from local.lean_sim import Fault

    flow = samples.ids()
    cid, psid = flow["customer_id"], flow["payment_source_id"]
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    api = load_function("CustomerApiFunction", LEAN_MAX_RETRIES="0")
    route = "DELETE /customers/{customer_id}/payment-sources/{payment_source_id}"
    path = f"/customers/{cid}/payment-sources/{psid}"
    params = {"customer_id": cid, "payment_source_id": psid}
    event = http_api_event(
        "DELETE", path, body=b"", headers={}, route_key=route, path_parameters=params, iam_authorised=True
    )
    result = api.invoke(event)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    assert result["statusCode"] == 503 and json.loads(result["body"])["error"] == "lean_unavailable"
    assert int(headers["retry-after"]) >= 1  # as a refresh's or an erasure's answer
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    assert store.beneficiaries_of(cid, psid) == [] and store.list_for_customer(cid) == []
    assert not aws["clients"]["dynamodb"].scan(TableName=aws["refs"]["Table"])["Items"]
