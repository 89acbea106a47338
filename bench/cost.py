"""AWS cost per million onboarding flows at list prices, from what one flow measurably does (requests, DynamoDB
units from the items' real sizes, log bytes, durations) plus what the in-process run cannot see, each stated:
Lean's API latency, billed init of cold starts, Lambda's own log lines. Fixed monthly costs are listed apart."""

from __future__ import annotations

import math
from typing import Any

from local.aws import template as tpl

# us-east-1 list prices (USD), beyond free tiers (aws.amazon.com/<service>/pricing).
PRICES = {
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,  # on-demand
    "dynamodb_rru": 0.125 / 1e6,
    "sns_publish_request": 0.50 / 1e6,
    "sns_mobile_delivery": 0.50 / 1e6,
    "eventbridge_custom_event": 1.00 / 1e6,  # each 64 KB chunk of a PutEvents entry
    "logs_ingest_gb": 0.50,
    "xray_trace": 5.00 / 1e6,
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
# The erasure guard (adapters/dynamodb/erasures.py), inside the measured units above: each of the flow's writes that
# creates a customer item (the refresh's marker, payment source and beneficiary; the push marker) is first tried as
# a write of an existing item (it fails: 1 WRU), then made as a transaction of the write (2 x its units) and a
# ConditionCheck of the erasure record (2 WRU): 3 + u WRU more than a plain write of u units. The domain-event
# publisher reads the customer's erasure record (strongly consistent, 1 RRU) for each stream record that makes events.
GUARDED_CREATIONS = {"refresh marker": 1, "payment source": 2, "beneficiary": 1, "push marker": 1}  # units (u)
PUBLISHER_ERASURE_READS = 2  # the beneficiary's INSERT (Added) and its change to ACTIVE (Chargeable)


def erasure_guard_units() -> dict[str, float]:
    """The WRU and RRU per flow the erasure guard adds (already in the measured units: stated, not added)."""
    wru = float(sum(3 + units for units in GUARDED_CREATIONS.values()))
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
                **erasure_guard_units()
            ),
            f"HTTP API {HTTP_API_REQUESTS}, SQS {SQS_REQUESTS}, SNS {flow['pushes']} publish + delivery,"
            f" EventBridge {flow['domain_events']} events, X-Ray 0",
            f"log bytes per flow = {flow['log_bytes']} app + {requests} x {platform_bytes} platform"
            f" (PlatformLogLevel {platform_level})"
            f" + {HTTP_API_REQUESTS} x {ACCESS_LOG_BYTES} access = {log_bytes}",
        ],
    }
