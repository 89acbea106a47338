"""Cold start: import + init of each function (until every client it needs exists), in fresh processes,
against a floor process that only imports boto3 and creates the same clients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.stats import median
from local.aws import template as tpl

# The AWS clients each function needs to do its work (what the floor process creates).
CLIENTS = {
    "WebhookFunction": ["sqs", "secretsmanager"],
    "SyncPaymentSourceFunction": ["dynamodb", "sqs", "secretsmanager"],
    "NotifyActiveFunction": ["dynamodb", "sns"],
    "CustomerApiFunction": ["dynamodb", "sns"],
    "RecoverCoolOffFunction": ["dynamodb", "secretsmanager"],
}

_COMMON = """
import os, sys, time
os.environ.update({env})
t0 = time.perf_counter()
"""
_OURS = (
    _COMMON
    + """
sys.path.insert(0, {layer!r})
import importlib.util
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from lean_webhooks.adapters.aws import client
for name in {clients!r}:
    client(name)
print(time.perf_counter() - t0)
"""
)
_FLOOR = (
    _COMMON
    + """
import boto3
session = boto3.session.Session()
clients = [session.client(name) for name in {clients!r}]
print(time.perf_counter() - t0)
"""
)


def _environment(logical_id: str) -> dict[str, str]:
    """The function's template environment with placeholder values (nothing is called at init)."""
    refs = {**tpl.parameter_defaults(), "LeanAppId": "8d9a4f52-3b1c-4a43-9c55-0b7f4c1e2a10"}
    spec = tpl.functions()[logical_id]
    env = {}
    for key, value in spec.environment.items():
        try:
            env[key] = str(tpl.resolve(value, refs))
        except KeyError:
            env[key] = f"placeholder-{key.lower()}"
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "TABLE_NAME": "table",
            "SYNC_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
        }
    )
    return env


def _run(code: str) -> float:
    """Seconds the snippet reports, in a fresh interpreter that writes no bytecode (like a read-only layer)."""
    out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return float(out.stdout.strip().splitlines()[-1])


def measure(shipped_layer: Path, sources_layer: Path, runs: int = 11) -> list[dict]:
    """Per function: median init with the shipped layer, with a sources-only layer, and the floor; interleaved
    so that machine noise hits all three alike."""
    rows = []
    for logical_id, clients in CLIENTS.items():
        spec = tpl.functions()[logical_id]
        env = json.dumps(_environment(logical_id))
        path = str(spec.code_dir / "app.py")
        ours, sources, floor = [], [], []
        for _ in range(runs):
            ours.append(_run(_OURS.format(env=env, layer=str(shipped_layer), path=path, clients=clients)))
            sources.append(_run(_OURS.format(env=env, layer=str(sources_layer), path=path, clients=clients)))
            floor.append(_run(_FLOOR.format(env=env, clients=clients)))
        rows.append(
            {
                "function": logical_id,
                "init_ms": round(median(ours) * 1000, 1),
                "floor_ms": round(median(floor) * 1000, 1),
                "ratio": round(median(ours) / median(floor), 2),
                "no_bytecode_ratio": round(median(sources) / median(floor), 2),
                "target": 1.3,
            }
        )
    return rows
