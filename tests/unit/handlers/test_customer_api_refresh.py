"""The app backend's refresh after the LinkSDK's success, through the customer API's handler, on moto and the Lean
simulator: stored under the webhook's write rules, one Lean call per interval, nothing changed when Lean fails."""

from __future__ import annotations

import json

from local.aws.resources import local_app_id
from local.harness import samples
from local.lean_sim import Fault
from tests.support.customer_api import answer, call
from tests.support.logs import Captured, log_lines
from tests.support.queues import beneficiary_items


def refresh_path(flow: dict) -> str:
    return f"/customers/{flow['customer_id']}/payment-sources/refresh"


def lean_has(aws, flow: dict, status: str, app_id: str | None = None) -> None:
    source = samples.payment_source(flow, app_id or local_app_id(), status)
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = source


def lean_calls(aws) -> int:
    return aws["sim"].state.stats.get("api", 0)


def test_a_refresh_before_any_webhook_stores_and_answers_the_payment_source(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    lean_has(aws, flow, samples.AWAITING)
    status, body = call(api, "POST", refresh_path(flow))
    assert status == 200 and body["customer_id"] == flow["customer_id"] and body["next_token"] is None
    [source] = body["payment_sources"]
    [ben] = source["beneficiaries"]
    assert source["id"] == flow["payment_source_id"] and ben["id"] == flow["beneficiary_id"]
    assert ben["status"] == samples.AWAITING and ben["chargeable"] is False and ben["cool_off_expiry"]
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.AWAITING]
    assert call(api, "GET", f"/customers/{flow['customer_id']}/payment-sources")[1] == body  # the same body


def test_a_refresh_stores_only_this_applications_payment_sources(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    lean_has(aws, flow, samples.ACTIVE, app_id="ANOTHER_APP")
    status, body = call(api, "POST", refresh_path(flow))
    assert status == 200 and body["payment_sources"] == [] and beneficiary_items(aws, flow["customer_id"]) == []


def test_refreshes_within_the_interval_make_one_lean_call(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    lean_has(aws, flow, samples.AWAITING)
    before = lean_calls(aws)
    first = call(api, "POST", refresh_path(flow))
    lean_has(aws, flow, samples.ACTIVE)  # Lean changed meanwhile: the coalesced refresh answers what is stored
    second = call(api, "POST", refresh_path(flow))
    assert first == second and first[0] == 200
    assert lean_calls(aws) - before == 1  # the list (the token is fetched by its own endpoint)
    assert beneficiary_items(aws, flow["customer_id"])[0]["status"] == samples.AWAITING


def test_a_refresh_after_the_interval_calls_lean_again(aws, load_function):
    api = load_function("CustomerApiFunction", REFRESH_MIN_INTERVAL_SECONDS="0")
    flow = samples.ids()
    lean_has(aws, flow, samples.AWAITING)
    call(api, "POST", refresh_path(flow))
    lean_has(aws, flow, samples.ACTIVE)
    status, body = call(api, "POST", refresh_path(flow))
    assert status == 200 and body["payment_sources"][0]["beneficiaries"][0]["chargeable"] is True


def test_lean_unavailable_is_503_with_retry_after_and_changes_nothing(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    lean_has(aws, flow, samples.AWAITING)
    aws["sim"].state.faults.append(Fault(status=503, count=None))
    failed = answer(api, "POST", refresh_path(flow))
    assert failed.status == 503 and failed.body["error"] == "lean_unavailable"
    assert int(failed.headers["retry-after"]) >= 1
    assert beneficiary_items(aws, flow["customer_id"]) == []
    calls = lean_calls(aws)
    again = answer(api, "POST", refresh_path(flow))  # within the wait Lean asked for: no new call
    assert again.status == 503 and lean_calls(aws) == calls and int(again.headers["retry-after"]) >= 1


def test_lean_rate_limiting_passes_its_retry_after_on(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    aws["sim"].state.faults.append(Fault(status=429, count=None))  # each answer says Retry-After: 1
    failed = answer(api, "POST", refresh_path(flow))
    assert failed.status == 503 and failed.headers["retry-after"] == "1"


def test_leans_404_for_the_customer_answers_what_is_stored(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    aws["sim"].state.faults.append(Fault(status=404, count=1))
    status, body = call(api, "POST", refresh_path(flow))
    assert status == 200 and body["payment_sources"] == []


def test_a_refresh_path_with_another_method_is_405(aws, load_function):
    api = load_function("CustomerApiFunction")
    found = answer(api, "DELETE", refresh_path(samples.ids()))
    assert found.status == 405 and found.headers["allow"] == "POST" and set(found.body) == {"error", "message"}


def stored(aws, flow: dict):
    """The payment source item as stored (deleted ones included), and its beneficiaries."""
    from lean_webhooks.adapters.dynamodb.keys import customer_pk, payment_source_sk
    from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
    from lean_webhooks.adapters.dynamodb.table import Table, key

    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    item = table.get(key(customer_pk(flow["customer_id"]), payment_source_sk(flow["payment_source_id"])))
    return item, DynamoPaymentSources(table).beneficiaries_of(flow["customer_id"], flow["payment_source_id"])


def test_a_payment_source_lean_deleted_on_its_side_is_marked_gone_by_a_refresh(aws, load_function):
    api = load_function("CustomerApiFunction", REFRESH_MIN_INTERVAL_SECONDS="0")
    flow = samples.ids()
    lean_has(aws, flow, samples.ACTIVE)
    assert call(api, "POST", refresh_path(flow))[1]["payment_sources"][0]["beneficiaries"][0]["chargeable"] is True
    del aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])]  # no webhook
    status, body = call(api, "POST", refresh_path(flow))
    assert status == 200 and body["payment_sources"] == []
    item, beneficiaries = stored(aws, flow)
    assert item["deleted_reason"] == "lean_not_found" and [b.status for b in beneficiaries] == ["DELETED"]


def test_one_unreadable_item_in_leans_list_is_skipped_counted_and_logged_by_id(aws, load_function, monkeypatch, capsys):
    logs = Captured(monkeypatch)
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    lean_has(aws, flow, samples.ACTIVE)
    broken = samples.ids()["payment_source_id"]
    aws["sim"].state.payment_sources[(flow["customer_id"], broken)] = {
        "id": broken,
        "customer_id": flow["customer_id"],
        "accounts": [{"iban": "AE070331234567890123456"}],
        "beneficiaries": "not a list",
    }
    result = answer(api, "POST", refresh_path(flow))
    assert result.status == 200 and [s["id"] for s in result.body["payment_sources"]] == [flow["payment_source_id"]]
    assert [b["status"] for b in beneficiary_items(aws, flow["customer_id"])] == [samples.ACTIVE]
    lines = logs.readouterr().out
    [skipped] = [line for line in log_lines(lines) if "cannot be read" in line["message"]]
    assert skipped["payment_source_id"] == broken and "AE07" not in lines and "not a list" not in lines
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["LeanItemsUnreadable"] for m in emitted if "LeanItemsUnreadable" in m] == [[1.0]]


def test_a_coalesced_refresh_after_leans_refusal_is_502_too(aws, load_function):
    api = load_function("CustomerApiFunction")
    flow = samples.ids()
    aws["sim"].state.faults.append(Fault(status=403, count=None))  # Lean refuses the credentials
    first = answer(api, "POST", refresh_path(flow))
    calls = lean_calls(aws)
    again = answer(api, "POST", refresh_path(flow))  # within the interval: answered from the marker
    assert (first.status, again.status) == (502, 502) and "retry-after" not in again.headers
    assert lean_calls(aws) == calls
