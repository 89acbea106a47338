"""The bench's DynamoDB capacity rules, as AWS bills them: an index key change is a delete and a put in the index,
an update that changes no index key and no projected attribute writes nothing to it, and a read is billed on the
whole item (an index's entry for an index Query) whatever its ProjectionExpression asks for."""

from __future__ import annotations

from typing import Any

import botocore.client

from bench import capacity
from bench.capacity import INDEX_BY_NAME, Meter, item_size, stored_bytes, write_units

KEYS, PROJECTED = INDEX_BY_NAME["AwaitingCoolOff"]
BIG = "x" * 6000  # beyond 4 KB: one strongly consistent read of the whole item is 2 RRU


def beneficiary(**extra: str) -> dict[str, Any]:
    """A beneficiary in the recovery index, with `extra` string attributes."""
    item = {
        "pk": "CUSTOMER#c1",
        "sk": "PAYMENT_SOURCE#p1#BENEFICIARY#b1",
        "gsi1pk": "AWAITING_COOL_OFF",
        "gsi1sk": "2030-01-01T00:00:00Z#b1",
        "status": "AWAITING_BENEFICIARY_COOL_OFF",
        "updated_at": "2030-01-01T00:00:00Z",
        **extra,
    }
    return {k: {"S": v} for k, v in item.items()}


def test_the_recovery_index_projects_status_and_not_the_audit_fields() -> None:
    assert "status" in PROJECTED and "updated_at" not in PROJECTED  # what the tests below rely on


def test_an_index_sort_key_change_is_a_delete_and_a_put_in_the_index() -> None:
    old = beneficiary()
    new = beneficiary(gsi1sk="2030-01-02T00:00:00Z#b1")
    assert write_units(old, new) == 3.0  # the item, the old entry deleted, the new entry put


def test_an_update_of_an_attribute_the_index_does_not_carry_writes_nothing_to_it() -> None:
    assert write_units(beneficiary(), beneficiary(updated_at="2030-01-03T00:00:00Z")) == 1.0


def test_a_projected_attribute_change_rewrites_the_entry_once() -> None:
    assert write_units(beneficiary(), beneficiary(status="ACTIVE")) == 2.0


def test_storage_counts_the_item_and_its_index_entry_each_with_the_overhead() -> None:
    item = beneficiary(updated_at="2030-01-03T00:00:00Z")
    entry = {k: v for k, v in item.items() if k in (*KEYS, "pk", "sk") or k in PROJECTED}
    assert stored_bytes(item) == item_size(item) + 100 + item_size(entry) + 100
    outside = {k: v for k, v in item.items() if k not in KEYS}
    assert stored_bytes(outside) == item_size(outside) + 100


def _meter(aws: dict[str, Any]) -> tuple[Meter, Any, str]:
    client, table = aws["clients"]["dynamodb"], aws["refs"]["Table"]
    client.put_item(TableName=table, Item=beneficiary(notes=BIG))
    return Meter(botocore.client.BaseClient._make_api_call), client, table


def test_a_get_with_a_projection_is_billed_on_the_whole_item(aws: dict[str, Any]) -> None:
    meter, client, table = _meter(aws)
    key = {k: v for k, v in beneficiary().items() if k in ("pk", "sk")}
    meter.call(
        client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True, "ProjectionExpression": "gsi1pk"}
    )
    assert meter.rru == 2.0


def test_a_query_with_a_projection_is_billed_on_the_whole_items(aws: dict[str, Any]) -> None:
    meter, client, table = _meter(aws)
    params = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "CUSTOMER#c1"}},
        "ExpressionAttributeNames": {"#s": "status"},
        "ProjectionExpression": "#s",
        "ConsistentRead": True,
    }
    meter.call(client, "Query", params)
    assert meter.rru == 2.0


def test_an_index_query_is_billed_on_the_index_entries(aws: dict[str, Any]) -> None:
    meter, client, table = _meter(aws)
    params = {
        "TableName": table,
        "IndexName": "AwaitingCoolOff",
        "KeyConditionExpression": "gsi1pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "AWAITING_COOL_OFF"}},
        "ProjectionExpression": "gsi1pk",
    }
    meter.call(client, "Query", params)
    assert meter.rru == 0.5  # the 6 KB attribute is not in the index: the entry is well under 4 KB


def test_the_capacity_module_reads_its_indexes_from_the_template() -> None:
    assert set(INDEX_BY_NAME) == {"AwaitingCoolOff", "RecentActivations"}
    assert len(capacity.INDEXES) == 2
