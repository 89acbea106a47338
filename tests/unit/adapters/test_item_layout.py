"""The table's item layout is a stored format: a deployed table already holds items under these keys, the
template's `dynamodb:LeadingKeys` conditions and stream filters name them, and the TTLs are promises
(docs/guarantees.md). A key spelled differently orphans every item written before an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lean_webhooks.adapters.dynamodb import keys
from local.aws import template as tpl

NOW = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("built", "spelled"),
    [
        (keys.customer_pk("c1"), "CUSTOMER#c1"),
        (keys.payment_source_sk("p1"), "PAYMENT_SOURCE#p1"),
        (keys.beneficiary_sk("p1", "b1"), "PAYMENT_SOURCE#p1#BENEFICIARY#b1"),
        (keys.device_sk("d1"), "DEVICE#d1"),
        (keys.push_sk("b1", "d1"), "PUSH#b1#d1"),
        (keys.endpoint_pk("arn:e"), "ENDPOINT#arn:e"),
        (keys.event_pk("e1"), "EVENT#e1"),
        (keys.activations_pk("2026-11-25"), "ACTIVATED#2026-11-25"),
        (keys.AWAITING_INDEX_PK, "AWAITING_COOL_OFF"),
    ],
)
def test_keys_keep_their_spelling(built, spelled):
    assert built == spelled


def test_the_single_item_kinds_keep_their_sort_keys():
    assert (keys.CHECKPOINT, keys.REFRESH, keys.ERASURE, keys.ENDPOINT, keys.EVENT) == (
        "CHECKPOINT",
        "REFRESH",
        "ERASURE",
        "ENDPOINT",
        "EVENT",
    )
    assert keys.ledger_item("e1", "payment_source.created", "synced", NOW)["sk"] == "EVENT"
    assert keys.owner_item("arn:e", "c1", "d1")["sk"] == "ENDPOINT"


def leading_keys(node: object) -> list[str]:
    """Every `dynamodb:LeadingKeys` pattern anywhere under `node`."""
    if isinstance(node, dict):
        found = list(node.get("dynamodb:LeadingKeys", []))
        return found + [pattern for value in node.values() for pattern in leading_keys(value)]
    if isinstance(node, list):
        return [pattern for value in node for pattern in leading_keys(value)]
    return []


def test_the_customer_api_s_leading_keys_condition_names_the_prefixes_it_writes():
    policies = tpl.resources()["CustomerApiFunction"]["Properties"]["Policies"]
    prefixes = sorted(pattern.rstrip("*") for pattern in leading_keys(policies))
    assert prefixes == sorted([keys.customer_pk(""), keys.endpoint_pk("")])


def test_the_indexes_are_the_template_s():
    table = tpl.resources()["Table"]["Properties"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        keys.AWAITING_INDEX,
        keys.ACTIVATIONS_INDEX,
    }


def test_the_event_ledger_keeps_an_event_100_days():
    item = keys.ledger_item("e1", "payment_source.created", "synced", NOW)
    assert item["expires_at"] == int((NOW + timedelta(days=100)).timestamp())


def test_a_customer_s_refresh_marker_expires_a_day_after_it_is_written():
    assert keys.refresh_marker_item("c1", "claim", "calling", NOW)["expires_at"] == int(
        (NOW + timedelta(days=1)).timestamp()
    )


def test_an_erasure_record_expires_the_hold_after_it_begins_by_default_35_days():
    assert timedelta(days=35) == keys.ERASURE_HOLD
    item = keys.erasure_record_item("c1", "erasure", NOW, keys.ERASURE_HOLD)
    assert item["expires_at"] == int((NOW + timedelta(days=35)).timestamp())


def test_the_items_an_operator_reads_keep_their_attributes():
    """Each item names its kind in `entity` (the stream filters select by it) and keeps the attributes that other
    versions of the functions, and operators looking into the table, read."""
    at = "2026-11-25T23:30:00.000000Z"
    assert keys.device_item("c1", "d1", "GCM", "arn:e", NOW, "ar", None) == {
        "pk": "CUSTOMER#c1",
        "sk": "DEVICE#d1",
        "entity": "DEVICE",
        "customer_id": "c1",
        "device_id": "d1",
        "platform": "GCM",
        "endpoint_arn": "arn:e",
        "enabled": True,
        "locale": "ar",
        "registered_at": at,
        "updated_at": at,
    }
    assert keys.owner_item("arn:e", "c1", "d1") == {
        "pk": "ENDPOINT#arn:e",
        "sk": "ENDPOINT",
        "entity": "ENDPOINT",
        "customer_id": "c1",
        "device_id": "d1",
    }
    assert keys.ledger_item("e1", "payment_source.created", "synced", NOW) == {
        "pk": "EVENT#e1",
        "sk": "EVENT",
        "entity": "EVENT",
        "event_id": "e1",
        "event_type": "payment_source.created",
        "outcome": "synced",
        "processed_at": at,
        "expires_at": int((NOW + timedelta(days=100)).timestamp()),
    }
    a_day_later = int((NOW + timedelta(days=1)).timestamp())
    assert keys.refresh_marker_item("c1", "claim", "calling", NOW) == {
        "pk": "CUSTOMER#c1",
        "sk": "REFRESH",
        "entity": "REFRESH",
        "customer_id": "c1",
        "state": "calling",
        "claim_id": "claim",
        "called_at": at,
        "expires_at": a_day_later,
    }
    assert keys.erasure_record_item("c1", "erasure", NOW, timedelta(days=2)) == {
        "pk": "CUSTOMER#c1",
        "sk": "ERASURE",
        "entity": "ERASURE",
        "customer_id": "c1",
        "erasure_id": "erasure",
        "started_at": at,
        "expires_at": a_day_later + 86400,
    }


def test_a_ledger_outcome_is_cut_to_256_characters():
    assert keys.ledger_item("e1", "payment_source.created", "x" * 300, NOW)["outcome"] == "x" * 256
