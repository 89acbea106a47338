"""Lean simulator, following Lean's published contract (docs/lean-contract.md).

Lean's API:
POST   /oauth2/token                                                    client credentials, scope=api
GET    /customers/v1/{customer_id}/payment-sources[/{payment_source_id}]
DELETE /customers/v1/{customer_id}/payment-sources/{payment_source_id}  {"reason": "USER_REQUESTED"}; GET then 404
GET    /events/v1?page=&size=&from=&to=&type=                           events Lean created, oldest first

Controls for tests and the demo:
PUT    /_sim/customers/{customer_id}/payment-sources/{payment_source_id}   body: a Lean payment source
GET    /_sim/customers/{customer_id}/payment-sources                        what Lean holds for the customer
DELETE /_sim/customers/{customer_id}/payment-sources/{payment_source_id}   Lean deletes it on its side (no webhook)
POST   /_sim/faults    {"status": 503, "count": 2} | {"delay_s": 12, "count": 1} | {"status": 429, "probability": 0.1}
                       | {"trickle_s": 0.5, "count": 1} (the answer's body dribbles out, 16 bytes at a time)
DELETE /_sim/faults
POST   /_sim/webhooks  {"type", "payload", "lost"?}: Lean creates the event, records it for /events/v1 and
                       delivers it signed to the webhook URL unless lost; answers the envelope and the delivery
PUT    /_sim/events-api {"form": "bare" | "wrapped"}: how /events/v1 serves its items: the bare envelope
                       (default), or wrapped as Lean's early webhook samples ({"id", "webhook_message_id", "status",
                       "event_type", "timestamp", "request": <envelope>, "response"})
GET    /_sim/stats     request counters
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from lean_webhooks.core.signature import sign
from lean_webhooks.models.timestamps import parse_rfc3339
from local.aws.wsgi import BackgroundWsgiApp
from local.harness.samples import lean_timestamp

ERROR_STATUS = {
    400: "INVALID_PARAMETERS",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
    404: "RESOURCE_NOT_FOUND",
    401: "UNAUTHORIZED",
}
DELETE_REASONS = frozenset({"USER_REQUESTED"})
MAX_PAGE_SIZE = 100
DELIVERY_TIMEOUT_S = 10  # Lean counts no answer within 10 s as a failed delivery
EVENTS_FORMS = ("bare", "wrapped")


def wrapped(envelope: dict[str, Any]) -> dict[str, Any]:
    """An event as Lean's early webhook samples wrap it (Lean's public Postman repository, UAE/Webhooks):
    `webhook_message_id` is the event's id, `request` the envelope as an object, `response` null."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"message:{envelope['event_id']}")),
        "webhook_message_id": envelope["event_id"],
        "status": "OK",
        "event_type": envelope["type"],
        "timestamp": envelope["timestamp"],
        "request": envelope,
        "response": None,
    }


@dataclass
class Fault:
    status: int | None = None
    delay_s: float = 0.0
    trickle_s: float = 0.0  # pause between 16-byte pieces of the answer's body
    count: int | None = 1  # None: until cleared
    probability: float = 1.0


@dataclass
class SimState:
    client_id: str
    client_secret: str
    app_token: str = ""
    app_id: str = ""
    payment_sources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    events_form: str = "bare"  # how /events/v1 serves its items: "bare" or "wrapped"
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


def _error(status: int, message: str, **metadata: Any) -> Response:
    """Lean's error body: `{"timestamp", "status", "message", "metadata"}` with `status` a code string."""
    headers = {"Retry-After": "1"} if status == 429 else None
    body = {
        "timestamp": lean_timestamp(),
        "status": ERROR_STATUS.get(status, "ERROR"),
        "message": message,
        "metadata": metadata or None,
    }
    return _json(body, status, headers)


def _trickled(response: Response, pause_s: float) -> Response:
    """The same answer, its body sent 16 bytes at a time with a pause before each piece."""
    body = response.get_data()

    def pieces():
        for start in range(0, len(body), 16):
            time.sleep(pause_s)
            yield body[start : start + 16]

    return Response(pieces(), status=response.status_code, headers={"Content-Type": response.mimetype})


