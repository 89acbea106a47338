"""Cold start: init *plus the first request* of each function, in fresh processes, against a floor process that
imports boto3, creates the same clients and makes the same AWS calls (and, for the sync, the same Lean GET).
A lazy import cannot hide its cost: whatever the first request loads is measured.

Both run against one moto server and the Lean simulator, started here. Pairs (ours, floor) are interleaved,
their order alternating, and the figure is the median of the per-pair ratios: machine noise hits both alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import libraries
from bench.stats import median

SECRET = "bench-webhook-secret"  # noqa: S105 - a local value
TARGETS = {
    "WebhookFunction": 1.4,
    "SyncPaymentSourceFunction": 1.5,
    "NotifyActiveFunction": 1.3,
    "PublishDomainEventsFunction": 1.35,
    "CustomerApiFunction": 1.5,
    "RecoverCoolOffFunction": 1.5,
}

# The snippet of a measured process: `{setup}` runs before the clock starts (the event, a context object).
_OURS = """
import json, os, sys, time
os.environ.update(json.loads({env!r}))
event = json.loads(open({event_file!r}).read())["event"]
class Context:
    function_name = {name!r}; memory_limit_in_mb = 512; function_version = "1"; log_group_name = ""
    log_stream_name = ""; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + {name!r}
    def __init__(self): self._end = time.monotonic() + {timeout}
    def get_remaining_time_in_millis(self): return int((self._end - time.monotonic()) * 1000)
