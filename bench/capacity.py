"""DynamoDB on-demand request units of the calls a flow makes, from the items' real sizes before and after each
write (moto reports a fixed figure): what AWS bills, by its published sizing rules.

- Writes: 1 WRU per KB of the larger of the item before and after; a write whose condition failed (a write rule
  refused it, or it would have changed nothing) still costs 1 WRU per KB of the stored item, at least 1, and writes
  no index (Developer Guide, "DynamoDB read and write operations": a failed conditional write consumes write units
  by the item's size); a write that puts an item into or takes it out of a global secondary index costs 1 WRU per
  KB of its index entry (the keys and the attributes the template projects) again, a delete plus a put when the
  index key changes, and nothing when neither the index keys nor a projected attribute change (DynamoDB developer
  guide, "Global secondary indexes", GSI.html#GSI.Writes); a transaction costs twice.
- Reads: 1 RRU per 4 KB read with strong consistency, half that eventually consistent, sized on the whole item
  whatever the ProjectionExpression asks for; a Query by the total size of the items it reads (an index's entries
  for an index Query), before any FilterExpression (DynamoDB developer guide, "Read consumption for Query": "the
  sum of all items read", and "Item sizes and formats").
- Storage: each item's size plus 100 bytes of overhead, and each of its index entries (the index keys, the table's
  keys and the projected attributes) plus 100 bytes (DynamoDB developer guide, "Item sizes and formats";
  GSI.html#GSI.StorageConsiderations).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from local.aws import template as tpl

WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def _indexes() -> list[tuple[tuple[str, ...], set[str] | None]]:
    """Each index of the template's table: its key attributes, and what it projects besides (None: everything)."""
    table = tpl.load()["Resources"]["Table"]["Properties"]
    found = []
    for index in table.get("GlobalSecondaryIndexes", []):
        keys = tuple(k["AttributeName"] for k in index["KeySchema"])
        projection = index["Projection"]
        projected = None if projection["ProjectionType"] == "ALL" else set(projection.get("NonKeyAttributes", []))
        found.append((keys, projected))
    return found


INDEXES = _indexes()
INDEX_BY_NAME = {  # the template's index names, in the order _indexes() reads them
    index["IndexName"]: found
    for index, found in zip(
        tpl.load()["Resources"]["Table"]["Properties"].get("GlobalSecondaryIndexes", []), INDEXES, strict=True
    )
}
_NARROWING = ("ProjectionExpression", "FilterExpression", "Select")  # what does not lower a Query's read units
STORAGE_OVERHEAD_BYTES = 100  # per item and per index entry


