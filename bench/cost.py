"""AWS cost per million onboarding flows at list prices, from what one flow measurably does (requests, DynamoDB
units from the items' real sizes, log bytes, durations) plus what the in-process run cannot see, each stated:
Lean's API latency, billed init of cold starts, Lambda's own log lines. Fixed monthly costs are listed apart."""

from __future__ import annotations

import json
import math
from typing import Any

from bench.capacity import stored_bytes
from lean_webhooks.runtime.settings.webhook import WebhookSettings
from local.aws import template as tpl

# us-east-1 on-demand list prices (USD), beyond free tiers, each from the pricing page beside it.
PRICES = {
    "lambda_gb_s_arm64": 0.0000133334,  # https://aws.amazon.com/lambda/pricing/
    "lambda_request": 0.20 / 1e6,  # https://aws.amazon.com/lambda/pricing/
    "http_api_request": 1.00 / 1e6,  # https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs)
    "sqs_request": 0.40 / 1e6,  # https://aws.amazon.com/sqs/pricing/ (standard queue)
    "dynamodb_wru": 0.625 / 1e6,  # https://aws.amazon.com/dynamodb/pricing/on-demand/
    "dynamodb_rru": 0.125 / 1e6,  # https://aws.amazon.com/dynamodb/pricing/on-demand/
    "sns_publish_request": 0.50 / 1e6,  # https://aws.amazon.com/sns/pricing/
    "sns_mobile_delivery": 0.50 / 1e6,  # https://aws.amazon.com/sns/pricing/ (mobile push notifications)
    "eventbridge_custom_event": 1.00 / 1e6,  # https://aws.amazon.com/eventbridge/pricing/ (each 64 KB chunk)
    "logs_ingest_gb": 0.50,  # https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard ingestion)
    "xray_trace": 5.00 / 1e6,  # https://aws.amazon.com/xray/pricing/
}
# The lines the request counts above do not show (a section of its own: `gaps`).
PRICES |= {
    "secrets_manager_api_call": 0.05 / 10_000,  # https://aws.amazon.com/secrets-manager/pricing/
    "kms_request": 0.03 / 10_000,  # https://aws.amazon.com/kms/pricing/ (symmetric requests)
    "dynamodb_storage_gb_month": 0.25,  # https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
    "dynamodb_pitr_gb_month": 0.20,  # https://aws.amazon.com/dynamodb/pricing/on-demand/ (continuous backups)
}
# What the in-process run cannot measure.
LEAN_LATENCY_MS = 300  # one Lean API exchange as the sync waits for it (the simulator answers in ~4 ms)
COLD_START_SHARE = 0.10  # invocations that start an execution environment: INIT is billed since 1 August 2025
LAMBDA_PLATFORM_LOG_BYTES = 420  # START, END and REPORT lines of each invocation, when PlatformLogLevel lets them in
ACCESS_LOG_BYTES = 260  # the HTTP API's access log line per request
# Per flow: 3 webhooks, 1 device registration and 1 refresh through the HTTP API; SQS: 2 sends, the event source
# mapping's receive and delete of each of the 2 messages (batches of one in the worst case).
HTTP_API_REQUESTS = 5
SQS_REQUESTS = 6
TRACED_REQUESTS = 0  # X-Ray tracing is off (PassThrough): no trace is recorded or billed
# The erasure guard (adapters/dynamodb/erasures.py), inside the measured units above: each write that creates a
# customer item is a transaction of the write (2 x its units) with a ConditionCheck of the erasure record, and some
# are first tried as a write of an existing item, refused when there is none. The domain-event publisher reads the
# customer's erasure record (strongly consistent, 1 RRU) for each stream record that makes events.
PUBLISHER_ERASURE_READS = 2  # the beneficiary's INSERT (Added) and its change to ACTIVE (Chargeable)
_REFUSED = ("PutItem condition failed", "UpdateItem condition failed")


