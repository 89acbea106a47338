"""Write plans as DynamoDB conditional writes: every condition the core can state means in DynamoDB (moto) what
`holds` says it means, which is what the tests' in-memory table evaluates; and a plan sets, keeps and removes what
it says."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lean_webhooks.adapters.dynamodb.plans import render
from lean_webhooks.adapters.dynamodb.table import Table, key
from lean_webhooks.models.write_plan import (
    AllOf,
    AnyOf,
    AtMost,
    Differs,
    Equals,
    Exists,
    In,
    ItemExists,
    Not,
    WritePlan,
    holds,
)

NAMES = ("status", "flag", "at")  # `status` is one of DynamoDB's reserved words
VALUES = {"status": st.sampled_from(["ACTIVE", "REMOVED"]), "flag": st.booleans(), "at": st.sampled_from(["1", "2"])}
ITEM_KEY = key("CUSTOMER#c1", "PAYMENT_SOURCE#p1#BENEFICIARY#b1")

names = st.sampled_from(NAMES)
leaves = st.one_of(
    st.just(ItemExists()),
    names.map(Exists),
    names.flatmap(lambda n: VALUES[n].map(lambda v: Equals(n, v))),
    names.flatmap(lambda n: st.lists(VALUES[n], min_size=1, max_size=2).map(lambda vs: In(n, tuple(vs)))),
    st.sampled_from(["1", "2"]).map(lambda v: AtMost("at", v)),
    names.flatmap(lambda n: VALUES[n].map(lambda v: Differs(n, v))),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: AnyOf(tuple(ps))),
        st.lists(inner, min_size=1, max_size=3).map(lambda ps: AllOf(tuple(ps))),
    ),
    max_leaves=6,
)
items = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={n: VALUES[n] for n in NAMES}),
)


def table(aws: dict[str, Any]) -> Table:
    return Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=conditions, item=items)
def test_every_condition_means_in_dynamodb_what_holds_says(aws, condition, item):
    store = table(aws)
    store.delete(ITEM_KEY)
    if item is not None:
        store.put({"pk": ITEM_KEY["pk"]["S"], "sk": ITEM_KEY["sk"]["S"], **item})
    plan = WritePlan(condition, sets={"written": True})
    written, refused_by = store.write_or_old(render(plan, ITEM_KEY))
    stored = None if item is None else {"pk": ITEM_KEY["pk"]["S"], "sk": ITEM_KEY["sk"]["S"], **item}
    assert written is holds(plan.condition, stored)
    assert refused_by == (None if written else stored)


def test_a_plan_sets_keeps_removes_and_stamps(aws):
    store = table(aws)
    store.put({"pk": ITEM_KEY["pk"]["S"], "sk": ITEM_KEY["sk"]["S"], "kept": "old", "gone": 1, "status": "A"})
    plan = WritePlan(
        Equals("status", "A"),
        {"status": "B"},
        keeps={"kept": "new", "added": "new"},
        removes=("gone",),
        stamps={"at": "1"},
    )
    assert store.write_or_old(render(plan, ITEM_KEY)) == (True, None)
    assert store.get(ITEM_KEY) == {
        "pk": ITEM_KEY["pk"]["S"],
        "sk": ITEM_KEY["sk"]["S"],
        "kept": "old",
        "added": "new",
        "status": "B",
        "at": "1",
    }
    written, refused_by = store.write_or_old(render(plan, ITEM_KEY))  # status is B now: refused, with the item
    assert not written and refused_by is not None and refused_by["status"] == "B"
