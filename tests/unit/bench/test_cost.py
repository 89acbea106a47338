"""The cost model's arithmetic where a slip would go unseen: secret reads per flow, storage and PITR per 10,000
customers, items with a TTL stored for their share of the month, and the KMS requests a customer managed key adds."""

from __future__ import annotations

from typing import Any

import pytest

from bench import cost
from bench.capacity import stored_bytes
from local.aws import template as tpl

NOW = 2_000_000_000.0  # any instant: only the distance to an item's expiry counts


def item(expires_in_s: float | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"pk": {"S": "CUSTOMER#c1"}, "sk": {"S": "DEVICE#phone"}, "token": {"S": "t" * 200}}
    if expires_in_s is not None:
        found["expires_at"] = {"N": str(int(NOW + expires_in_s))}
    return found


def test_each_new_environment_reads_each_of_its_secrets_once() -> None:
    reads = cost.secret_reads_per_flow({"WebhookFunction": 1, "NotifyActiveFunction": 0}, {"WebhookFunction": 3}, 0.1)
    assert reads == pytest.approx(0.3)


def test_secret_reads_are_billed_per_flow() -> None:
    flow = {"invocations": {"WebhookFunction": 3}, "secret_reads_new_environment": {"WebhookFunction": 1}}
    per_million = cost.gaps(flow)["per_flow_usd"]["secrets_manager"] * 1e6
    assert per_million == pytest.approx(3 * cost.COLD_START_SHARE * 0.05 / 10_000 * 1e6)  # $1.50


def test_storage_and_pitr_are_priced_on_the_gigabytes_of_10000_customers() -> None:
    priced = cost.storage_per_month(2**30 / 10_000, 10_000)  # a GB for 10,000 customers
    assert priced["gb"] == pytest.approx(1.0)
    assert priced["storage"] == pytest.approx(0.25)
    assert priced["pitr"] == pytest.approx(0.20)


def test_an_item_without_a_ttl_is_stored_all_month_one_with_a_ttl_for_its_share() -> None:
    assert cost.byte_months([item()], NOW) == stored_bytes(item())
    half = item(cost.MONTH_S / 2)
    assert cost.byte_months([half], NOW) == pytest.approx(stored_bytes(half) / 2)
    assert cost.byte_months([item(3 * cost.MONTH_S)], NOW) == stored_bytes(item(3 * cost.MONTH_S))


def test_kms_requests_a_month_come_from_the_table_callers_and_the_sync_queue_principals() -> None:
    kms = cost.kms_requests(per_flow_secret_reads=0.7, monthly_secret_reads=0)
    periods = cost.MONTH_S / 300
    assert kms["table_callers"] == sum(
        1 for name in tpl.functions() if "dynamodb:" in str(tpl.resources()[name]["Properties"].get("Policies"))
    )
    assert kms["producers"] == 3  # webhook, sync (retries, deferrals), events reconciliation
    assert kms["monthly"] == pytest.approx((kms["table_callers"] + 2 * 3 + 1) * periods)
    assert kms["per_flow"] == 0.7  # one Decrypt a secret read


def test_the_erasure_guards_units_come_from_the_metered_creations() -> None:
    calls = [
        "PutItem condition failed: 1 WRU",  # a write of an existing item, refused: there is none
        "TransactPut REFRESH: 2 WRU",
        "TransactConditionCheck ERASURE: 2 WRU",
        "TransactPut PUSH: 2 WRU",  # created first
        "TransactConditionCheck ERASURE: 2 WRU",
        "UpdateItem condition failed: 1 WRU",  # a write that would change nothing: not the guard's
        "PutItem EVENT: 1 WRU",
        "UpdateItem condition failed: 1 WRU",
        "TransactUpdate BENEFICIARY: 4 WRU",
        "TransactConditionCheck ERASURE: 2 WRU",
    ]
    guard = cost.erasure_guard_units(calls)
    assert guard["wru"] == (1 + 1 + 2) + (1 + 2) + (1 + 2 + 2)
    assert guard["rru"] == cost.PUBLISHER_ERASURE_READS
