"""boto3 clients, created once per execution environment (endpoints overridable with AWS_ENDPOINT_URL_*)."""

from __future__ import annotations

from functools import cache
from typing import Any

# Timeouts and retry budgets that fit the functions' timeouts (botocore's defaults: 60 s reads, 5 attempts).
# SNS publish: at most 2 attempts of 2 s connect + 5 s read, within the notifier's 30 s.
CLIENT_CONFIG: dict[str, dict[str, Any]] = {
    "sns": {"connect_timeout": 2, "read_timeout": 5, "retries": {"mode": "standard", "total_max_attempts": 2}},
}


@cache
def client(service: str) -> Any:
    import boto3  # lazy: only functions that talk to a service pay for it
    from botocore.config import Config

    config = Config(**CLIENT_CONFIG[service]) if service in CLIENT_CONFIG else None
    return boto3.session.Session().client(service, config=config)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
