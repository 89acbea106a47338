"""Lean simulator: OAuth token endpoint, payment-source GETs, and `/_sim` controls for tests and the demo.

PUT    /_sim/customers/{customer_id}/payment-sources/{payment_source_id}   body: a Lean payment source
POST   /_sim/faults    {"status": 503, "count": 2} | {"delay_s": 12, "count": 1} | {"status": 429, "probability": 0.1}
DELETE /_sim/faults
GET    /_sim/stats     request counters
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local.wsgi import BackgroundWsgiApp

ERROR_STATUS = {
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
    404: "RESOURCE_NOT_FOUND",
    401: "UNAUTHORIZED",
}


@dataclass
class Fault:
    status: int | None = None
    delay_s: float = 0.0
    count: int | None = 1  # None: until cleared
    probability: float = 1.0


@dataclass
class SimState:
    client_id: str
    client_secret: str
    app_token: str = ""
    payment_sources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    stats: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            self.stats[name] = self.stats.get(name, 0) + 1

    def next_fault(self) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count is not None and fault.count <= 0:
                    continue
                if fault.probability < 1.0 and random.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                return fault
        return None


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _error(status: int, message: str) -> Response:
    headers = {"Retry-After": "1"} if status == 429 else None
    return _json({"status": ERROR_STATUS.get(status, "ERROR"), "message": message}, status, headers)


class LeanSimulator(BackgroundWsgiApp):
    """WSGI app; `serve()` runs it on a background thread."""

    def __init__(self, client_id: str, client_secret: str, app_token: str = ""):
        self.state = SimState(client_id=client_id, client_secret=client_secret, app_token=app_token)
        self._map = Map(
            [
                Rule("/oauth2/token", methods=["POST"], endpoint="token"),
                Rule("/customers/v1/<customer_id>/payment-sources", methods=["GET"], endpoint="list"),
                Rule(
                    "/customers/v1/<customer_id>/payment-sources/<payment_source_id>", methods=["GET"], endpoint="get"
                ),
                Rule(
                    "/_sim/customers/<customer_id>/payment-sources/<payment_source_id>", methods=["PUT"], endpoint="put"
                ),
                Rule("/_sim/faults", methods=["POST", "DELETE"], endpoint="faults"),
                Rule("/_sim/stats", methods=["GET"], endpoint="stats"),
                Rule("/_sim/health", methods=["GET"], endpoint="health"),
            ]
        )

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        adapter = self._map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except Exception as exc:  # werkzeug NotFound / MethodNotAllowed are responses themselves
            return exc(environ, start_response)
        response = getattr(self, f"_on_{endpoint}")(request, **args)
        return response(environ, start_response)

    # ----- Lean API -----
    def _on_token(self, request: Request) -> Response:
        self.state.count("token")
        form = request.form
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "api":
            return _json({"error": "invalid_request"}, 400)
        if form.get("client_id") != self.state.client_id or form.get("client_secret") != self.state.client_secret:
            return _json({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens.add(token)
        return _json({"access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": "api"})

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.state.tokens:
            return True
        app_token = request.headers.get("lean-app-token")
        return bool(self.state.app_token) and app_token == self.state.app_token

    def _api_guard(self, request: Request) -> Response | None:
        self.state.count("api")
        if not self._authorised(request):
            return _error(401, "missing or invalid credentials")
        fault = self.state.next_fault()
        if fault:
            self.state.count("faults")
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.status:
                return _error(fault.status, "simulated fault")
        return None

    def _on_get(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        guard = self._api_guard(request)
        if guard:
            return guard
        source = self.state.payment_sources.get((customer_id.lower(), payment_source_id.lower()))
        if source is None:
            return _error(404, "payment source not found")
        return _json(source)

    def _on_list(self, request: Request, customer_id: str) -> Response:
        guard = self._api_guard(request)
        if guard:
            return guard
        return _json([v for (cid, _), v in self.state.payment_sources.items() if cid == customer_id.lower()])

    # ----- controls -----
    def _on_put(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json({"error": "body must be a Lean payment source object"}, 400)
        with self.state.lock:
            self.state.payment_sources[(customer_id.lower(), payment_source_id.lower())] = body
        return _json({"stored": True})

    def _on_faults(self, request: Request) -> Response:
        with self.state.lock:
            if request.method == "DELETE":
                self.state.faults.clear()
                return _json({"faults": 0})
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not (body.get("status") or body.get("delay_s")):
            return _json({"error": 'expected {"status": 503, "count": 2} or {"delay_s": 12, "count": 1}'}, 400)
        fault = Fault(
            status=int(body["status"]) if body.get("status") else None,
            delay_s=float(body.get("delay_s") or 0),
            count=None if body.get("count", 1) is None else int(body.get("count", 1)),
            probability=float(body.get("probability", 1.0)),
        )
        with self.state.lock:
            self.state.faults.append(fault)
            return _json({"faults": len(self.state.faults)})

    def _on_stats(self, request: Request) -> Response:
        with self.state.lock:
            return _json(dict(self.state.stats))

    def _on_health(self, request: Request) -> Response:
        return _json({"ok": True})