def erasure_guard_units(calls: list[str]) -> dict[str, float]:
    """The WRU and RRU per flow the guard adds (already in the measured units: stated, not added), from the metered
    calls (`bench/capacity.py`, "<operation> <what>: <n> WRU"): every ConditionCheck, the half of each creating
    transaction's write that a plain write would not cost, and the refused write of an existing item sent just
    before a creating transaction; plus the publisher's reads of the erasure record."""
    wru, previous = 0.0, ""
    for call in calls:
        name, units = call.rsplit(": ", 1)
        amount = float(units.split()[0])
        if name.startswith("TransactConditionCheck"):
            wru += amount
        elif name.startswith(("TransactPut", "TransactUpdate")):
            wru += amount / 2
            if previous.startswith(_REFUSED):
                wru += float(previous.rsplit(": ", 1)[1].split()[0])
        previous = call
    rru = float(PUBLISHER_ERASURE_READS)
    usd = (wru * PRICES["dynamodb_wru"] + rru * PRICES["dynamodb_rru"]) * 1e6
    return {"wru": wru, "rru": rru, "usd_per_million": round(usd, 2)}


# Monthly, whatever the traffic.
ALARMS = len(tpl.of_type("AWS::CloudWatch::Alarm"))
FIXED_MONTHLY = {
    f"alarms ({ALARMS} x $0.10)": round(ALARMS * 0.10, 2),
    "dashboard": 3.00,
    "custom metrics (~34 metric/dimension pairs x $0.30)": 10.20,
    "secrets (2 x $0.40)": 0.80,
    "SQS long polls of the idle sync queue (~130k x $0.40/M)": 0.05,
    "scheduled runs (~4,400 a month: reconcilers, recovery; requests and seconds)": 0.05,
}


def per_million(flow: dict[str, Any], init_ms: dict[str, float]) -> dict[str, Any]:
    """`flow`: bench.inprocess.requests_per_flow(); `init_ms`: each function's cold start (init + first request)."""
    durations, invocations = flow["durations_ms"], flow["invocations"]
    # Each API call waits for Lean; the OAuth token is cached per execution environment for its hour, so a token
    # exchange is billed to the invocations that start an environment (the warm-up flow's count: one a process).
    syncs = invocations["SyncPaymentSourceFunction"]
    token_exchanges = flow["lean_calls_first_flow"].get("token", 0) * syncs * COLD_START_SHARE
    refresh_exchanges = sum(v for k, v in flow["lean_calls"].items() if k.startswith("list:"))  # the customer API's
    lean_exchanges = flow["lean_calls"].get("api", 0) - refresh_exchanges + token_exchanges
    functions = tpl.functions()
    memory = {
        k: int(tpl.resources()[k]["Properties"].get("MemorySize", tpl.load()["Globals"]["Function"]["MemorySize"]))
        for k in functions
    }
    lines = []
    gb_s = 0.0
    for name, count in invocations.items():
        waited = {
            "SyncPaymentSourceFunction": lean_exchanges * LEAN_LATENCY_MS / count,
            "CustomerApiFunction": refresh_exchanges * LEAN_LATENCY_MS / count,  # the refresh waits for Lean's list
        }.get(name, 0)
        billed_ms = math.ceil(durations[name] + waited)
        # A cold invocation bills its init and first request (measured together) instead of a warm duration.
        cold_ms = init_ms.get(name, max(init_ms.values(), default=0)) + waited
        gb_s += count * ((1 - COLD_START_SHARE) * billed_ms + COLD_START_SHARE * cold_ms) / 1000 * memory[name] / 1024
        lean = f" + {waited:.0f} ms waiting for Lean" if waited else ""
        lines.append(
            f"{name}: {count} x ({1 - COLD_START_SHARE:.0%} x ({durations[name]:.0f} ms warm{lean})"
            f" + {COLD_START_SHARE:.0%} x {cold_ms:.0f} ms init and first request) x {memory[name]} MB"
        )
    requests = sum(invocations.values())
    platform_level = tpl.load()["Parameters"]["PlatformLogLevel"]["Default"]
    platform_bytes = 0 if platform_level == "WARN" else LAMBDA_PLATFORM_LOG_BYTES  # START/END/REPORT are INFO
    log_bytes = flow["log_bytes"] + requests * platform_bytes + HTTP_API_REQUESTS * ACCESS_LOG_BYTES
    units = flow["dynamodb_units"]
    costs = {
        "lambda_compute": gb_s * PRICES["lambda_gb_s_arm64"],
        "lambda_requests": requests * PRICES["lambda_request"],
        "http_api": HTTP_API_REQUESTS * PRICES["http_api_request"],
        "sqs": SQS_REQUESTS * PRICES["sqs_request"],
        "dynamodb": units["wru"] * PRICES["dynamodb_wru"] + units["rru"] * PRICES["dynamodb_rru"],
        "sns": flow["pushes"] * (PRICES["sns_publish_request"] + PRICES["sns_mobile_delivery"]),
        "eventbridge": flow["domain_events"] * PRICES["eventbridge_custom_event"],
        "cloudwatch_logs": log_bytes / 1e9 * PRICES["logs_ingest_gb"],
        "xray": TRACED_REQUESTS * PRICES["xray_trace"],
    }
    gap = gaps(flow)
    costs["secrets_manager"] = gap["per_flow_usd"]["secrets_manager"]
    return {
        "usd_per_million_flows": round(sum(costs.values()) * 1e6, 2),
        "breakdown_usd": {k: round(v * 1e6, 2) for k, v in costs.items()},
        "fixed_usd_per_month": FIXED_MONTHLY,
        "assumptions": {
            "lean_latency_ms": LEAN_LATENCY_MS,
            "cold_start_share": COLD_START_SHARE,
            "traced_requests": TRACED_REQUESTS,
        },
        "arithmetic": [
            *lines,
            f"GB-s per flow = {gb_s:.5f} -> x {PRICES['lambda_gb_s_arm64']} $/GB-s",
            f"Lambda requests per flow = {requests}",
            f"DynamoDB per flow = {units['wru']:g} WRU + {units['rru']:g} RRU (items' sizes, indexes included)",
            "  of which the erasure guard: {wru:g} WRU + {rru:g} RRU = ${usd_per_million} a million flows".format(
                **erasure_guard_units(units["calls"])
            ),
            f"HTTP API {HTTP_API_REQUESTS}, SQS {SQS_REQUESTS}, SNS {flow['pushes']} publish + delivery,"
            f" EventBridge {flow['domain_events']} events, X-Ray 0",
            f"log bytes per flow = {flow['log_bytes']} app + {requests} x {platform_bytes} platform"
            f" (PlatformLogLevel {platform_level})"
            f" + {HTTP_API_REQUESTS} x {ACCESS_LOG_BYTES} access = {log_bytes}",
            *gap["arithmetic"],
        ],
        "monthly_usd": gap["monthly_usd"],
        "kms_when_key_set": gap["kms"],
    }


