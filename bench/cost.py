"""Estimated AWS cost per million onboarding flows at list prices, from the measured requests and durations."""

from __future__ import annotations

import math
from typing import Any

from local.aws import template as tpl

# us-east-1 list prices (USD), beyond free tiers.
PRICES = {
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "sns_publish_request": 0.50 / 1e6,
    "sns_mobile_delivery": 0.50 / 1e6,
    "logs_ingest_gb": 0.50,
}
# Per flow, from the design: 3 webhooks + 1 device PUT through the HTTP API; SQS: 2 sends, ~2 receives by the
# event source mapping, 2 deletes; DynamoDB write units: idempotency claim+result (2 x 2), payment source item
# with accounts (2 x 2 WRU), beneficiary (2), its sparse-index entry and removal (2), push marker (1), device (1);
# read units: the device query and the stored-device read (2).
UNITS = {"http_api": 4, "sqs": 6, "dynamodb_wru": 14, "dynamodb_rru": 2, "sns_publish": 1, "sns_delivery": 1}


def per_million(durations_ms: dict[str, float], invocations: dict[str, int], log_bytes: int) -> dict[str, Any]:
    functions = tpl.functions()
    memory = {
        k: int(tpl.resources()[k]["Properties"].get("MemorySize", tpl.load()["Globals"]["Function"]["MemorySize"]))
        for k in functions
    }
    lines = []
    gb_s = 0.0
    for name, count in invocations.items():
        billed_ms = math.ceil(durations_ms[name])
        gb_s += count * billed_ms / 1000 * memory[name] / 1024
        lines.append(f"{name}: {count} x {billed_ms} ms x {memory[name]} MB")
    requests = sum(invocations.values())
    costs = {
        "lambda_compute": gb_s * PRICES["lambda_gb_s_arm64"],
        "lambda_requests": requests * PRICES["lambda_request"],
        "http_api": UNITS["http_api"] * PRICES["http_api_request"],
        "sqs": UNITS["sqs"] * PRICES["sqs_request"],
        "dynamodb": UNITS["dynamodb_wru"] * PRICES["dynamodb_wru"] + UNITS["dynamodb_rru"] * PRICES["dynamodb_rru"],
        "sns": UNITS["sns_publish"] * PRICES["sns_publish_request"]
        + UNITS["sns_delivery"] * PRICES["sns_mobile_delivery"],
        "cloudwatch_logs": log_bytes / 1e9 * PRICES["logs_ingest_gb"],
    }
    million = {k: round(v * 1e6, 2) for k, v in costs.items()}
    return {
        "usd_per_million_flows": round(sum(costs.values()) * 1e6, 2),
        "breakdown_usd": million,
        "arithmetic": [
            *lines,
            f"GB-s per flow = {gb_s:.5f} -> x {PRICES['lambda_gb_s_arm64']} $/GB-s",
            f"Lambda requests per flow = {requests}",
            f"units per flow = {UNITS}",
            f"log bytes per flow = {log_bytes}",
        ],
    }
