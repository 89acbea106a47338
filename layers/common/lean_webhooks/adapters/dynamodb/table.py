"""The table: (de)serialisation of its items and the one way into DynamoDB. Its keys and shared item shapes are in
`keys.py`, re-exported here for the adapters."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from lean_webhooks.adapters.aws import client, error_code
from lean_webhooks.adapters.dynamodb.keys import customer_pk
from lean_webhooks.models.errors import CustomerErased

if TYPE_CHECKING:
    from lean_webhooks.adapters.dynamodb.erasures import ErasureGuard

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain Python values to DynamoDB attribute values (floats become Decimals; None is dropped)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in data.items() if v is not None}


def to_values(data: dict[str, Any]) -> dict[str, Any]:
    """Expression attribute values (`:name` keys), serialised."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in data.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values to plain Python (Decimals become int or float)."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


CONDITION_FAILED = "ConditionalCheckFailedException"
BATCH_GET_MAX = 100  # DynamoDB's BatchGetItem limit


class Table:
    """The one way into DynamoDB: the table's name, its client, and reads and writes in plain Python.
    Conditional writes say whether their condition held instead of raising."""

    def __init__(self, name: str, dynamodb: Any = None):
        self.name = name
        self._dynamodb = dynamodb or client("dynamodb")

    def get(self, item_key: dict[str, Any], consistent: bool = True, projection: str | None = None) -> dict | None:
        """GetItem: the item as plain Python, or None."""
        extra: dict[str, Any] = {"ProjectionExpression": projection} if projection else {}
        item = self._dynamodb.get_item(TableName=self.name, Key=item_key, ConsistentRead=consistent, **extra).get(
            "Item"
        )
        return from_item(item) if item else None

    def put(self, item: dict[str, Any]) -> None:
        """PutItem without a condition."""
        self._dynamodb.put_item(TableName=self.name, Item=to_item(item))

    def update(self, item_key: dict[str, Any], update: str, **kwargs: Any) -> None:
        """UpdateItem without a condition."""
        self._dynamodb.update_item(TableName=self.name, Key=item_key, UpdateExpression=update, **kwargs)

    def delete(self, item_key: dict[str, Any]) -> dict[str, Any] | None:
        """DeleteItem; returns what was stored, or None."""
        old = self._dynamodb.delete_item(TableName=self.name, Key=item_key, ReturnValues="ALL_OLD").get("Attributes")
        return from_item(old) if old else None

    def put_if(self, item: dict[str, Any], condition: str, guard: ErasureGuard | None = None, **kwargs: Any) -> bool:
        """PutItem under `condition`; False (nothing written) when the condition did not hold. With an erasure
        `guard`, raises `CustomerErased` (nothing written) when the guard refuses."""
        if guard is not None:
            return self._guarded(guard, condition, {"Item": to_item(item), **kwargs})[0]
        return self._conditional(self._dynamodb.put_item, Item=to_item(item), ConditionExpression=condition, **kwargs)

    def replace_if(
        self,
        item: dict[str, Any],
        condition: str,
        guard: ErasureGuard | None = None,
        *,
        create_first: bool = False,
        token: str | None = None,
        **kwargs: Any,
    ) -> tuple[bool, dict[str, Any] | None]:
        """PutItem under `condition`: (written, the item it replaced or None); `guard` as in `put_if`. `create_first`
        (with the write's own `token`) when the item is most likely new (see `_guarded`)."""
        if guard is not None:
            body = {"Item": to_item(item), "ReturnValues": "ALL_OLD", **kwargs}
            written, old = self._guarded(guard, condition, body, create_first, token)
            return written, from_item(old) if old else None
        try:
            answer = self._dynamodb.put_item(
                TableName=self.name, Item=to_item(item), ConditionExpression=condition, ReturnValues="ALL_OLD", **kwargs
            )
        except Exception as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False, None
            raise
        old = answer.get("Attributes")
        return True, from_item(old) if old else None

    def write_or_old(self, request: dict[str, Any], put: bool = False) -> tuple[bool, dict[str, Any] | None]:
        """UpdateItem (PutItem when `put`) under the request's ConditionExpression: (True, None) when made, else
        (False, the stored item that refused it, or None). A refused write's item costs no read capacity (API
        Reference, UpdateItem: ReturnValuesOnConditionCheckFailure)."""
        call = self._dynamodb.put_item if put else self._dynamodb.update_item
        try:
            call(TableName=self.name, ReturnValuesOnConditionCheckFailure="ALL_OLD", **request)
        except Exception as exc:
            if error_code(exc) == CONDITION_FAILED:
                item = exc.response.get("Item")  # type: ignore[attr-defined]
                return False, from_item(item) if item else None
            raise
        return True, None

    def create_guarded(
        self, request: dict[str, Any], guard: ErasureGuard, put: bool = False, token: str | None = None
    ) -> bool:
        """Create an item (the request's ConditionExpression must require its absence) in one transaction with the
        erasure guard's ConditionCheck (adapters/dynamodb/erasures.py): True when made; False when the item's own
        condition failed (it exists: the caller writes it as an existing item, which the guard never refuses);
        raises `CustomerErased` (nothing written) when only the guard refused. `token` (ClientRequestToken) makes a
        retried transaction that had succeeded answer success instead of finding its own item."""
        extra = {"ClientRequestToken": token} if token else {}
        failed = self._transact_failures([{"Put" if put else "Update": request}, guard.condition_check()], **extra)
        if 0 in failed:
            return False
        if 1 in failed:
            raise CustomerErased(f"an erasure of the customer refuses a write of a read made at {guard.read_at}")
        return True

    def update_if(self, item_key: dict[str, Any], update: str, condition: str, **kwargs: Any) -> bool:
        """UpdateItem under `condition`; False (nothing written) when the condition did not hold."""
        return self._conditional(
            self._dynamodb.update_item, Key=item_key, UpdateExpression=update, ConditionExpression=condition, **kwargs
        )

    def delete_if(self, item_key: dict[str, Any], condition: str, **kwargs: Any) -> bool:
        """DeleteItem under `condition`; False (nothing deleted) when the condition did not hold."""
        return self._conditional(self._dynamodb.delete_item, Key=item_key, ConditionExpression=condition, **kwargs)

    def transact(self, writes: list[dict[str, Any]]) -> bool:
        """TransactWriteItems of `{"Put"|"Delete"|"Update": {...}}` entries (this table's name added to each);
        False when a condition failed and nothing was written."""
        items = [{kind: {"TableName": self.name, **body} for kind, body in write.items()} for write in writes]
        try:
            self._dynamodb.transact_write_items(TransactItems=items)
        except Exception as exc:
            if error_code(exc) == "TransactionCanceledException":
                return False
            raise
        return True

    def _guarded(
        self,
        guard: ErasureGuard,
        condition: str,
        body: dict[str, Any],
        create_first: bool = False,
        token: str | None = None,
    ) -> tuple[bool, dict[str, Any] | None]:
        """A PutItem under `condition` and the erasure guard (adapters/dynamodb/erasures.py): first as a write of an
        existing item, then, if there is none, created with the guard's check (`create_guarded`). `create_first`
        (an item most likely new) tries the creation first, under `token` (a retry of a creation that had succeeded
        then answers success), and saves the refused write of an absent item; an item that exists after all refuses
        it, and the usual order follows. Returns (written, the replaced item as DynamoDB gave it, when asked with
        ReturnValues=ALL_OLD)."""
        create = f"({condition}) AND attribute_not_exists(pk)" if condition else "attribute_not_exists(pk)"
        write = {k: v for k, v in body.items() if k != "ReturnValues"} | {"ConditionExpression": create}
        if create_first and self.create_guarded(write, guard, put=True, token=token):
            return True, None
        for _ in range(3):  # an item created or deleted between the two steps: the first step again
            try:
                answer = self._dynamodb.put_item(
                    TableName=self.name,
                    ConditionExpression=f"({condition}) AND attribute_exists(pk)"
                    if condition
                    else "attribute_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **body,
                )
                return True, answer.get("Attributes")
            except Exception as exc:
                if error_code(exc) != CONDITION_FAILED:
                    raise
                if getattr(exc, "response", {}).get("Item"):
                    return False, None  # the item exists and its own condition did not hold
            if self.create_guarded(write, guard, put=True):
                return True, None
        return False, None

    def _transact_failures(self, writes: list[dict[str, Any]], **kwargs: Any) -> set[int]:
        """TransactWriteItems: the positions of the entries whose condition failed (empty: all written)."""
        items = [{kind: {"TableName": self.name, **body} for kind, body in write.items()} for write in writes]
        try:
            self._dynamodb.transact_write_items(TransactItems=items, **kwargs)
        except Exception as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
            failed = {i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}
            if not failed:
                raise  # cancelled for another reason (a conflicting transaction, throttling): the caller retries
            return failed
        return set()

    def batch_get(self, keys: list[dict[str, Any]], projection: str) -> list[dict[str, Any]]:
        """BatchGetItem of any number of keys (100 a request, unprocessed keys asked again), as plain Python."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_MAX):
            request: dict[str, Any] = {
                self.name: {"Keys": keys[start : start + BATCH_GET_MAX], "ProjectionExpression": projection}
            }
            while request:
                answer = self._dynamodb.batch_get_item(RequestItems=request)
                found.extend(from_item(i) for i in answer.get("Responses", {}).get(self.name, []))
                request = answer.get("UnprocessedKeys") or {}
        return found

    def _conditional(self, call: Any, **kwargs: Any) -> bool:
        try:
            call(TableName=self.name, **kwargs)
        except Exception as exc:
            if error_code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    def query_customer(self, customer_id: str, sk_prefix: str = "") -> list[dict[str, Any]]:
        """Every item of the customer whose sort key starts with `sk_prefix` (all pages, consistent read)."""
        if not sk_prefix:
            return self.query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_values({":pk": customer_pk(customer_id)}),
                ConsistentRead=True,
            )
        return self.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_values({":pk": customer_pk(customer_id), ":prefix": sk_prefix}),
            ConsistentRead=True,
        )

    def query(self, limit: int | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a Query, page after page (at most `limit`), as plain Python."""
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            page = self._dynamodb.query(
                TableName=self.name, **kwargs, **({} if limit is None else {"Limit": limit - len(items)})
            )
            items.extend(from_item(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items
