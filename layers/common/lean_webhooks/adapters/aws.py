"""boto3 clients from one session per execution environment, each created on first use (endpoints overridable
with AWS_ENDPOINT_URL_*)."""

from __future__ import annotations

from functools import cache
from typing import Any

# Timeouts and retry budgets that fit the functions' timeouts (botocore's defaults: 60 s reads, 5 attempts).
CLIENT_CONFIG: dict[str, dict[str, Any]] = {
    # Endpoint management (customer API, 10 s timeout): 2 attempts of 1 s connect + 3 s read per call.
    "sns": {"connect_timeout": 1, "read_timeout": 3, "retries": {"mode": "standard", "total_max_attempts": 2}},
    # Publishing: one attempt. A read timeout can hide a publish SNS accepted, and a botocore retry of it would
    # be a duplicate nobody sees; the stream's redelivery retries instead, counted (`PushesPossiblyDuplicated`).
    "sns:publish": {"connect_timeout": 2, "read_timeout": 5, "retries": {"mode": "standard", "total_max_attempts": 1}},
}


@cache
def session() -> Any:
    """The process's one boto3 session: a session per client costs ~100 ms of cold start each."""
    import boto3  # lazy: only functions that talk to a service pay for it

    return boto3.session.Session()


@cache
def client(service: str, purpose: str = "") -> Any:
    """The process's client for `service` (a separate one per `purpose` with its own CLIENT_CONFIG entry)."""
    from botocore.config import Config

    name = f"{service}:{purpose}" if purpose else service
    config = Config(**CLIENT_CONFIG[name]) if name in CLIENT_CONFIG else None
    return session().client(service, config=config)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
