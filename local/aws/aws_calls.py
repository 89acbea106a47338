"""Record every AWS call a template function makes, for the IAM coverage check (`make test-iam`, tests/iam).

Only when the environment variable IAM_CALLS names a directory: botocore's `BaseClient._make_api_call` is then
wrapped in this process, and a call is recorded when a function of the template is running:
- in-process (`local.aws.functions.LocalFunction`, unit tests and in-process benchmarks): in the thread that
  imports the handler or runs `invoke`, and there only (`made_by`); what the tests call themselves around an
  invocation, in that thread or in others, is not the function's and is not recorded;
- in a worker process of the local stack (`local.aws.workers`): the whole process is one function's execution
  environment (`record_process_as`), as in Lambda. The local pollers, which do what the event source mappings do
  (SQS ReceiveMessage/DeleteMessage, stream reads), run in the stack's own process: not recorded (tests/iam checks
  the mappings' documented actions from the template instead).

Each call becomes one JSON line per IAM action and resource (a TransactWriteItems one per item, as PutItem,
UpdateItem, DeleteItem or ConditionCheckItem; a PutEvents one per event bus):
    {"function": "NotifyActiveFunction", "action": "dynamodb:GetItem",
     "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/lean-local-Table",
     "leading_keys": ["CUSTOMER#..."], "call": "dynamodb.GetItem", "test": "tests/unit/...::test_x", "pid": 4242,
     "at": 1767225600.123}
`leading_keys` (DynamoDB item calls only: the partition-key values the call touches, what IAM's
`dynamodb:LeadingKeys` holds) is null when they cannot be told (a Scan); `test` is the pytest test of an in-process
call. Resources are ARNs built from the call's own parameters with this stack's region and account, so that moto
(unit tests) and DynamoDB Local (integration) give the same ones. A call is recorded whether AWS answered or
raised: either way it was asked for. Each process appends its distinct lines to its own file,
IAM_CALLS/calls-<pid>-<random>.jsonl, one write() per line (processes may run at once; a killed worker loses no
line it wrote).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ENV_VARIABLE = "IAM_CALLS"
ACCOUNT_ID = "123456789012"  # local.aws.resources.ACCOUNT_ID (not imported: it pulls the layer's models in)
REGION = "us-east-1"

_function: ContextVar[str] = ContextVar("aws_calls_function", default="")
_process_function = ""  # a worker process: every call of the process is this function's
_lock = threading.Lock()
_out: dict[str, Any] = {"pid": 0, "dir": None, "fd": -1, "seen": set()}


def directory() -> Path | None:
    """The directory calls are recorded in, or None (recording off)."""
    value = os.environ.get(ENV_VARIABLE, "").strip()
    return Path(value) if value else None


def install() -> bool:
    """Wrap botocore's `_make_api_call` (again if a test's monkeypatch put back an unwrapped one); False when
    IAM_CALLS is not set."""
    if directory() is None:
        return False
    from botocore.client import BaseClient

    with _lock:
        current = BaseClient._make_api_call
        if not getattr(current, "_records_iam_calls", False):
            BaseClient._make_api_call = _recording(current)
    return True


@contextmanager
def made_by(function: str) -> Iterator[None]:
    """Calls made in this thread inside the block are `function`'s (nothing is recorded when IAM_CALLS is unset)."""
    if not install():
        yield
        return
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


def record_process_as(function: str) -> None:
    """This process is `function`'s execution environment: every call it makes from now on is the function's."""
    global _process_function
    if install():
        _process_function = function


def _recording(original: Any) -> Any:
    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = _function.get() or _process_function
        if not function:
            return original(self, operation_name, api_params)
        response: Any = None
        try:
            response = original(self, operation_name, api_params)
            return response
        finally:
            _record(function, self, operation_name, api_params, response)

    _make_api_call._records_iam_calls = True  # type: ignore[attr-defined]
    return _make_api_call


def _record(function: str, client: Any, operation: str, params: dict[str, Any], response: Any) -> None:
    service = client.meta.service_model
    prefix = IAM_PREFIX.get(service.endpoint_prefix, service.signing_name or service.endpoint_prefix)
    test = (os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0] or None) if _function.get() else None
    try:
        described = describe(prefix, operation, params, response)
    except Exception:  # a request shape this recorder cannot read: kept, unnamed, so that the check asks about it
        described = [(f"{prefix}:{operation}", "*", _NOT_AN_ITEM_CALL)]
    for action, resource, keys in described:
        record: dict[str, Any] = {"function": function, "action": action, "resource": resource}
        if keys is not _NOT_AN_ITEM_CALL:
            record["leading_keys"] = keys
        record["call"] = f"{prefix}.{operation}"
        _write(record, test)


