"""Write plans (`models.write_plan`, decided by the core's write rules) carried out as DynamoDB conditional writes:
each plan rendered as one UpdateItem (or PutItem) whose ConditionExpression is the plan's condition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lean_webhooks.adapters.dynamodb.keys import stored_plan
from lean_webhooks.adapters.dynamodb.table import Table, to_item, to_values
from lean_webhooks.models.write_plan import (
    AllOf,
    AnyOf,
    AtMost,
    Condition,
    Differs,
    Equals,
    Exists,
    In,
    ItemExists,
    Not,
    WritePlan,
    holds,
    names,
)

if TYPE_CHECKING:
    from lean_webhooks.adapters.dynamodb.erasures import ErasureGuard

UNREAD = object()  # the stored item is not known


class _Expression:
    """Placeholders for the names and values of one request's expressions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        for placeholder, known in self.names.items():
            if known == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def condition(self, condition: Condition) -> str:
        return self._condition(condition)[0]

    def _condition(self, condition: Condition) -> tuple[str, str]:
        """The condition's text and its operator (`OR`, `AND`, `NOT`, or "" for a comparison or function), with
        parentheses only where DynamoDB's precedence (NOT, then AND, then OR) needs them: it refuses others."""
        match condition:
            case ItemExists():
                return "attribute_exists(pk)", ""
            case Exists(name):
                return f"attribute_exists({self.name(name)})", ""
            case Equals(name, value):
                return f"{self.name(name)} = {self.value(value)}", ""
            case In(name, values):
                return f"{self.name(name)} IN ({', '.join(self.value(v) for v in values)})", ""
            case AtMost(name, value):
                return f"{self.name(name)} <= {self.value(value)}", ""
            case Differs(name, value):
                attribute = self.name(name)
                return f"attribute_not_exists({attribute}) OR {attribute} <> {self.value(value)}", "OR"
            case Not(inner):
                return f"NOT {self._operand(inner, ('OR', 'AND', 'NOT'))}", "NOT"
            case AnyOf(parts) | AllOf(parts) if len(parts) == 1:
                return self._condition(parts[0])
            case AnyOf(parts):
                return " OR ".join(self._operand(p, ()) for p in parts), "OR"
            case AllOf(parts):
                return " AND ".join(self._operand(p, ("OR",)) for p in parts), "AND"
        raise TypeError(f"not a condition: {condition!r}")

    def _operand(self, condition: Condition, weaker: tuple[str, ...]) -> str:
        text, operator = self._condition(condition)
        return f"({text})" if operator in weaker else text

    def update(self, plan: WritePlan) -> str:
        sets = [f"{self.name(n)} = {self.value(v)}" for n, v in {**plan.sets, **plan.stamps}.items()]
        sets += [f"{self.name(n)} = if_not_exists({self.name(n)}, {self.value(v)})" for n, v in plan.keeps.items()]
        update = "SET " + ", ".join(sets)
        return update + (" REMOVE " + ", ".join(self.name(n) for n in plan.removes) if plan.removes else "")


def render(plan: WritePlan, item_key: dict[str, Any]) -> dict[str, Any]:
    """The PutItem (`replace`) or UpdateItem parameters of a plan in the table's attribute names."""
    expression = _Expression()
    condition = expression.condition(plan.condition)
    if plan.replace:
        keys = {k: v["S"] for k, v in item_key.items()}
        request: dict[str, Any] = {"Item": to_item({**keys, **plan.sets, **plan.stamps})}
    else:
        request = {"Key": item_key, "UpdateExpression": expression.update(plan)}
    request["ConditionExpression"] = condition
    if expression.names:
        request["ExpressionAttributeNames"] = expression.names
    if expression.values:
        request["ExpressionAttributeValues"] = to_values(expression.values)
    return request


def write_first(
    table: Table,
    item_key: dict[str, Any],
    entity: str,
    plans: Sequence[WritePlan],
    guard: ErasureGuard | None = None,
) -> bool:
    """Make the first plan whose condition the stored item meets; False when none does (nothing written).

    A refused write answers with the item that refused it (at no extra cost), so a later plan is sent only when
    that item meets its condition: a write that changes nothing costs one refused write, whatever the plans. With an
    erasure `guard` (a write of a Lean read), a plan writes only an existing item, or creates one together with the
    guard's check (`_write_guarded`), and raises `CustomerErased` when the guard refuses."""
    stored: Any = UNREAD
    for plan in (stored_plan(p, entity) for p in plans):
        if stored is not UNREAD and not holds(plan.condition, stored):
            continue
        if plan.look_first and stored is UNREAD:
            projection = ", ".join(sorted({"pk", *names(plan.condition)}))
            stored = table.get(item_key, consistent=False, projection=projection)
            if not holds(plan.condition, stored):
                continue
        if guard is None:
            written, stored = table.write_or_old(render(plan, item_key), put=plan.replace)
        else:
            written, stored = _write_guarded(table, item_key, plan, guard, create_first=stored is None)
        if written:
            return True
    return False


def _write_guarded(
    table: Table, item_key: dict[str, Any], plan: WritePlan, guard: ErasureGuard, create_first: bool = False
) -> tuple[bool, Any]:
    """The plan on an existing item only (an item an erasure deleted cannot come back through it); when there is
    none and the plan may create it, a creating transaction with the erasure guard's ConditionCheck. `create_first`
    (a read just found no item) tries the creation first: it saves the refused write of an absent item, and an item
    that exists after all refuses it. Returns (written, the stored item that refused it, None when there is none,
    or UNREAD)."""
    absent = Not(ItemExists())
    creating = replace(plan, when=AllOf((plan.when, absent)) if plan.when else absent)
    if (
        create_first
        and holds(plan.condition, None)
        and table.create_guarded(render(creating, item_key), guard, put=plan.replace)
    ):
        return True, None
    for _ in range(3):  # an item created or deleted between the two steps: the first step again
        existing = replace(plan, when=AllOf((plan.when, ItemExists())) if plan.when else ItemExists())
        written, stored = table.write_or_old(render(existing, item_key), put=plan.replace)
        if written or stored is not None:
            return written, stored
        if not holds(plan.condition, None):
            return False, None
        if table.create_guarded(render(creating, item_key), guard, put=plan.replace):
            return True, None
    return False, UNREAD
