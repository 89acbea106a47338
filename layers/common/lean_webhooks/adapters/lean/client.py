"""HTTP client for Lean's payment-source and events endpoints: OAuth (cached token) or app token, optional
mTLS, timeouts, and urllib3 retries with backoff on 429/5xx/connection errors honouring `Retry-After`."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lean_webhooks.adapters.lean.credentials import LeanCredentials
from lean_webhooks.models.errors import (
    LeanApiError,
    LeanAuthError,
    LeanNotFound,
    LeanResponseInvalid,
    LeanUnavailable,
    error_for,
)
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.validation import invalid_fields
from lean_webhooks.models.webhook import EventsPage
from lean_webhooks.runtime.config import LeanSettings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TOKEN_REFRESH_MARGIN_S = 60
DELETE_REASON = "USER_REQUESTED"


class CappedRetry(Retry):
    """urllib3 Retry that honours `Retry-After` but never sleeps longer than the Lambda can afford."""

    RETRY_AFTER_CAP_S = 10.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.RETRY_AFTER_CAP_S)


def build_session(max_retries: int, backoff_factor: float = 0.5) -> requests.Session:
    """A Session whose adapter retries idempotent calls (and the token POST) with exponential backoff."""
    retry = CappedRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        backoff_factor=backoff_factor,
        backoff_max=8,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "DELETE"}),  # a repeated DELETE answers 404: handled
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["Accept"] = "application/json"
    return session


class LeanClient:
    """Reads payment sources from Lean's API."""

    def __init__(
        self,
        settings: LeanSettings,
        credentials: LeanCredentials,
        session: requests.Session | None = None,
        clock: Any = time.monotonic,
    ):
        self._settings = settings
        self._credentials = credentials
        self._session = session or build_session(settings.max_retries, settings.backoff_s)
        cert = credentials.write_client_cert()
        if cert:
            self._session.cert = cert
        ca_bundle = credentials.write_ca_bundle()
        if ca_bundle:
            self._session.verify = ca_bundle
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0

    @property
    def _timeout(self) -> tuple[float, float]:
        return (self._settings.connect_timeout_s, self._settings.read_timeout_s)

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        """`GET /customers/v1/{customer_id}/payment-sources/{payment_source_id}`."""
        path = f"/customers/v1/{quote(customer_id, safe='')}/payment-sources/{quote(payment_source_id, safe='')}"
        return self._parse(self._call("GET", path), LeanPaymentSource.model_validate)

    def list_payment_sources(self, customer_id: str) -> list[LeanPaymentSource]:
        """`GET /customers/v1/{customer_id}/payment-sources`."""
        body = self._call("GET", f"/customers/v1/{quote(customer_id, safe='')}/payment-sources")
        if not isinstance(body, list):
            raise LeanResponseInvalid("payment-sources list is not a JSON array")
        return [self._parse(item, LeanPaymentSource.model_validate) for item in body]

    def delete_payment_source(self, customer_id: str, payment_source_id: str) -> bool:
        """`DELETE /customers/v1/{customer_id}/payment-sources/{id}` with `{"reason": "USER_REQUESTED"}`.
        True when Lean deleted it now, False when Lean no longer knew it (404: deleted before)."""
        path = f"/customers/v1/{quote(customer_id, safe='')}/payment-sources/{quote(payment_source_id, safe='')}"
        try:
            self._call("DELETE", path, json={"reason": DELETE_REASON}, expect_json=False)
        except LeanNotFound:
            return False
        return True

    def list_events(
        self, event_type: str, since: datetime, until: datetime, page: int = 0, size: int = 100
    ) -> EventsPage:
        """`GET /events/v1?page=&size=&from=&to=&type=`: events Lean created (and sent over webhooks) in a window.
        Lean publishes `{"data": [...], "page": {"number", "size", "total_elements", "total_pages"}}`; paging
        stops at the last page, or at the first empty one when `page` is missing."""
        params = {"page": page, "size": size, "from": _stamp(since), "to": _stamp(until), "type": event_type}
        body = self._call("GET", "/events/v1", params=params)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise LeanResponseInvalid("events answer has no data array")
        paging = body.get("page") if isinstance(body.get("page"), dict) else {}
        total_pages = paging.get("total_pages")
        has_next = (page + 1 < total_pages) if isinstance(total_pages, int) else bool(data)
        return EventsPage(events=[e for e in data if isinstance(e, dict)], has_next=has_next)

    @staticmethod
    def _parse(body: Any, validate: Any) -> Any:
        try:
            return validate(body)
        except ValidationError as exc:
            raise LeanResponseInvalid(f"unexpected payment source shape: {', '.join(invalid_fields(exc))}") from None

    def _call(self, method: str, path: str, expect_json: bool = True, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code in (401, 403) and self._settings.auth_mode == "oauth":
            self._token = None  # token revoked or expired early: fetch a new one once
            response = self._request(method, path, **kwargs)
        if not expect_json and response.ok:
            return None
        return self._json_or_raise(response)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = self._auth_headers()
        try:
            return self._session.request(
                method, self._settings.api_base_url + path, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise LeanUnavailable(f"Lean API unreachable: {type(exc).__name__}", lean_status="timeout") from None

    def _auth_headers(self) -> dict[str, str]:
        if self._settings.auth_mode == "app_token":
            return {"lean-app-token": self._credentials.app_token}
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _access_token(self) -> str:
        if self._token and self._clock() < self._token_expires_at:
            return self._token
        try:
            response = self._session.post(
                self._settings.auth_base_url + "/oauth2/token",
                data={
                    "client_id": self._credentials.client_id,
                    "client_secret": self._credentials.client_secret,
                    "grant_type": "client_credentials",
                    "scope": "api",
                },
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise LeanUnavailable(f"Lean auth unreachable: {type(exc).__name__}", lean_status="timeout") from None
        body = self._json_or_raise(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise LeanAuthError("Lean token response has no access_token", http_status=response.status_code)
        expires_in = float(body.get("expires_in") or 300)
        self._token = str(token)
        self._token_expires_at = self._clock() + max(expires_in - TOKEN_REFRESH_MARGIN_S, expires_in / 2)
        return self._token

    @staticmethod
    def _json_or_raise(response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok:
            if body is None:
                raise LeanResponseInvalid("Lean answered 2xx without JSON", http_status=response.status_code)
            return body
        lean_status = body.get("status") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        raise error_for(response.status_code, lean_status, f"Lean API {response.status_code}: {message or ''}")


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["LeanApiError", "LeanClient", "build_session"]