# ---------- what the request counts above do not show: secret reads, storage, PITR, KMS ----------
MONTH_S = 730 * 3600  # AWS's pricing month
SECRET_MAX_AGE_S = WebhookSettings.secret_max_age_s  # SECRET_CACHE_SECONDS: the template leaves the default
WARM_ENVIRONMENTS = 1  # execution environments each secret-reading function keeps in use all month (stated)
CUSTOMERS = 10_000  # storage and PITR are priced per this many onboarded customers, each with one flow's items
# KMS, only when KmsKeyArn is set. DynamoDB caches a table key per caller and asks KMS again after five minutes
# (KMS developer guide, "How Amazon DynamoDB uses AWS KMS"): at most one Decrypt per calling role per 5 minutes.
# SQS reuses a data key for KmsDataKeyReusePeriodSeconds (default 300, the template sets none): per queue
# R = B / D x (2P + C) requests, P producing and C consuming principals (SQS developer guide, "Key management",
# estimating AWS KMS costs). Secrets Manager decrypts a secret's data key with KMS on each GetSecretValue
# (Secrets Manager user guide, "Secret encryption and decryption"). CloudWatch Logs and EventBridge call KMS under
# their own service principals at a rate AWS does not publish: not counted.
KMS_TABLE_KEY_CACHE_S = 300
SQS_DATA_KEY_REUSE_S = 300