class LeanSimulator(BackgroundWsgiApp):
    """WSGI app; `serve()` runs it on a background thread."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        app_token: str = "",
        app_id: str = "",
        webhook_url: str = "",
        webhook_secret: str = "",
    ):
        self.state = SimState(
            client_id=client_id, client_secret=client_secret, app_token=app_token, app_id=app_id or client_id
        )
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self._delivery = requests.Session()
        source = "/customers/v1/<customer_id>/payment-sources/<payment_source_id>"
        self._map = Map(
            [
                Rule("/oauth2/token", methods=["POST"], endpoint="token"),
                Rule("/customers/v1/<customer_id>/payment-sources", methods=["GET"], endpoint="list"),
                Rule(source, methods=["GET"], endpoint="get"),
                Rule(source, methods=["DELETE"], endpoint="delete"),
                Rule("/events/v1", methods=["GET"], endpoint="events"),
                Rule("/_sim" + source.replace("/v1", ""), methods=["PUT"], endpoint="put"),
                Rule("/_sim" + source.replace("/v1", ""), methods=["DELETE"], endpoint="forget"),
                Rule("/_sim/customers/<customer_id>/payment-sources", methods=["GET"], endpoint="held"),
                Rule("/_sim/faults", methods=["POST", "DELETE"], endpoint="faults"),
                Rule("/_sim/webhooks", methods=["POST"], endpoint="webhook"),
                Rule("/_sim/events-api", methods=["PUT"], endpoint="events_form"),
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
        trickle = environ.get("sim.trickle_s")
        if trickle:
            response = _trickled(response, trickle)
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
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 3599, "scope": "api"})

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
            if fault.trickle_s:
                request.environ["sim.trickle_s"] = fault.trickle_s
            if fault.status:
                return _error(fault.status, "simulated fault")
        return None

    def _on_get(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        guard = self._api_guard(request)
        if guard:
            return guard
        source = self.state.payment_sources.get((customer_id.lower(), payment_source_id.lower()))
        if source is None:
            return _error(404, "Payment source not found", payment_source_id=payment_source_id)
        return _json(source)

    def _on_list(self, request: Request, customer_id: str) -> Response:
        self.state.count(f"list:{customer_id.lower()}")  # the calls a refresh makes, per customer
        guard = self._api_guard(request)
        if guard:
            return guard
        return _json([v for (cid, _), v in self.state.payment_sources.items() if cid == customer_id.lower()])

    def _on_delete(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        guard = self._api_guard(request)
        if guard:
            return guard
        self.state.count("delete")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("reason") not in DELETE_REASONS:
            return _error(400, "reason must be one of " + ", ".join(sorted(DELETE_REASONS)))
        with self.state.lock:
            removed = self.state.payment_sources.pop((customer_id.lower(), payment_source_id.lower()), None)
        if removed is None:
            return _error(404, "Payment source not found", payment_source_id=payment_source_id)
        return Response(status=200)

    def _on_events(self, request: Request) -> Response:
        guard = self._api_guard(request)
        if guard:
            return guard
        args = request.args
        try:
            page = int(args.get("page", 0))
            size = int(args.get("size", 20))
            since = parse_rfc3339(args["from"]) if args.get("from") else None
            until = parse_rfc3339(args["to"]) if args.get("to") else None
        except ValueError:
            return _error(400, "page and size must be integers; from and to RFC 3339 timestamps")
        if page < 0 or not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, f"page must be >= 0 and size between 1 and {MAX_PAGE_SIZE}")
        wanted = args.get("type")
        with self.state.lock:
            matching = [
                e
                for e in self.state.events
                if (not wanted or e["type"] == wanted)
                and (since is None or parse_rfc3339(e["timestamp"]) >= since)
                and (until is None or parse_rfc3339(e["timestamp"]) <= until)
            ]
        total_pages = (len(matching) + size - 1) // size
        items = matching[page * size : (page + 1) * size]
        body = {
            "data": [wrapped(e) for e in items] if self.state.events_form == "wrapped" else items,
            "page": {"number": page, "size": size, "total_elements": len(matching), "total_pages": total_pages},
        }
        return _json(body)

    # ----- controls -----
    def _on_put(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json({"error": "body must be a Lean payment source object"}, 400)
        body.setdefault("app_id", self.state.app_id)
        with self.state.lock:
            self.state.payment_sources[(customer_id.lower(), payment_source_id.lower())] = body
        return _json({"stored": True})

    def _on_held(self, request: Request, customer_id: str) -> Response:
        """What Lean holds for the customer (no credentials, no faults, not counted as an API call)."""
        with self.state.lock:
            return _json([v for (cid, _), v in self.state.payment_sources.items() if cid == customer_id.lower()])

    def _on_forget(self, request: Request, customer_id: str, payment_source_id: str) -> Response:
        """Lean deletes the payment source on its side (dashboard, bank): no webhook; its GET answers 404 since."""
        with self.state.lock:
            removed = self.state.payment_sources.pop((customer_id.lower(), payment_source_id.lower()), None)
        if removed is None:
            return _error(404, "Payment source not found", payment_source_id=payment_source_id)
        return _json({"deleted": True})

    def _on_faults(self, request: Request) -> Response:
        with self.state.lock:
            if request.method == "DELETE":
                self.state.faults.clear()
                return _json({"faults": 0})
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not (body.get("status") or body.get("delay_s") or body.get("trickle_s")):
            return _json({"error": 'expected {"status": 503, "count": 2} or {"delay_s": 12, "count": 1}'}, 400)
        fault = Fault(
            status=int(body["status"]) if body.get("status") else None,
            delay_s=float(body.get("delay_s") or 0),
            trickle_s=float(body.get("trickle_s") or 0),
            count=None if body.get("count", 1) is None else int(body.get("count", 1)),
            probability=float(body.get("probability", 1.0)),
        )
        with self.state.lock:
            self.state.faults.append(fault)
            return _json({"faults": len(self.state.faults)})

    def _on_events_form(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        form = body.get("form") if isinstance(body, dict) else None
        if form not in EVENTS_FORMS:
            return _json({"error": 'expected {"form": "bare"} or {"form": "wrapped"}'}, 400)
        with self.state.lock:
            self.state.events_form = form
        return _json({"form": form})

    def _on_webhook(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or "payload" not in body:
            return _json({"error": 'expected {"type": "...", "payload": {...}} and optionally "lost": true'}, 400)
        envelope = self.create_event(body["type"], body["payload"], body.get("message"))
        delivery = {"delivered": False, "status": None, "lost": bool(body.get("lost"))}
        if not delivery["lost"]:
            delivery.update(self.deliver(envelope))
        return _json({"event": envelope, "delivery": delivery})

    def create_event(self, event_type: str, payload: Any, message: str | None = None) -> dict[str, Any]:
        """Lean creates an event (envelope, `event_id`, `timestamp`) and keeps it for `/events/v1`."""
        envelope = {
            "type": event_type,
            "payload": payload,
            "message": message or f"Simulated {event_type} event.",
            "timestamp": lean_timestamp(),
            "event_id": str(uuid.uuid4()),
        }
        with self.state.lock:
            self.state.events.append(envelope)
        return envelope

    def deliver(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """POST the event signed with the webhook secret; only HTTP 200 counts as delivered."""
        if not (self.webhook_url and self.webhook_secret):
            return {"delivered": False, "status": None, "error": "no webhook URL or secret configured"}
        raw = json.dumps(envelope, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", "lean-signature": sign(raw, self.webhook_secret)}
        try:
            answer = self._delivery.post(self.webhook_url, data=raw, headers=headers, timeout=DELIVERY_TIMEOUT_S)
        except requests.RequestException as exc:
            return {"delivered": False, "status": None, "error": type(exc).__name__}
        return {"delivered": answer.status_code == 200, "status": answer.status_code}

    def _on_stats(self, request: Request) -> Response:
        with self.state.lock:
            return _json(dict(self.state.stats))

    def _on_health(self, request: Request) -> Response:
        return _json({"ok": True})
