"""JSON secrets from Secrets Manager through Powertools Parameters (cached in the execution environment)."""

from __future__ import annotations

from functools import cache
from typing import Any

from lean_webhooks.adapters.aws import client
from lean_webhooks.runtime.config import ConfigError
from lean_webhooks.runtime.observability import register_secret


@cache
def _provider() -> Any:
    """Powertools' Secrets Manager provider on the process's shared client (not a session of its own)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider  # lazy: keeps cold start lean

    return SecretsProvider(boto3_client=client("secretsmanager"))


def forget_secrets() -> None:
    """Drop the cached secrets and provider (what their max age does; tests and a new AWS context use it)."""
    _provider.cache_clear()


def get_json_secret(secret_id: str, max_age_s: int) -> dict[str, Any]:
    """The secret's JSON object; raises ConfigError when it is not a JSON object."""
    value = _provider().get(secret_id, transform="json", max_age=max_age_s)
    if not isinstance(value, dict):
        raise ConfigError(f"secret {secret_id} must hold a JSON object")
    return value


def webhook_secrets(secret_id: str, max_age_s: int) -> tuple[str, ...]:
    """Current and previous webhook secrets (either may be empty during rotation, never both)."""
    value = get_json_secret(secret_id, max_age_s)
    secrets = tuple(str(value.get(key) or "") for key in ("current", "previous"))
    for secret in secrets:
        register_secret(secret)  # never in a log line
    if not any(secrets):
        raise ConfigError(f"secret {secret_id} has neither a 'current' nor a 'previous' webhook secret")
    return secrets
