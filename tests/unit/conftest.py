"""Unit-test fixtures: moto in-process with the template's resources, the Lean simulator on a free port,
and the function handlers loaded with the environment the template gives them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.aws import template as tpl
from local.aws.functions import LocalFunction
from local.aws.resources import LOCAL_CLIENT_SECRET, LocalSettings, create_all, function_environment, local_app_id
from local.lean_sim import LeanSimulator
from tests.support.constants import WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "LeanWebhooks")


@pytest.fixture
def lean_sim() -> Iterator[tuple[LeanSimulator, str]]:
    sim = LeanSimulator(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET, app_token="unit-app-token")
    port = sim.serve("127.0.0.1", 0)
    yield sim, f"http://127.0.0.1:{port}"
    sim.shutdown()


@pytest.fixture
def aws(lean_sim: tuple[LeanSimulator, str]) -> Iterator[dict[str, Any]]:
    """moto with every table, queue and secret of the template; returns clients and resolved refs."""
    with mock_aws():
        forget_everything()
        clients = {
            name: boto3.client(name, region_name="us-east-1")
            for name in ("dynamodb", "dynamodbstreams", "sqs", "secretsmanager", "sns", "events")
        }
        refs = create_all(clients, LocalSettings(webhook_secret=WEBHOOK_SECRET, lean_base_url=lean_sim[1]))
        yield {"clients": clients, "refs": refs, "sim": lean_sim[0], "lean_url": lean_sim[1]}
        forget_everything()


def forget_everything() -> None:
    """What a new execution environment starts without: clients, cached secrets and texts, every part wired."""
    from lean_webhooks import wiring
    from lean_webhooks.adapters.aws import client, session
    from lean_webhooks.adapters.push_texts import forget_push_texts
    from lean_webhooks.adapters.secrets import forget_secrets

    client.cache_clear()
    session.cache_clear()
    forget_secrets()
    forget_push_texts()
    wiring.reset()


@pytest.fixture
def load_function(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    """Load a template function's handler (fresh module) with its template environment."""

    def load(logical_id: str, **overrides: str) -> LocalFunction:
        spec = tpl.functions()[logical_id]
        environment = {**function_environment(spec, aws["refs"]), **overrides}
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return LocalFunction(spec, environment)

    return load