def stored_bytes(item: dict[str, Any]) -> int:
    """Billable storage of one item: its size plus the overhead, and each index entry it has plus the overhead."""
    total = item_size(item) + STORAGE_OVERHEAD_BYTES
    for keys, projected in INDEXES:
        entry = _entry(item, keys, projected)
        if entry is not None:
            total += item_size(entry) + STORAGE_OVERHEAD_BYTES
    return total


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item in DynamoDB's sizing: attribute names plus values (numbers ~1 byte per 2 digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.strip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "B":
        return len(inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    return sum(len(str(v)) for v in inner)  # sets


def _kb(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def write_units(old: dict[str, Any] | None, new: dict[str, Any] | None, failed: bool = False) -> float:
    """WRU of one write that turned `old` into `new` (either None when absent)."""
    if failed:
        return float(_kb(item_size(old)))
    units = _kb(max(item_size(old), item_size(new)))
    for keys, projected in INDEXES:
        before, after = _entry(old, keys, projected), _entry(new, keys, projected)
        if before == after:
            continue  # not in the index, or nothing it holds changed: no index write
        if before is not None and after is not None and any(before[k] != after[k] for k in keys):
            units += _kb(item_size(before)) + _kb(item_size(after))  # the index key changed: a delete and a put
        else:
            units += _kb(max(item_size(before), item_size(after)))
    return float(units)


def _entry(item: dict[str, Any] | None, keys: tuple[str, ...], projected: set[str] | None) -> dict[str, Any] | None:
    """The item's entry in one index (None when it lacks an index key): keys and projected attributes."""
    if item is None or any(k not in item for k in keys):
        return None
    if projected is None:
        return dict(item)
    return {k: v for k, v in item.items() if k in keys or k in ("pk", "sk") or k in projected}


def read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    total = sum(item_size(i) for i in items)
    return max(1, math.ceil(total / 4096)) * (1.0 if consistent else 0.5)


class Meter:
    """Wraps botocore's `_make_api_call` for DynamoDB: reads each written item before and after (uncounted) and
    adds up the request units of every call."""

    def __init__(self, real: Callable[..., Any]):
        self.real = real
        self.wru = 0.0
        self.rru = 0.0
        self.lines: list[str] = []

    def _get(self, client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        answer = self.real(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return answer.get("Item")

    def call(self, client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in WRITES:
            key = params.get("Key") or {k: params["Item"][k] for k in ("pk", "sk")}
            old = self._get(client, params["TableName"], key)
            try:
                answer = self.real(client, operation, params)
            except Exception as exc:
                if "ConditionalCheckFailed" in type(exc).__name__ or "ConditionalCheckFailed" in str(exc):
                    self._add_write(operation, write_units(old, None, failed=True), "condition failed")
                raise
            self._add_write(operation, write_units(old, self._get(client, params["TableName"], key)), key["sk"]["S"])
            return answer
        if operation == "TransactWriteItems":
            answer = self.real(client, operation, params)
            for entry in params["TransactItems"]:
                (kind, body), *_ = entry.items()
                key = body.get("Key") or {k: body["Item"][k] for k in ("pk", "sk")}
                new = self._get(client, body["TableName"], key)
                self._add_write(f"Transact{kind}", 2 * write_units(None, new or body.get("Item")), key["sk"]["S"])
            return answer
        answer = self.real(client, operation, params)
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            item = answer.get("Item", {})
            if item and "ProjectionExpression" in params:  # billed on the whole item, not on the answer
                item = self._get(client, params["TableName"], params["Key"]) or item
            self._add_read(operation, read_units([item], consistent))
        elif operation == "Query":
            self._add_read(operation, read_units(self._query_read(client, params, answer), consistent))
        elif operation == "BatchGetItem":
            for table, items in answer.get("Responses", {}).items():
                if items and "ProjectionExpression" in params["RequestItems"][table]:
                    keys = params["RequestItems"][table]["Keys"]
                    items = [i for i in (self._get(client, table, k) for k in keys) if i is not None]
                self._add_read(operation, sum(read_units([i], False) for i in items) if items else 0.5)
        return answer

    def _query_read(self, client: Any, params: dict[str, Any], answer: dict[str, Any]) -> list[dict[str, Any]]:
        """The items a Query reads, as AWS sizes them: whole items (an index's entries for an index Query), before
        any projection or filter. The same page is asked again without them (uncounted)."""
        items = answer.get("Items", [])
        if any(k in params for k in _NARROWING):
            again = {k: v for k, v in params.items() if k not in _NARROWING}
            used = set(re.findall(r"[#:][A-Za-z0-9_]+", again.get("KeyConditionExpression", "")))
            for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
                kept = {k: v for k, v in params.get(field, {}).items() if k in used}
                again.pop(field, None)
                if kept:
                    again[field] = kept
            items = self.real(client, "Query", again).get("Items", [])  # an index answers with its entries
        return items

    def _add_write(self, operation: str, units: float, what: str) -> None:
        self.wru += units
        parts = what.split("#")
        self.lines.append(f"{operation} {'BENEFICIARY' if 'BENEFICIARY' in parts else parts[0]}: {units:g} WRU")

    def _add_read(self, operation: str, units: float) -> None:
        self.rru += units
        self.lines.append(f"{operation}: {units:g} RRU")
