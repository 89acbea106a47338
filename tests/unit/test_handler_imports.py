"""Each function imports only what its path runs: heavy modules stay out of a cold start that does not use them.

Every handler is imported in a fresh interpreter with its template environment; the test then lists which
modules are loaded. A reordered import (Powertools Batch loads every parser model once pydantic is imported) or
a model imported for a type hint fails here, not silently in the benchmark. A second probe then builds the use
cases the function's first request asks the composition root for, and lists again: the ports (Protocols, read only
by type checkers), the domain events' models (the publisher's) and pydantic stay out wherever nothing runs them.
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
PORTS = "lean_webhooks.core.ports"
DOMAIN_EVENTS = "lean_webhooks.models.domain_events"
WEBHOOK_MODELS = "lean_webhooks.models.webhook"
WRITE_PLANS = "lean_webhooks.models.write_plan"
PUSH_MODELS = "lean_webhooks.models.push"  # the push vocabulary: for the functions that push
# function -> modules that must not be loaded after importing its handler
FORBIDDEN = {
    "NotifyActiveFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS, PORTS, DOMAIN_EVENTS],
    "ReconcilePushesFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS, PORTS, DOMAIN_EVENTS],
    # its routes name their use cases' types for `Depends`, the reader's by its port: the ports load at run time
    "CustomerApiFunction": [LEAN_MODELS, "requests", PARSER_MODELS, DOMAIN_EVENTS],
    "WebhookFunction": [
        LEAN_MODELS,
        "requests",
        "boto3",
        PARSER_MODELS,
        EVENT_HANDLER,
        "asyncio",
        PORTS,
        DOMAIN_EVENTS,
        PUSH_MODELS,
    ],
    "SyncPaymentSourceFunction": [PARSER_MODELS, PORTS, DOMAIN_EVENTS, PUSH_MODELS],
    "RecoverCoolOffFunction": ["pydantic", LEAN_MODELS, "requests", PARSER_MODELS, PORTS, DOMAIN_EVENTS, PUSH_MODELS],
    "ReconcileEventsFunction": [PARSER_MODELS, PORTS, DOMAIN_EVENTS, PUSH_MODELS],
    # the domain events are plain dataclasses: nothing of Lean's webhooks, no pydantic
    "PublishDomainEventsFunction": [
        "pydantic",
        WEBHOOK_MODELS,
        LEAN_MODELS,
        "requests",
        PARSER_MODELS,
        PORTS,
        PUSH_MODELS,
    ],
}
# function -> (the composition root's builders its first request calls, modules that must not be loaded then)
BUILT = {
    "WebhookFunction": (
        ["webhook_intake"],
        [LEAN_MODELS, "requests", EVENT_HANDLER, PORTS, DOMAIN_EVENTS, PUSH_MODELS],
    ),
    "SyncPaymentSourceFunction": (
        ["event_sync", "sync_retry_policy"],
        [PORTS, DOMAIN_EVENTS, EVENT_HANDLER, PUSH_MODELS],
    ),
    "NotifyActiveFunction": (["activation_push"], ["pydantic", LEAN_MODELS, "requests", PORTS, DOMAIN_EVENTS]),
    "ReconcilePushesFunction": (["push_reconciler"], ["pydantic", LEAN_MODELS, "requests", PORTS, DOMAIN_EVENTS]),
    "PublishDomainEventsFunction": (  # it reads stored items: none of the writers' plans, no refresh marker
        ["domain_event_publisher"],
        ["pydantic", WEBHOOK_MODELS, "requests", PORTS, PUSH_MODELS, WRITE_PLANS, "lean_webhooks.models.refresh"],
    ),
    "RecoverCoolOffFunction": (
        ["cool_off_recovery"],
        ["pydantic", LEAN_MODELS, "requests", PORTS, DOMAIN_EVENTS, PUSH_MODELS],
    ),
    "ReconcileEventsFunction": (["events_reconciler"], [PORTS, DOMAIN_EVENTS, PUSH_MODELS]),
    "CustomerApiFunction": (  # every route's use case; Lean's client and models wait for the first call to Lean
        [
            "device_registry",
            "payment_source_reader",
            "payment_source_refresh",
            "payment_source_deletion",
            "customer_erasure",
        ],
        [LEAN_MODELS, "requests", DOMAIN_EVENTS],
    ),
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
from lean_webhooks import wiring
for builder in {builders!r}:
    getattr(wiring, builder)()
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after_import(function: str, builders: tuple[str, ...] = ()) -> set[str]:
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
    code = PROBE.format(
        layer=str(tpl.ROOT / "layers" / "common"), env=env, app=str(spec.code_dir / "app.py"), builders=builders
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("function", sorted(FORBIDDEN))
def test_a_handler_imports_nothing_heavy_its_path_does_not_run(function):
    loaded = loaded_after_import(function)
    for module in FORBIDDEN[function]:
        assert not any(m == module or m.startswith(module + ".") for m in loaded), (function, module)
    assert "lean_webhooks.runtime.observability" in loaded  # the probe really imported the handler


@pytest.mark.parametrize("function", sorted(BUILT))
def test_building_a_functions_use_cases_loads_nothing_they_do_not_run(function):
    builders, forbidden = BUILT[function]
    loaded = loaded_after_import(function, tuple(builders))
    for module in forbidden:
        assert not any(m == module or m.startswith(module + ".") for m in loaded), (function, module)
    assert any(m.startswith("lean_webhooks.core.") for m in loaded)  # the probe really built a use case


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


SETTINGS = "lean_webhooks.runtime.settings."
# function -> the settings modules its start and first request read (runtime/settings/: one module per function)
OWN_SETTINGS = {
    "WebhookFunction": {"webhook"},
    "SyncPaymentSourceFunction": {"sync", "lean"},
    "NotifyActiveFunction": {"push"},
    "ReconcilePushesFunction": {"push"},
    "PublishDomainEventsFunction": {"publisher"},
    "RecoverCoolOffFunction": {"tables", "lean"},
    "ReconcileEventsFunction": {"tables", "lean"},
    "CustomerApiFunction": {"customer_api", "push", "lean"},
}


@pytest.mark.parametrize("function", sorted(OWN_SETTINGS))
def test_a_function_loads_only_its_own_settings(function):
    loaded = loaded_after_import(function, tuple(BUILT.get(function, ([], []))[0]))
    settings = {m.removeprefix(SETTINGS) for m in loaded if m.startswith(SETTINGS)}
    assert settings == OWN_SETTINGS[function]
