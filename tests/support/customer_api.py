"""Calling the customer API's handler as API Gateway would: the route matched from the template, a payload-2.0
event signed by the IAM authorizer, the JSON answer read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.aws import template as tpl
from local.aws.lambda_events import http_api_event


def customer_api_event(method: str, path: str, body: Any = None, query: str = "") -> dict[str, Any]:
    """The event API Gateway hands the function for `method path` (its route and path parameters read from the
    template)."""
    for route in tpl.http_routes():
        found = route.regex.match(path)
        if found and route.method == method and route.iam_auth:
            raw = json.dumps(body).encode() if body is not None else b""
            return http_api_event(
                method,
                path,
                body=raw,
                headers={"content-type": "application/json"} if raw else {},
                route_key=f"{route.method} {route.path}",
                path_parameters=found.groupdict(),
                query=query,
                iam_authorised=True,
            )
    raise LookupError(f"no customer route for {method} {path}")


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def answer(api: Any, method: str, path: str, body: Any = None, query: str = "", **use_cases: Any) -> Answer:
    """The customer API's answer (JSON body or None, headers in lower case); `use_cases` go to the handler."""
    result = api.invoke(customer_api_event(method, path, body, query), **use_cases)
    headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    return Answer(result["statusCode"], json.loads(result["body"]) if result.get("body") else None, headers)


def call(api: Any, method: str, path: str, body: Any = None, query: str = "", **use_cases: Any) -> tuple[int, Any]:
    """(status, JSON body or None) of the customer API's answer."""
    found = answer(api, method, path, body, query, **use_cases)
    return found.status, found.body