t0 = time.perf_counter()
sys.path.insert(0, {layer!r})
import importlib.util
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = module.lambda_handler(event, Context())
elapsed = time.perf_counter() - t0
{probe}
sys.stderr.write(json.dumps(result, default=str) + "\\n")
print(elapsed)
"""
_FLOOR = """
import json, os, sys, time
os.environ.update(json.loads({env!r}))
args = json.loads(open({event_file!r}).read())["floor"]
t0 = time.perf_counter()
import boto3
session = boto3.session.Session()
c = {{name: session.client(name) for name in {clients!r}}}
{calls}
print(time.perf_counter() - t0)
"""

# What each floor process does for the first request: the AWS calls the function's request needs, by hand.
FLOOR_CALLS = {
    "WebhookFunction": (
        ["secretsmanager", "sqs"],
        'c["secretsmanager"].get_secret_value(SecretId=args["secret"])\n'
        'c["sqs"].send_message(QueueUrl=args["queue"], MessageBody=args["body"])',
    ),
    "SyncPaymentSourceFunction": (
        ["secretsmanager", "dynamodb"],
        "import urllib3\n"
        'c["secretsmanager"].get_secret_value(SecretId=args["secret"])\n'
        "http = urllib3.PoolManager()\n"
        'token = http.request("POST", args["token_url"], fields=args["token_form"]).json()["access_token"]\n'
        'source = http.request("GET", args["source_url"], headers={"Authorization": "Bearer " + token})\n'
        "assert source.status == 200, source.status  # the same exchange as ours, not a quicker 401\n"
        "source.json()\n"
        'key = {"pk": {"S": args["pk"]}, "sk": {"S": "FLOOR"}}\n'
        "for n in range(2):  # the ledger and payment source reads; two items created with the erasure check\n"
        '    c["dynamodb"].get_item(TableName=args["table"], Key=key)\n'
        '    item = {"TableName": args["table"], "Item": {**key, "sk": {"S": f"FLOOR#{n}"}}}\n'
        '    check = {"TableName": args["table"], "Key": {**key, "sk": {"S": "ERASURE"}}, '
        '"ConditionExpression": "attribute_not_exists(pk)"}\n'
        '    c["dynamodb"].transact_write_items(TransactItems=[{"Put": item}, {"ConditionCheck": check}])\n'
        'c["dynamodb"].update_item(TableName=args["table"], Key=key, UpdateExpression="SET a = :a", '
        'ExpressionAttributeValues={":a": {"S": "x"}})\n'
        'c["dynamodb"].put_item(TableName=args["table"], Item=key)',  # the ledger's record of the synced event
    ),
    "NotifyActiveFunction": (
        ["dynamodb", "sns"],
        'c["dynamodb"].query(TableName=args["table"], KeyConditionExpression="pk = :pk", '
        'ExpressionAttributeValues={":pk": {"S": args["pk"]}})\n'
        'key = {"pk": {"S": args["pk"]}, "sk": {"S": "FLOOR"}}\n'
        'check = {"TableName": args["table"], "Key": {**key, "sk": {"S": "ERASURE"}}, '
        '"ConditionExpression": "attribute_not_exists(pk)"}\n'  # the push claim, created with the erasure check
        'c["dynamodb"].transact_write_items(TransactItems=[{"Put": {"TableName": args["table"], "Item": key}}, '
        '{"ConditionCheck": check}])\n'
        'c["sns"].publish(TargetArn=args["endpoint"], Message="floor")\n'
        "for _ in range(2):\n"
        '    c["dynamodb"].update_item(TableName=args["table"], Key=key, UpdateExpression="SET a = :a", '
        'ExpressionAttributeValues={":a": {"S": "x"}})',
    ),
    "PublishDomainEventsFunction": (  # the erasure guard's strongly consistent read of the customer's erasure record
        ["dynamodb", "events"],
        'c["dynamodb"].get_item(TableName=args["table"], Key=args["erasure_key"], ConsistentRead=True)\n'
        'c["events"].put_events(Entries=args["entries"])',
    ),
    "CustomerApiFunction": (
        ["dynamodb"],
        'c["dynamodb"].query(TableName=args["table"], KeyConditionExpression="pk = :pk", '
        'ExpressionAttributeValues={":pk": {"S": args["pk"]}})',
    ),
    "RecoverCoolOffFunction": (
        ["dynamodb"],
        'c["dynamodb"].query(TableName=args["table"], IndexName="AwaitingCoolOff", '
        'KeyConditionExpression="gsi1pk = :pk", ExpressionAttributeValues={":pk": {"S": "AWAITING_COOL_OFF"}})',
    ),
}


@contextmanager
def _services() -> Iterator[dict[str, Any]]:
    """A moto server with the template's resources and the Lean simulator, on free loopback ports."""
    import boto3
    from moto.server import ThreadedMotoServer

    from local.aws.resources import LOCAL_CLIENT_SECRET, LocalSettings, create_all, local_app_id
    from local.lean_sim import LeanSimulator

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    sim = LeanSimulator(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    sim_url = f"http://127.0.0.1:{sim.serve('127.0.0.1', 0)}"
    aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
    aws |= {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    saved = dict(os.environ)
    os.environ.update(aws)
    try:
        session = boto3.session.Session()
        clients = {n: session.client(n) for n in ("dynamodb", "sqs", "secretsmanager", "sns", "events")}
        refs = create_all(clients, LocalSettings(webhook_secret=SECRET, lean_base_url=sim_url))
        yield {"aws": aws, "clients": clients, "refs": refs, "sim": sim, "sim_url": sim_url}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sim.shutdown()
        server.stop()


def _events(svc: dict[str, Any]) -> dict[str, Callable[[], dict[str, Any]]]:
    """Per function: a maker of a fresh first request (fresh ids, so no run finds another's work done) with
    the arguments of its floor."""
    from lean_webhooks.models.timestamps import iso
    from local.aws.lambda_events import http_api_event
    from local.aws.pollers import _sqs_record
    from local.aws.resources import LOCAL_CLIENT_SECRET, local_app_id
    from local.harness import samples
    from tests.support.streams import activation

    refs, clients, sim = svc["refs"], svc["clients"], svc["sim"]
    table = refs["Table"]
    customer = samples.ids()["customer_id"]
    endpoint = clients["sns"].create_platform_endpoint(
        PlatformApplicationArn=refs["GcmPlatformApplicationArn"], Token="bench-" + uuid.uuid4().hex
    )["EndpointArn"]
    clients["dynamodb"].put_item(
        TableName=table,
        Item={
            "pk": {"S": f"CUSTOMER#{customer}"},
            "sk": {"S": "DEVICE#phone"},
            "entity": {"S": "DEVICE"},
            "customer_id": {"S": customer},
            "device_id": {"S": "phone"},
            "platform": {"S": "GCM"},
            "endpoint_arn": {"S": endpoint},
            "enabled": {"BOOL": True},
            "locale": {"S": "en"},
        },
    )

    def webhook() -> dict[str, Any]:
        flow = samples.ids()
        body, headers = samples.signed(samples.beneficiary_webhook(flow, "created", samples.AWAITING), SECRET)
        event = http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")
        floor = {"secret": refs["WebhookSecret"], "queue": refs["SyncQueue"], "body": body.decode()}
        return {"event": event, "floor": floor}

    def sync() -> dict[str, Any]:
        flow = samples.ids()
        key = (flow["customer_id"], flow["payment_source_id"])
        sim.state.payment_sources[key] = samples.payment_source(flow, local_app_id(), samples.AWAITING)
        body = json.dumps(samples.beneficiary_webhook(flow, "created", samples.AWAITING))
        message = {
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": "bench",
            "Body": body,
            "MD5OfBody": "",
            "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        }
        url = f"{svc['sim_url']}/customers/v1/{key[0]}/payment-sources/{key[1]}"
        floor = {
            "secret": refs["LeanCredentialsSecret"],
            "token_url": f"{svc['sim_url']}/oauth2/token",
            "token_form": {
                "client_id": local_app_id(),
                "client_secret": LOCAL_CLIENT_SECRET,
                "grant_type": "client_credentials",
                "scope": "api",
            },
            "source_url": url,
            "table": table,
            "pk": f"FLOOR#{uuid.uuid4()}",
        }
        return {"event": {"Records": [_sqs_record(message, refs["SyncQueue.Arn"])]}, "floor": floor}

    def notify() -> dict[str, Any]:
        record = activation(customer, beneficiary_id=str(uuid.uuid4()))
        record["eventSourceARN"] = refs["Table.StreamArn"]
        # stored as the sync stores an activation: its time, which the push claim's erasure check judges
        record["dynamodb"]["NewImage"]["activated_at"] = {"S": iso(datetime.now(UTC))}
        floor = {"table": table, "pk": f"CUSTOMER#{customer}", "endpoint": endpoint}
        return {"event": {"Records": [record]}, "floor": floor}

    def publisher() -> dict[str, Any]:
        record = activation(customer, beneficiary_id=str(uuid.uuid4()), old=None)  # added and chargeable: 2 events
        record["eventSourceARN"] = refs["Table.StreamArn"]
        entry = {"Source": "lean.payment-sources", "DetailType": "Beneficiary Added", "EventBusName": refs["EventBus"]}
        erasure_key = {"pk": {"S": f"CUSTOMER#{customer}"}, "sk": {"S": "ERASURE"}}
        details = [{**entry, "Detail": json.dumps(record["dynamodb"]["NewImage"])} for _ in range(2)]
        floor = {"table": table, "erasure_key": erasure_key, "entries": details}
        return {"event": {"Records": [record]}, "floor": floor}

    def customer_api() -> dict[str, Any]:
        event = http_api_event(
            "GET",
            f"/customers/{customer}/payment-sources",
            route_key="GET /customers/{customer_id}/payment-sources",
            path_parameters={"customer_id": customer},
            iam_authorised=True,
        )
        return {"event": event, "floor": {"table": table, "pk": f"CUSTOMER#{customer}"}}

    def recovery() -> dict[str, Any]:
        return {"event": {"source": "aws.events", "detail-type": "Scheduled Event"}, "floor": {"table": table}}

    return {
        "WebhookFunction": webhook,
        "SyncPaymentSourceFunction": sync,
        "NotifyActiveFunction": notify,
        "PublishDomainEventsFunction": publisher,
        "CustomerApiFunction": customer_api,
        "RecoverCoolOffFunction": recovery,
    }


# A first request that did not succeed would measure an error path: each answer is checked.
SUCCEEDED = {
    "WebhookFunction": lambda r: r["statusCode"] == 200,
    "SyncPaymentSourceFunction": lambda r: r == {"batchItemFailures": []},
    "NotifyActiveFunction": lambda r: r == {"batchItemFailures": []},
    "PublishDomainEventsFunction": lambda r: r == {"batchItemFailures": []},
    "CustomerApiFunction": lambda r: r["statusCode"] == 200,
    "RecoverCoolOffFunction": lambda r: r["failed"] == 0,
}


def _run(code: str, check: Callable[[Any], bool] | None = None) -> tuple[float, list[str]]:
    """Seconds the snippet reports, in a fresh interpreter that writes no bytecode (like a read-only layer), and
    its standard error's lines (ours: the libraries it loaded, then the handler's answer)."""
    out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, timeout=120, check=False)
    if out.returncode:
        raise RuntimeError(f"cold-start process failed:\n{out.stderr[-3000:]}")
    lines = out.stderr.strip().splitlines()
    if check is not None and not check(json.loads(lines[-1])):
        raise RuntimeError(f"the first request did not succeed:\n{out.stderr[-3000:]}")
    return float(out.stdout.strip().splitlines()[-1]), lines


def measure(shipped_layer: Path, pairs: int = 21, progress: Callable[[str], None] = print) -> list[dict]:
    """Per function: the median over `pairs` interleaved (ours, floor) pairs of init + first request."""
    from local.aws import template as tpl
    from local.aws.resources import function_environment

    rows = []
    with _services() as svc, tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        makers = _events(svc)
        for logical_id, make in makers.items():
            progress(f"  cold start {logical_id}: {pairs} pairs")
            spec = tpl.functions()[logical_id]
            env = json.dumps({**function_environment(spec, svc["refs"]), **svc["aws"]})
            ours, floor, ratios = [], [], []
            for i in range(pairs):
                event_file = Path(tmp) / f"{logical_id}-{i}.json"
                event_file.write_text(json.dumps(make()))
                mine, base = _snippets(spec, env, event_file, shipped_layer)
                check = SUCCEEDED[logical_id]
                if i % 2:
                    (f, _), (o, lines) = _run(base), _run(mine, check)
                else:
                    (o, lines), (f, _) = _run(mine, check), _run(base)
                ours.append(o)
                floor.append(f)
                ratios.append(o / f)
            rows.append(
                {
                    "function": logical_id,
                    "init_and_first_request_ms": round(median(ours) * 1000, 1),
                    "floor_ms": round(median(floor) * 1000, 1),
                    "ratio": round(median(ratios), 2),
                    "pairs": pairs,
                    "target": TARGETS[logical_id],
                    "libraries": json.loads(lines[-2]),  # loaded by init and the first request
                }
            )
    return rows


def _snippets(spec: Any, env: str, event_file: Path, layer: Path) -> tuple[str, str]:
    """The measured process of a function's first request, and its floor's."""
    clients, calls = FLOOR_CALLS[spec.logical_id]
    mine = _OURS.format(
        env=env,
        event_file=str(event_file),
        name=spec.logical_id,
        timeout=spec.timeout,
        layer=str(layer),
        path=str(spec.code_dir / "app.py"),
        probe=libraries.probe_code(),
    )
    return mine, _FLOOR.format(env=env, event_file=str(event_file), clients=clients, calls=calls)


# Prepended to a snippet (never to a measured one): every AWS operation the process calls, on standard error.
_TRACE = """
import sys, botocore.client
_call = botocore.client.BaseClient._make_api_call
def _traced(self, operation, params):
    sys.stderr.write("AWS-CALL " + operation + "\\n")
    return _call(self, operation, params)
botocore.client.BaseClient._make_api_call = _traced
"""


def operations(layer: Path, prelude: str = "") -> dict[str, tuple[list[str], list[str]]]:
    """Per function: the AWS operations of its first request (which must succeed) and those of its floor, sorted. A
    floor is only a floor while it makes the calls the function makes (a check added to a path must reach its floor
    too). `prelude` runs first in each process (a test's clock)."""
    from local.aws import template as tpl
    from local.aws.resources import function_environment

    found = {}
    with _services() as svc, tempfile.TemporaryDirectory(prefix="coldstart-") as tmp:
        for logical_id, make in _events(svc).items():
            spec = tpl.functions()[logical_id]
            env = json.dumps({**function_environment(spec, svc["refs"]), **svc["aws"]})
            event_file = Path(tmp) / f"{logical_id}.json"
            event_file.write_text(json.dumps(make()))
            calls = []
            for code, check in zip(_snippets(spec, env, event_file, layer), (SUCCEEDED[logical_id], None), strict=True):
                lines = _run(prelude + _TRACE + code, check)[1]
                calls.append(sorted(line.split()[1] for line in lines if line.startswith("AWS-CALL ")))
            found[logical_id] = (calls[0], calls[1])
    return found