def _write(record: dict[str, Any], test: str | None) -> None:
    identity = json.dumps(record, sort_keys=True)
    target = directory()
    if target is None:
        return
    with _lock:
        if (_out["pid"], _out["dir"]) != (os.getpid(), target):  # this process's first call (or IAM_CALLS changed)
            if _out["pid"] == os.getpid():
                os.close(_out["fd"])
            target.mkdir(parents=True, exist_ok=True)
            path = target / f"calls-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            _out.update(pid=os.getpid(), dir=target, fd=fd, seen=set())
        if identity in _out["seen"]:
            return
        _out["seen"].add(identity)
        line = {**record, "test": test, "pid": os.getpid(), "at": round(time.time(), 3)}
        os.write(_out["fd"], (json.dumps(line) + "\n").encode())


# ---------- a call's IAM actions, resources and partition keys ----------

IAM_PREFIX = {"streams.dynamodb": "dynamodb"}  # otherwise the service's signing name is its IAM prefix
# SQS's batch actions are authorised as their single-message actions (SQS developer guide, "Amazon SQS API
# permissions: Actions and resource reference").
SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
TRANSACT_WRITES = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
ITEM_CALLS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"}
_NOT_AN_ITEM_CALL = object()


def describe(prefix: str, operation: str, params: dict[str, Any], response: Any = None) -> list[tuple[str, str, Any]]:
    """(IAM action, resource ARN, partition keys or None or _NOT_AN_ITEM_CALL) for each thing the call asks for."""
    if prefix == "dynamodb":
        return _dynamodb(operation, params)
    action = f"{prefix}:{operation}"
    if prefix == "sqs":
        action = f"sqs:{SQS_BATCHES.get(operation, operation)}"
        if params.get("QueueUrl"):
            return [(action, queue_arn(params["QueueUrl"]), _NOT_AN_ITEM_CALL)]
        if params.get("QueueName"):
            return [(action, _arn("sqs", params["QueueName"]), _NOT_AN_ITEM_CALL)]
    if prefix == "secretsmanager" and params.get("SecretId"):
        answered = response.get("ARN") if isinstance(response, dict) else None
        return [(action, local_arn(answered) if answered else secret_arn(params["SecretId"]), _NOT_AN_ITEM_CALL)]
    if prefix == "sns":
        target = params.get("TargetArn") or params.get("TopicArn") or params.get("EndpointArn")
        target = target or params.get("PlatformApplicationArn") or "*"
        return [(action, target, _NOT_AN_ITEM_CALL)]
    if prefix == "ssm":
        names = params.get("Names") or [params.get("Name") or params.get("Path") or ""]
        return [(action, parameter_arn(name), _NOT_AN_ITEM_CALL) for name in names]
    if prefix == "events" and operation == "PutEvents":
        buses = sorted({entry.get("EventBusName") or "default" for entry in params.get("Entries", [])})
        return [(action, event_bus_arn(bus), _NOT_AN_ITEM_CALL) for bus in buses]
    if prefix == "events" and params.get("EventBusName"):
        return [(action, event_bus_arn(params["EventBusName"]), _NOT_AN_ITEM_CALL)]
    return [(action, "*", _NOT_AN_ITEM_CALL)]  # not derived: only a grant on "*" allows it


