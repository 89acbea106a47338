"""An erasure through the customer API, then a webhook about the erased customer that Lean sent before it, reaching
the sync: acknowledged, nothing stored again, and counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from local.harness import samples
from tests.support.customer_api import call
from tests.support.erasures import erased, onboarded
from tests.support.queues import deliver


def test_a_late_webhook_about_an_erased_customer_is_acknowledged_stores_nothing_and_is_counted(
    aws, load_function, capsys
):
    api, sync = load_function("CustomerApiFunction"), load_function("SyncPaymentSourceFunction")
    flow = onboarded(aws, api)
    customer = flow["customer_id"]
    sent = datetime.now(UTC) - timedelta(minutes=30)
    late = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE, when=sent)
    assert call(api, "DELETE", f"/customers/{customer}")[0] == 200
    capsys.readouterr()
    assert deliver(aws, sync, [json.dumps(late)]) == {"batchItemFailures": []}
    assert erased(aws, customer)
    assert '"ErasedCustomerEvents"' in capsys.readouterr().out
