"""The cool-off recovery never lets failing re-reads block the index: back-off, then park."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lean_webhooks.adapters.dynamodb.keys import beneficiary_sk, customer_pk
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table, key
from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.webhook import parse_webhook
from local.aws.resources import local_app_id
from local.harness import samples


class Lean:
    """Answers each payment source with its beneficiary in the status set per flow; raises for broken ones."""

    def __init__(self) -> None:
        self.sources: dict[str, dict] = {}
        self.broken: set[str] = set()

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        if payment_source_id in self.broken:
            raise LeanServerError("Lean API 503", http_status=503, lean_status="SERVICE_UNAVAILABLE")
        return LeanPaymentSource.model_validate(self.sources[payment_source_id])


def test_failing_rereads_back_off_then_park_and_never_block_the_others(aws):
    now = [datetime.now(UTC) + timedelta(hours=25)]  # every stored cool-off is overdue
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    store, lean = DynamoPaymentSources(table), Lean()
    sync = PaymentSourceSync(lean, store, local_app_id(), clock=lambda: now[0] - timedelta(hours=25))
    flows = [samples.ids() for _ in range(3)]
    for flow in flows:
        lean.sources[flow["payment_source_id"]] = samples.payment_source(flow, local_app_id(), samples.AWAITING)
        sync.handle(parse_webhook(samples.beneficiary_webhook(flow, "created", samples.AWAITING)))
    broken, healthy = flows[:2], flows[2]
    lean.broken = {f["payment_source_id"] for f in broken}
    lean.sources[healthy["payment_source_id"]] = samples.payment_source(healthy, local_app_id(), samples.ACTIVE)
    recovery = CoolOffRecovery(
        PaymentSourceSync(lean, store, local_app_id(), clock=lambda: now[0]),
        store,
        clock=lambda: now[0],
        max_failures=3,
    )
    checked = [recovery.run(limit=2) for _ in range(2)]  # the two broken ones head the index at first
    assert checked[0].failed == 2 and checked[1].activated == 1  # ... but backed off, so the healthy one runs

    def item(flow: dict) -> dict:
        return table.get(
            key(customer_pk(flow["customer_id"]), beneficiary_sk(flow["payment_source_id"], flow["beneficiary_id"]))
        )

    first = item(broken[0])
    assert first["recheck_failures"] == 1 and first["gsi1sk"] > now[0].isoformat()[:19]
    for _ in range(4):  # later runs: 2nd and 3rd failures, then parked out of the index
        now[0] += timedelta(days=2)
        recovery.run()
    parked = item(broken[0])
    assert parked["recheck_failures"] == 3 and "gsi1pk" not in parked and parked["recheck_parked_at"]
    assert parked["status"] == samples.AWAITING
    assert store.awaiting_past_expiry(now[0] + timedelta(days=30), 100) == []