def gaps(flow: dict[str, Any], customers: int = CUSTOMERS) -> dict[str, Any]:
    """Secrets Manager reads (per flow and monthly), storage and PITR per `customers` a month, and the KMS requests a
    customer managed key adds, from the flow's measured secret reads and stored bytes and the template."""
    invocations = flow["invocations"]
    first = flow.get("secret_reads_new_environment", {})  # per function, in its first invocation (the warm-up)
    per_flow_reads = secret_reads_per_flow(first, invocations, COLD_START_SHARE)
    readers = sum(1 for n in first.values() if n)
    monthly_reads = readers * WARM_ENVIRONMENTS * MONTH_S / SECRET_MAX_AGE_S
    stored = flow.get("stored_byte_months", 0.0)
    store = storage_per_month(stored, customers)
    kms = kms_requests(per_flow_reads, monthly_reads)
    return {
        "per_flow_usd": {"secrets_manager": per_flow_reads * PRICES["secrets_manager_api_call"]},
        "monthly_usd": {
            f"secret reads on cache expiry ({readers} functions x {WARM_ENVIRONMENTS} environment)": round(
                monthly_reads * PRICES["secrets_manager_api_call"], 2
            ),
            f"DynamoDB storage, {customers:,} customers": round(store["storage"], 4),
            f"point-in-time recovery, {customers:,} customers": round(store["pitr"], 4),
        },
        "kms": {
            "requests_per_flow": round(kms["per_flow"], 3),
            "usd_per_million_flows": round(kms["per_flow"] * PRICES["kms_request"] * 1e6, 2),
            "requests_per_month": round(kms["monthly"]),
            "usd_per_month": round(kms["monthly"] * PRICES["kms_request"], 2),
            "not_counted": "CloudWatch Logs and EventBridge (their own principals, rate not published)",
        },
        "arithmetic": [
            f"Secrets Manager reads per flow = {per_flow_reads:.2f}: each new environment's reads {first}"
            f" x invocations x {COLD_START_SHARE:.0%} new environments;"
            f" monthly {monthly_reads:,.0f} re-reads (every {SECRET_MAX_AGE_S} s, {readers} functions)",
            f"storage = {stored:,.0f} byte-months a customer (items and index entries, 100 B overhead each; an item"
            f" with a TTL for its share of the month) x {customers:,} = {store['gb']:.4f} GB",
            f"KMS (KmsKeyArn set) = {kms['per_flow']:.2f} requests a flow (secret reads) + {kms['monthly']:,.0f} a"
            f" month ({kms['table_callers']} table callers every {KMS_TABLE_KEY_CACHE_S} s, sync queue"
            f" 2 x {kms['producers']} producers + 1 consumer every {SQS_DATA_KEY_REUSE_S} s, secret re-reads)",
        ],
    }


def secret_reads_per_flow(first: dict[str, int], invocations: dict[str, int], cold_share: float) -> float:
    """Each function reads its secrets once in a new execution environment (`first`: its reads there), and a flow
    starts `cold_share` of its invocations in a new one; warm invocations read from the cache."""
    return sum(first.get(name, 0) * count * cold_share for name, count in invocations.items())


def storage_per_month(byte_months_per_customer: float, customers: int) -> dict[str, float]:
    """Storage and PITR (both billed on the table's size) of `customers` customers for a month."""
    gb = byte_months_per_customer * customers / 2**30
    return {
        "gb": gb,
        "storage": gb * PRICES["dynamodb_storage_gb_month"],
        "pitr": gb * PRICES["dynamodb_pitr_gb_month"],
    }


def byte_months(items: list[dict[str, Any]], now_s: float) -> float:
    """Billable bytes the items keep stored for a month: an item with a TTL (`expires_at`) only for its share."""
    total = 0.0
    for item in items:
        share = 1.0
        if "expires_at" in item:
            share = min(1.0, max(0.0, (float(item["expires_at"]["N"]) - now_s) / MONTH_S))
        total += stored_bytes(item) * share
    return total


def kms_requests(per_flow_secret_reads: float, monthly_secret_reads: float) -> dict[str, float]:
    """KMS requests a customer managed key adds: one per secret read, and the time-based ones of the table's and
    the sync queue's cached keys (read from the template: who calls the table, who sends to the queue)."""
    functions = tpl.functions()
    policies = {name: json.dumps(tpl.resources()[name]["Properties"].get("Policies", [])) for name in functions}
    table_callers = sum(1 for text in policies.values() if '"dynamodb:' in text)
    producers = sum(
        1 for name in functions if "SYNC_QUEUE_URL" in tpl.resources()[name]["Properties"]["Environment"]["Variables"]
    )
    periods = MONTH_S / KMS_TABLE_KEY_CACHE_S
    monthly = table_callers * periods + (2 * producers + 1) * MONTH_S / SQS_DATA_KEY_REUSE_S + monthly_secret_reads
    return {
        "per_flow": per_flow_secret_reads,
        "monthly": monthly,
        "table_callers": table_callers,
        "producers": producers,
    }