def _dynamodb(operation: str, params: dict[str, Any]) -> list[tuple[str, str, Any]]:
    if operation == "TransactWriteItems":
        found = []
        for item in params.get("TransactItems", []):
            ((kind, body),) = item.items()
            keys = _partition_keys(body["TableName"], None, [body.get("Key") or body.get("Item") or {}])
            found.append((f"dynamodb:{TRANSACT_WRITES[kind]}", table_arn(body["TableName"]), keys))
        return found
    if operation == "TransactGetItems":
        return [
            (
                "dynamodb:GetItem",
                table_arn(i["Get"]["TableName"]),
                _partition_keys(i["Get"]["TableName"], None, [i["Get"]["Key"]]),
            )
            for i in params.get("TransactItems", [])
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        found = []
        for table, request in params.get("RequestItems", {}).items():
            if operation == "BatchGetItem":
                items = request.get("Keys", [])
            else:
                items = [
                    w.get("PutRequest", {}).get("Item") or w.get("DeleteRequest", {}).get("Key") or {} for w in request
                ]
            found.append((f"dynamodb:{operation}", table_arn(table), _partition_keys(table, None, items)))
        return found
    action = f"dynamodb:{operation}"
    table = params.get("TableName")
    if not table:
        arn = params.get("StreamArn") or params.get("ResourceArn")
        return [(action, local_arn(arn) if arn else "*", _NOT_AN_ITEM_CALL)]
    resource = table_arn(table) + (f"/index/{params['IndexName']}" if params.get("IndexName") else "")
    if operation not in ITEM_CALLS:
        return [(action, resource, _NOT_AN_ITEM_CALL)]
    if operation == "Query":
        return [(action, resource, _queried_keys(table, params))]
    if operation == "Scan":
        return [(action, resource, None)]
    return [(action, resource, _partition_keys(table, None, [params.get("Key") or params.get("Item") or {}]))]


def _queried_keys(table: str, params: dict[str, Any]) -> list[str] | None:
    """The partition-key value a Query's key condition names (`pk = :pk`), or None when it cannot be told."""
    attribute = partition_attribute(table, params.get("IndexName"))
    if attribute is None:
        return None
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for name, placeholder in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", params.get("KeyConditionExpression") or ""):
        if names.get(name, name) == attribute and placeholder in values:
            return [_scalar(values[placeholder])]
    legacy = (params.get("KeyConditions") or {}).get(attribute)
    if legacy and legacy.get("ComparisonOperator") == "EQ":
        return [_scalar(legacy["AttributeValueList"][0])]
    return None


def _partition_keys(table: str, index: str | None, items: list[dict[str, Any]]) -> list[str] | None:
    attribute = partition_attribute(table, index)
    if attribute is None or any(attribute not in item for item in items):
        return None
    return sorted({_scalar(item[attribute]) for item in items})


def _scalar(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)


@cache
def _key_schemas() -> dict[str, dict[str | None, str]]:
    """Logical id of each table of the template -> {None: its partition key, index name: the index's}."""
    from local.aws import template as tpl

    schemas = {}
    for logical_id, resource in tpl.of_type("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        hash_of = lambda schema: next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")  # noqa: E731
        schemas[logical_id] = {None: hash_of(props["KeySchema"])}
        for index in props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []):
            schemas[logical_id][index["IndexName"]] = hash_of(index["KeySchema"])
    return schemas


def partition_attribute(table: str, index: str | None = None) -> str | None:
    """The partition key of a table of the template (named `<prefix>-<logical id>`, or by ARN), or of its index."""
    name = table.rsplit("/", 1)[-1] if table.startswith("arn:") else table
    for logical_id, schema in _key_schemas().items():
        if name == logical_id or name.endswith(f"-{logical_id}"):
            return schema.get(index)
    return None


# ---------- ARNs in this stack's region and account ----------


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def local_arn(arn: str) -> str:
    """An ARN with this stack's region and account (DynamoDB Local answers `ddblocal` and 000000000000)."""
    parts = arn.split(":", 5)
    return ":".join([*parts[:3], REGION, ACCOUNT_ID, parts[5]]) if len(parts) == 6 else arn


def table_arn(table: str) -> str:
    return local_arn(table) if table.startswith("arn:") else _arn("dynamodb", f"table/{table}")


def queue_arn(queue_url: str) -> str:
    """The queue's ARN from its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or moto's)."""
    name = urlparse(queue_url).path.rstrip("/").rsplit("/", 1)[-1]
    return _arn("sqs", name)


def secret_arn(secret_id: str) -> str:
    """The secret's ARN as given, or the ARN of its name (without the suffix AWS adds: a name is not an ARN)."""
    return local_arn(secret_id) if secret_id.startswith("arn:") else _arn("secretsmanager", f"secret:{secret_id}")


def parameter_arn(name: str) -> str:
    return local_arn(name) if name.startswith("arn:") else _arn("ssm", f"parameter/{name.lstrip('/')}")


def event_bus_arn(bus: str) -> str:
    return local_arn(bus) if bus.startswith("arn:") else _arn("events", f"event-bus/{bus}")
