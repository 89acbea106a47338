"""The erasure guard: a write of what Lean said at `read_at` about a customer never stores anything once that
customer's erasure has begun, unless the read came after the erasure finished.

A condition expression sees only the item it writes, so the guard has two halves (`Table` applies them to a write
given `guard=`):
- a write to an item that exists conditions on `attribute_exists(pk)`: the erasure deletes every item of the
  customer after writing its record, and an item it deleted cannot come back through an update;
- a write that creates an item is a TransactWriteItems of the write (`attribute_not_exists(pk)`) and a
  ConditionCheck on the customer's erasure record (`REFUSE_UNLESS`).
The first is tried first, with ReturnValuesOnConditionCheckFailure=ALL_OLD: a failed condition that returns no
item means there is none, without an extra read. An item most likely new (a push claim, an item a read just found
absent) is created first instead, which saves that refused write; an item that exists after all refuses the
creation (its own refusal wins over the guard's) and takes the write of an existing item. TransactWriteItems are
serializable with the erasure's own single-item writes, so the check and the record cannot interleave.
AWS: TransactWriteItems, ConditionCheck and ReturnValuesOnConditionCheckFailure in the DynamoDB API reference
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html); isolation
(serializable between transactions and standard writes) and capacity (each item of a transaction is two
underlying operations, prepare and commit) in "Amazon DynamoDB Transactions: How it works"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html). bench/cost.py prices the
ConditionCheck as a 1 KB transactional write (2 WRU), the upper of the two readings of that page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lean_webhooks.adapters.dynamodb.keys import ERASURE, customer_pk
from lean_webhooks.models.timestamps import iso

# the record is absent, or its erasure finished before the read (`iso` stamps sort as text)
REFUSE_UNLESS = "attribute_not_exists(pk) OR completed_at < :guard_read_at"


@dataclass(frozen=True)
class ErasureGuard:
    """The customer a write is about, and when Lean said what it stores (taken before the call to Lean)."""

    customer_id: str
    read_at: datetime

    def condition_check(self) -> dict[str, Any]:
        """The ConditionCheck entry of a creating transaction (the table's name is added by `Table.transact`)."""
        return {
            "ConditionCheck": {
                "Key": {"pk": {"S": customer_pk(self.customer_id)}, "sk": {"S": ERASURE}},
                "ConditionExpression": REFUSE_UNLESS,
                "ExpressionAttributeValues": {":guard_read_at": {"S": iso(self.read_at)}},
            }
        }


def guard_of(customer_id: str, read_at: datetime | None) -> ErasureGuard | None:
    """The guard of a write carrying a Lean read made at `read_at`; None (no guard) when the write carries none."""
    return None if read_at is None else ErasureGuard(customer_id, read_at)
