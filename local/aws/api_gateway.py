"""API Gateway HTTP API emulator: routes read from template.yaml, requests turned into payload-2.0 events."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from local.aws import template as tpl
from local.aws.functions import LocalFunction
from local.aws.lambda_events import http_api_event
from local.aws.sigv4 import SigV4Verifier
from local.aws.wsgi import BackgroundWsgiApp

log = logging.getLogger("local.aws.api_gateway")
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # HTTP API's own limit; the webhook function enforces a smaller cap


OPENAPI = tpl.ROOT / "docs" / "openapi.json"  # the customer API's document, generated from its code


class ApiEmulator(BackgroundWsgiApp):
    """WSGI app: match a template route, build the event, invoke the function, shape its answer."""

    def __init__(
        self,
        functions: dict[str, LocalFunction],
        health: Callable[[], dict[str, bool]],
        schedules: dict | None = None,
        chaos: Callable[[], dict[str, Any]] | None = None,
        domain_events: Callable[[], list[dict[str, Any]]] | None = None,
        description: Callable[[], dict[str, Any]] | None = None,
        verifier: SigV4Verifier | None = None,
    ):
        self._functions = functions
        self._verifier = verifier or SigV4Verifier()  # the IAM routes' SigV4 check, as API Gateway makes it
        self._chaos = chaos
        self._schedules = schedules or {}
        self._health = health
        self._domain_events = domain_events or list
        self._description = description or dict
        self._routes = tpl.http_routes()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path == "/_local/health" and request.method == "GET":
            parts = self._health()
            return _json({"ok": all(parts.values()), "parts": parts}, 200 if all(parts.values()) else 503)
        if request.path == "/_local/openapi.json" and request.method == "GET":
            return Response(OPENAPI.read_bytes(), 200, content_type="application/json")
        if request.path == "/_local/chaos" and request.method == "GET" and self._chaos:
            return _json(self._chaos(), 200)
        if request.path == "/_local/domain-events" and request.method == "GET":
            wanted = request.args.get("detail_type")
            events = [e for e in self._domain_events() if wanted is None or e.get("detail-type") == wanted]
            return _json(events, 200)
        if request.path == "/_local/stack" and request.method == "GET":
            return _json(self._description(), 200)
        if request.path.startswith("/_local/schedules/") and request.method == "POST":
            scheduler = self._schedules.get(request.path.rsplit("/", 1)[1])
            if scheduler is None:
                return _json({"message": "no such scheduled function", "known": sorted(self._schedules)}, 404)
            try:
                return _json({"result": scheduler.trigger()}, 200)
            except Exception as exc:  # the function's error, as Lambda's invoke reports a FunctionError
                return _json({"error": type(exc).__name__, "message": str(exc)}, 500)
        route, params = self._match(request.method, request.path)
        if route is None:
            return _json({"message": "Not Found"}, 404)
        if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
            return _json({"message": "Request Entity Too Large"}, 413)
        body = request.get_data(cache=False)
        if route.iam_auth:
            refusal = self._verifier.check(request.method, _url_as_sent(request), request.headers, body)
            if refusal:
                response = _json({"message": refusal.message}, 403)
                response.headers["x-amzn-ErrorType"] = refusal.error_type
                return response
        event = http_api_event(
            request.method,
            request.path,
            body=body,
            headers=dict(request.headers),
            route_key=f"{route.method} {route.path}",
            path_parameters=params,
            query=request.query_string.decode(),
            source_ip=request.remote_addr or "127.0.0.1",
            iam_authorised=route.iam_auth,
        )
        try:
            result = self._functions[route.function].invoke(event)
        except Exception:
            log.exception("%s failed", route.function)
            return _json({"message": "Internal Server Error"}, 500)
        return _to_response(result)

    def _match(self, method: str, path: str) -> tuple[tpl.Route | None, dict[str, str]]:
        for route in self._routes:
            found = route.regex.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None, {}  # as in AWS, a known path with another method is "Not Found" too


def _url_as_sent(request: Request) -> str:
    """The URL the client signed: its Host header, and the path and query as on the request line."""
    target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not target:
        query = request.query_string.decode()
        target = quote(request.path) + (f"?{query}" if query else "")
    return f"{request.scheme}://{request.host}{target}"


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _to_response(result: Any) -> Response:
    """Lambda's payload-2.0 answer to an HTTP response (a bare dict/str is a 200 JSON body, as in AWS)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return Response(json.dumps(result), status=200, mimetype="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(data, status=int(result["statusCode"]))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response
