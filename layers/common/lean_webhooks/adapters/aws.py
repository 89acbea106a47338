"""boto3 clients, created once per execution environment (endpoints overridable with AWS_ENDPOINT_URL_*)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # lazy: only functions that talk to a service pay for it

    return boto3.session.Session().client(service)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
