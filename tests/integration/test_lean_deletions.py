"""Deletions Lean makes, through the local stack: Lean announces none by webhook, so a refresh checks what Lean's
list no longer holds, and shows a payment source Lean deleted on its side as gone, with one event."""

from __future__ import annotations

import pytest

from local.harness import samples
from tests.support.stack_flows import events_of, lean_has, new_customer, post_ok, scan_for, settle, wait_status

pytestmark = pytest.mark.integration


def lean_deletes(stack, flow) -> None:
    """Lean deletes the payment source on its side (its dashboard, the bank): no webhook."""
    url = f"{stack.lean_url}/_sim/customers/{flow['customer_id']}/payment-sources/{flow['payment_source_id']}"
    response = stack.http.delete(url, timeout=stack.timeout_s)
    assert response.status_code == 200, response.text


def test_a_refresh_after_a_lean_side_deletion_shows_the_payment_source_gone_with_one_event(stack):
    flow = new_customer(stack)
    lean_has(stack, flow, samples.ACTIVE)
    post_ok(stack, samples.beneficiary_webhook(flow, "created", samples.ACTIVE))  # stored from Lean's read
    wait_status(stack, flow, samples.ACTIVE)
    assert stack.beneficiary(flow["customer_id"], flow["beneficiary_id"])["chargeable"] is True
    lean_deletes(stack, flow)
    response = stack.refresh(flow["customer_id"])
    assert response.status_code == 200, response.text
    assert response.json()["payment_sources"] == []  # nothing chargeable left to show
    assert stack.payment_sources(flow["customer_id"])["payment_sources"] == []
    items = {item["sk"]["S"]: item for item in scan_for(stack, flow["payment_source_id"])}
    source = next(i for sk, i in items.items() if "BENEFICIARY" not in sk)
    beneficiary = next(i for sk, i in items.items() if "BENEFICIARY" in sk)
    assert source["deleted_reason"]["S"] == "lean_not_found" and beneficiary["status"]["S"] == "DELETED"
    events = events_of(stack, flow, 3)  # added, chargeable, deleted
    deleted = [e["detail"] for e in events if e["detail-type"] == "Payment Source Deleted"]
    assert [(d["payment_source_id"], d["reason"]) for d in deleted] == [(flow["payment_source_id"], "lean_not_found")]
    assert settle(stack, flow, 0) == []  # active at creation: no push, and none for the deletion
