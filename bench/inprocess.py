"""In-process measurements against moto and the Lean simulator: warm webhook handling, and the AWS requests
one onboarding flow costs, per function and service."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.client
from moto import mock_aws
from moto.events.models import EventPattern

from bench.capacity import Meter
from bench.cost import byte_months
from bench.stats import median, percentile
from local.aws import template as tpl
from local.aws.functions import LambdaContext, LocalFunction
from local.aws.pollers import _json_safe, _sqs_record
from local.aws.resources import (
    LOCAL_CLIENT_SECRET,
    LocalSettings,
    create_all,
    function_environment,
    local_app_id,
)
from local.harness import samples
from local.lean_sim import LeanSimulator

SECRET = "bench-webhook-secret"  # noqa: S105 - a local value
# What the design needs at the least, per function and service, for one flow (1 device, the refresh on the LinkSDK's
# success, 3 webhooks, 1 activation). Measured on a warm flow: secrets are read once per execution environment.
MINIMUM = {
    "WebhookFunction": {"sqs": 2},  # 2 beneficiary webhooks queued
    # per message: ledger read and write, payment-source read (unchanged since the refresh stored it), beneficiary
    "SyncPaymentSourceFunction": {"dynamodb": 8},
    # devices query, marker claimed then SENT (its lease), the activation settled; one publish
    "NotifyActiveFunction": {"dynamodb": 4, "sns": 1},
    # registration: stored device, endpoint owner read then written, device written; create endpoint + get its
    # attributes. Refresh: marker claimed, payment source read and written, beneficiary written, the beneficiaries
    # Lean lists compared, marker finished, the answer read
    "CustomerApiFunction": {"dynamodb": 4 + 7, "sns": 2},
    # one PutEvents per transition's record: Beneficiary Added, Beneficiary Chargeable
    "PublishDomainEventsFunction": {"events": 2},
}


@contextlib.contextmanager
def environment() -> Iterator[dict[str, Any]]:
    """moto with the template's resources, the Lean simulator, and the functions loaded (output discarded)."""
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"})
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    sim = LeanSimulator(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    sim_url = f"http://127.0.0.1:{sim.serve('127.0.0.1', 0)}"
    stdout = sys.stdout
    sys.stdout = io.StringIO()  # the functions' log output: measured (bytes per flow), never shown
    handler_stream = None
    try:
        with mock_aws():
            _forget_wired()
            names = ("dynamodb", "dynamodbstreams", "sqs", "secretsmanager", "sns", "events")
            clients = {n: boto3.client(n) for n in names}
            refs = create_all(clients, LocalSettings(webhook_secret=SECRET, lean_base_url=sim_url))
            functions = {}
            for logical_id, spec in tpl.functions().items():
                env = function_environment(spec, refs)
                os.environ.update(env)
                functions[logical_id] = LocalFunction(spec, env)
            from lean_webhooks.runtime.observability import logger

            handler_stream = logger.registered_handler.setStream(sys.stdout)  # the logger outlives one run
            yield {"clients": clients, "refs": refs, "functions": functions, "sim": sim, "log": sys.stdout}
    finally:
        if handler_stream is not None:
            from lean_webhooks.runtime.observability import logger

            logger.registered_handler.setStream(handler_stream)
        sys.stdout = stdout
        sim.shutdown()
        os.environ.clear()
        os.environ.update(saved)


def _forget_wired() -> None:
    """A new moto backend: clients, cached secrets and every wired use case are made afresh."""
    from lean_webhooks import wiring
    from lean_webhooks.adapters.aws import client, session
    from lean_webhooks.adapters.secrets import forget_secrets

    client.cache_clear()
    session.cache_clear()
    forget_secrets()
    wiring.reset()


def _handler(function: LocalFunction) -> Any:
    return function.handler


def warm_webhook(requests: int = 400) -> dict[str, float]:
    """Median per-request time of the webhook handler vs a floor handler that reads the body and sends one
    SQS message, both against the same moto backend, interleaved."""
    with environment() as env:
        handler = _handler(env["functions"]["WebhookFunction"])
        sqs, url = env["clients"]["sqs"], env["refs"]["SyncQueue"]

        def floor(event: dict, context: Any) -> dict:
            body = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else event["body"].encode()
            sqs.send_message(QueueUrl=url, MessageBody=body.decode())
            return {"statusCode": 200, "body": "{}"}

        from local.aws.lambda_events import http_api_event

        def event() -> dict:
            body, headers = samples.signed(
                samples.beneficiary_webhook(samples.ids(), "created", samples.AWAITING), SECRET
            )
            return http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")

        ours, base = [], []
        for i in range(requests + 30):
            for fn, sink in ((handler, ours), (floor, base)):
                e, ctx = event(), LambdaContext("bench", 5)
                started = time.perf_counter()
                assert fn(e, ctx)["statusCode"] == 200
                if i >= 30:
                    sink.append(time.perf_counter() - started)
            if i % 100 == 0:
                env["log"].seek(0)
                env["log"].truncate()
    return {
        "ours_ms": round(median(ours) * 1000, 3),
        "floor_ms": round(median(base) * 1000, 3),
        "ours_p99_ms": round(percentile(ours, 99) * 1000, 3),
        "ratio": round(median(ours) / median(base), 2),
        "target": 1.2,
    }


def requests_per_flow() -> dict[str, Any]:
    """Run one onboarding flow through the handlers and count the AWS requests each function makes.

    A first flow warms every function and is not counted: what a function loads on its first request belongs to
    its cold start (measured apart, `bench.coldstart`), not to the warm durations the cost model bills."""
    counts: dict[str, Counter] = defaultdict(Counter)
    current: list[str] = []
    real = botocore.client.BaseClient._make_api_call
    meter = Meter(real)
    counting_on = [False]
    secrets_read: dict[str, set[str]] = {}
    last_invoked = [""]
    published = [0]

    def counting(self: Any, operation: str, params: dict) -> Any:
        if current and not counting_on[0] and operation == "GetSecretValue":
            secrets_read[current[-1]].add(params["SecretId"])  # what a new execution environment reads
        if current and counting_on[0]:
            service = self.meta.service_model.service_name
            counts[current[-1]][service] += 1
            if service == "events":
                published[0] += len(params.get("Entries", []))
            if service == "dynamodb":
                return meter.call(self, operation, params)
        return real(self, operation, params)

    def invoke(name: str, event: dict) -> Any:
        if not counting_on[0] and last_invoked[-1] != name:  # the warm-up: no function may find in this shared
            from lean_webhooks.adapters.secrets import forget_secrets  # process a secret another one read

            forget_secrets()
            secrets_read.setdefault(name, set())
        last_invoked.append(name)
        current.append(name)
        try:
            function = env["functions"][name]  # the template's timeout: the sync plans its records by it
            return _handler(function)(event, LambdaContext(name, function.spec.timeout))
        finally:
            current.pop()

    durations: dict[str, list[float]] = defaultdict(list)
    with environment() as env, _patched(counting):
        sim = env["sim"]
        cold = _flow(env, _timer(defaultdict(list), invoke), "warm-up", records_seen=0)
        env["log"].seek(0)
        env["log"].truncate()
        lean_before, pushes_before = Counter(sim.state.stats), _pushes()
        _prime_secrets(set().union(*secrets_read.values()))  # warm environments: every secret in the cache
        stored_before = _scan(env)
        counting_on[0] = True
        records = _flow(env, _timer(durations, invoke), "measured", records_seen=len(cold))
        counting_on[0] = False
        stored = [item for key, item in _scan(env).items() if stored_before.get(key) != item]  # the flow's items
        pushes = _pushes() - pushes_before
        log_bytes = len(env["log"].getvalue().encode())
        lean_calls = dict(Counter(sim.state.stats) - lean_before)
        lean_calls_cold = {k: v for k, v in lean_before.items() if v}
    table = {}
    for name, minimum in MINIMUM.items():
        measured = dict(counts.get(name, {}))
        table[name] = {
            "measured": measured,
            "minimum": minimum,
            "extra": {
                s: measured.get(s, 0) - minimum.get(s, 0)
                for s in set(measured) | set(minimum)
                if measured.get(s, 0) != minimum.get(s, 0)
            },
        }
    return {
        "per_function": table,
        "stream_records": len(records),
        "notify_invocations": len(durations["NotifyActiveFunction"]),  # one per record the stream filter passes
        "domain_events": published[0],  # entries put on the bus
        "pushes": pushes,
        "lean_calls": lean_calls,
        "lean_calls_first_flow": lean_calls_cold,  # the OAuth token: fetched once per execution environment
        "log_bytes": log_bytes,
        "dynamodb_units": {"wru": meter.wru, "rru": meter.rru, "calls": meter.lines},
        "durations_ms": {k: round(median(v) * 1000, 2) for k, v in durations.items()},
        "secret_reads_new_environment": {k: len(v) for k, v in secrets_read.items()},  # each secret it reads, once
        "stored_items": len(stored),  # items the measured flow created or changed, and their storage for a month
        "stored_byte_months": round(byte_months(stored, time.time()), 1),
        "invocations": {k: len(v) for k, v in durations.items()},
    }


@contextlib.contextmanager
def _patched(fn: Any) -> Iterator[None]:
    real = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = fn
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = real


def _flow(env: dict[str, Any], timed: Any, label: str, records_seen: int) -> list[dict]:
    """One onboarding flow (a device, the app backend's refresh, 3 webhooks and their syncs, the activation's push,
    the domain events) with fresh ids and a fresh device token; returns the table's stream records since
    `records_seen`, this flow's."""
    from local.aws.lambda_events import device_registration_event, http_api_event

    clients, refs, sim = env["clients"], env["refs"], env["sim"]
    flow = samples.ids()
    cid = flow["customer_id"]
    token = f"fcm-{label}:APA91b" + uuid.uuid4().hex + "z" * 68
    timed("CustomerApiFunction", device_registration_event(cid, "phone", token))
    sim.state.payment_sources[(cid, flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.AWAITING
    )
    refresh = f"/customers/{cid}/payment-sources/refresh"  # the LinkSDK reported success: the backend refreshes
    timed(
        "CustomerApiFunction",
        http_api_event(
            "POST",
            refresh,
            route_key="POST /customers/{customer_id}/payment-sources/refresh",
            path_parameters={"customer_id": cid},
            iam_authorised=True,
        ),
    )
    for envelope in (
        samples.payment_source_created_webhook(flow),
        samples.beneficiary_webhook(flow, "created", samples.AWAITING),
        samples.beneficiary_webhook(flow, "updated", samples.ACTIVE),
    ):
        if envelope["type"].endswith("updated"):
            sim.state.payment_sources[(cid, flow["payment_source_id"])] = samples.payment_source(
                flow, local_app_id(), samples.ACTIVE
            )
        body, headers = samples.signed(envelope, SECRET)
        timed(
            "WebhookFunction",
            http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean"),
        )
        _drain_sync(clients["sqs"], refs, timed)
    records = _stream_records(refs["Table.StreamArn"])[records_seen:]
    for reader in ("NotifyActiveFunction", "PublishDomainEventsFunction"):  # the stream's two readers
        for record in _matching(records, reader):
            timed(reader, {"Records": [record]})
    return records


def _prime_secrets(secret_ids: set[str]) -> None:
    """Read each secret into the process's cache, as the warm environments of the measured flow hold them."""
    from lean_webhooks.adapters.secrets import forget_secrets, get_json_secret

    forget_secrets()
    for secret_id in secret_ids:
        get_json_secret(secret_id, 300)


def _scan(env: dict[str, Any]) -> dict[tuple[str, str], dict]:
    """Every item of the table by key (uncounted: no function is running)."""
    pages = env["clients"]["dynamodb"].get_paginator("scan").paginate(TableName=env["refs"]["Table"])
    return {(i["pk"]["S"], i["sk"]["S"]): i for page in pages for i in page["Items"]}


def _matching(records: list[dict], function: str) -> list[dict]:
    """The stream records the function's event-source filter lets through."""
    patterns = [EventPattern.load(json.dumps(p)) for p in tpl.filter_patterns(function)]
    return [r for r in records if any(p.matches_event(r) for p in patterns)]


def _pushes() -> int:
    return sum(len(e["messages"]) for e in _endpoints())


def _timer(durations: dict[str, list[float]], invoke: Any) -> Any:
    def timed(name: str, event: dict) -> Any:
        started = time.perf_counter()
        result = invoke(name, event)
        durations[name].append(time.perf_counter() - started)
        return result

    return timed


def _drain_sync(sqs: Any, refs: dict[str, Any], timed: Any) -> None:
    messages = sqs.receive_message(
        QueueUrl=refs["SyncQueue"], MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])
    for message in messages:  # one invocation per message: the worst case for cost
        result = timed("SyncPaymentSourceFunction", {"Records": [_sqs_record(message, refs["SyncQueue.Arn"])]})
        assert not result["batchItemFailures"], result
        sqs.delete_message(QueueUrl=refs["SyncQueue"], ReceiptHandle=message["ReceiptHandle"])


def _stream_records(arn: str) -> list[dict]:
    """The table's stream records, read from moto's backend (its DynamoDB Streams HTTP routing does not match
    this botocore's endpoint), in the shape Lambda delivers them."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    backend = dynamodbstreams_backends["123456789012"]["us-east-1"]
    records = []
    for shard in backend.describe_stream(arn)["Shards"]:
        iterator = backend.get_shard_iterator(arn, shard["ShardId"], "TRIM_HORIZON")
        records += [
            _json_safe({**r, "eventSourceARN": arn}) for r in backend.get_records(iterator.arn, 1000)["Records"]
        ]
    return json.loads(json.dumps(records, default=str))


def _endpoints() -> list[dict]:
    from moto.sns.models import sns_backends

    return [{"messages": e.messages} for e in sns_backends["123456789012"]["us-east-1"].platform_endpoints.values()]
