"""Each function imports only what its path runs: heavy modules stay out of a cold start that does not use them.

Every handler is imported in a fresh interpreter with its template environment; the test then lists which
modules are loaded. A reordered import (Powertools Batch loads every parser model once pydantic is imported) or
a model imported for a type hint fails here, not silently in the benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from local.aws import template as tpl
from local.aws.resources import function_environment

PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"
LEAN_MODELS = "lean_webhooks.models.payment_source"
EVENT_HANDLER = "aws_lambda_powertools.event_handler"  # with asyncio, through its AppSync resolvers
# function -> modules that must not be loaded after importing its handler
FORBIDDEN = {
    "NotifyActiveFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS],
    "ReconcilePushesFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS],
    "CustomerApiFunction": [LEAN_MODELS, "requests", PARSER_MODELS],
    "WebhookFunction": [LEAN_MODELS, "requests", "boto3", PARSER_MODELS, EVENT_HANDLER, "asyncio"],
    "SyncPaymentSourceFunction": [PARSER_MODELS],
    "RecoverCoolOffFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS],  # until something is overdue
    "ReconcileEventsFunction": [PARSER_MODELS],
}
PROBE = """
import importlib.util, json, os, socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("a connection at init: " + repr(args))
socket.socket.connect = socket.create_connection = refuse  # init must open no connection (SnapStart)
sys.path.insert(0, {layer!r})
os.environ.update({env})
spec = importlib.util.spec_from_file_location("app", {app!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after_import(function: str) -> set[str]:
    spec = tpl.functions()[function]
    template = tpl.load()
    refs = {name: p.get("Default", "") for name, p in template["Parameters"].items()}
    refs.update({name: f"local-{name}" for name in template["Resources"]})
    refs.update(
        {
            f"{name}.{attribute}": f"arn:aws:local:{name}"
            for name in template["Resources"]
            for attribute in ("Arn", "QueueName", "StreamArn")
        }
    )
    refs["LeanAppId"] = "2c9280887230f322017231b408cf0007"
    env = {**function_environment(spec, refs), "AWS_DEFAULT_REGION": "me-central-1"}
    code = PROBE.format(layer=str(tpl.ROOT / "layers" / "common"), env=env, app=str(spec.code_dir / "app.py"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("function", sorted(FORBIDDEN))
def test_a_handler_imports_nothing_heavy_its_path_does_not_run(function):
    loaded = loaded_after_import(function)
    for module in FORBIDDEN[function]:
        assert not any(m == module or m.startswith(module + ".") for m in loaded), (function, module)
    assert "lean_webhooks.runtime.observability" in loaded  # the probe really imported the handler


def test_snapstart_hooks_reseed_what_every_resumed_environment_would_share(monkeypatch):
    import random
    import sys
    import types

    from lean_webhooks.runtime import snapstart

    hooks = []
    fake = types.SimpleNamespace(register_after_restore=hooks.append)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    snapstart.register_hooks()
    assert hooks == [snapstart.reseed]
    random.seed(7)
    snapshot = random.random()
    random.seed(7)
    hooks[0]()  # a restore
    assert random.random() != snapshot
