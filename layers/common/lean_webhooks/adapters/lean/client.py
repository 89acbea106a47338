"""HTTP client for Lean's payment-source and events endpoints: OAuth (cached token) or app token, optional
mTLS, timeouts, and urllib3 retries with backoff on 429/5xx/connection errors honouring `Retry-After`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lean_webhooks.models.errors import (
    LeanApiError,
    LeanAuthError,
    LeanNotFound,
    LeanResponseInvalid,
    LeanUnavailable,
    error_for,
)
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.refresh import PaymentSourceListing, readable_id
from lean_webhooks.models.validation import invalid_fields
from lean_webhooks.models.webhook import EventsPage

if TYPE_CHECKING:
    from lean_webhooks.adapters.lean.credentials import LeanCredentials
    from lean_webhooks.runtime.settings.lean import LeanSettings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TOKEN_REFRESH_MARGIN_S = 60
DELETE_REASON = "USER_REQUESTED"


MAX_BODY_BYTES = 4 * 1024 * 1024
RETRY_AFTER_MAX_S = 300.0
_DEADLINE: ContextVar[float | None] = ContextVar("lean_call_deadline", default=None)
_TOTAL: ContextVar[float | None] = ContextVar("lean_total_deadline", default=None)  # set by `within`
_ATTEMPT: ContextVar[float] = ContextVar("lean_attempt_seconds", default=0.0)  # one try's socket timeouts


class CallDeadlineExceeded(Exception):
    """The call's total deadline passed (slow answers, trickled bytes or Retry-After waits added up)."""


class CappedRetry(Retry):
    """urllib3 Retry that honours `Retry-After` (capped) and never sleeps past the current call's deadline; inside
    `LeanClient.within`, it starts no try that could outlast the total either (its wait plus one try's socket
    timeouts must fit)."""

    RETRY_AFTER_CAP_S = 10.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.RETRY_AFTER_CAP_S)

    def sleep(self, response: Any = None) -> None:
        deadline = _DEADLINE.get()
        if deadline is not None:
            wait = self.get_retry_after(response) if response is not None else None
            if time.monotonic() + (self.get_backoff_time() if wait is None else wait) + _ATTEMPT.get() >= deadline:
                raise CallDeadlineExceeded("no time left for another try")
        super().sleep(response)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read in full within the call's deadline."""

    status_code: int
    body: bytes
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 400


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

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Every exchange inside (a token and a call, their retries and waits) ends within `seconds` in total: for
        the app backend's calls, which API Gateway answers within 30 s."""
        token = _TOTAL.set(time.monotonic() + seconds)
        try:
            yield
        finally:
            _TOTAL.reset(token)

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        """`GET /customers/v1/{customer_id}/payment-sources/{payment_source_id}`."""
        path = f"/customers/v1/{quote(customer_id, safe='')}/payment-sources/{quote(payment_source_id, safe='')}"
        return self._parse(self._call("GET", path), LeanPaymentSource.model_validate)

    def list_payment_sources(self, customer_id: str) -> list[LeanPaymentSource]:
        """`GET /customers/v1/{customer_id}/payment-sources`, every item read (`LeanResponseInvalid` otherwise)."""
        listing = self.read_payment_sources(customer_id)
        if listing.unreadable_ids:
            raise LeanResponseInvalid(f"{len(listing.unreadable_ids)} unreadable item(s) in the payment-sources list")
        return listing.sources

    def read_payment_sources(self, customer_id: str) -> PaymentSourceListing:
        """`GET /customers/v1/{customer_id}/payment-sources`: the items that can be read, and the ids (when
        readable) of those that cannot. An answer that is not a JSON array is `LeanResponseInvalid`."""
        body = self._call("GET", f"/customers/v1/{quote(customer_id, safe='')}/payment-sources")
        if not isinstance(body, list):
            raise LeanResponseInvalid("payment-sources list is not a JSON array")
        listing = PaymentSourceListing()
        for item in body:
            try:
                listing.sources.append(LeanPaymentSource.model_validate(item))
            except ValidationError:
                listing.unreadable_ids.append(readable_id(item))
        return listing

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
        Assumed `{"data": [...], "page": {"number", "size", "total_elements", "total_pages"}}` (Lean publishes no
        answer body); paging stops at the last page, or at the first empty one when `page` is missing."""
        params = {"page": page, "size": size, "from": _stamp(since), "to": _stamp(until), "type": event_type}
        body = self._call("GET", "/events/v1", params=params)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise LeanResponseInvalid("events answer has no data array")
        paging = body.get("page") if isinstance(body.get("page"), dict) else {}
        total_pages = paging.get("total_pages")
        has_next = (page + 1 < total_pages) if isinstance(total_pages, int) else bool(data)
        return EventsPage(events=list(data), has_next=has_next)  # items the reconciler cannot read are counted there

    @staticmethod
    def _parse(body: Any, validate: Any) -> Any:
        try:
            return validate(body)
        except ValidationError as exc:
            raise LeanResponseInvalid(f"unexpected payment source shape: {', '.join(invalid_fields(exc))}") from None

    def _call(self, method: str, path: str, expect_json: bool = True, **kwargs: Any) -> Any:
        answer = self._request(method, path, **kwargs)
        if answer.status_code in (401, 403) and self._settings.auth_mode == "oauth":
            self._token = None  # token revoked or expired early: fetch a new one once
            answer = self._request(method, path, **kwargs)
        if not expect_json and answer.ok:
            return None
        return self._json_or_raise(answer)

    def _request(self, method: str, path: str, **kwargs: Any) -> Answer:
        headers = self._auth_headers()
        return self._send(method, self._settings.api_base_url + path, "Lean API", headers=headers, **kwargs)

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> Answer:
        """One exchange with Lean (its retries included) within a total deadline: a read timeout bounds each
        socket read only, so the body is read against the deadline too, and no retry waits past it."""
        deadline = time.monotonic() + self._settings.call_deadline_s
        total = _TOTAL.get()
        if total is not None:
            if total <= time.monotonic():
                raise LeanUnavailable(f"{what} call not started: no time left", lean_status="deadline")
            deadline = min(deadline, total)
        left = max(deadline - time.monotonic(), 0.1)
        timeout = (min(self._timeout[0], left), min(self._timeout[1], left))  # no socket wait past the deadline
        tokens = _DEADLINE.set(deadline), _ATTEMPT.set(sum(timeout) if total is not None else 0.0)
        try:
            response = self._session.request(method, url, timeout=timeout, stream=True, **kwargs)
            with response:
                body = _read_within(response, deadline)
                return Answer(response.status_code, body, response.headers.get("Retry-After"))
        except CallDeadlineExceeded:
            raise LeanUnavailable(f"{what} call exceeded its deadline", lean_status="deadline") from None
        except requests.RequestException as exc:
            raise LeanUnavailable(f"{what} unreachable: {type(exc).__name__}", lean_status="timeout") from None
        finally:
            _DEADLINE.reset(tokens[0])
            _ATTEMPT.reset(tokens[1])

    def _auth_headers(self) -> dict[str, str]:
        if self._settings.auth_mode == "app_token":
            return {"lean-app-token": self._credentials.app_token}
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _access_token(self) -> str:
        if self._token and self._clock() < self._token_expires_at:
            return self._token
        answer = self._send(
            "POST",
            self._settings.auth_base_url + "/oauth2/token",
            "Lean auth",
            data={
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret,
                "grant_type": "client_credentials",
                "scope": "api",
            },
        )
        body = self._json_or_raise(answer)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise LeanAuthError("Lean token response has no access_token", http_status=answer.status_code)
        expires_in = float(body.get("expires_in") or 300)
        self._token = str(token)
        self._token_expires_at = self._clock() + max(expires_in - TOKEN_REFRESH_MARGIN_S, expires_in / 2)
        return self._token

    @staticmethod
    def _json_or_raise(answer: Answer) -> Any:
        try:
            body = json.loads(answer.body) if answer.body else None
        except (ValueError, RecursionError):
            body = None
        if answer.ok:
            if body is None:
                raise LeanResponseInvalid("Lean answered 2xx without JSON", http_status=answer.status_code)
            return body
        lean_status = body.get("status") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        raise error_for(
            answer.status_code,
            lean_status,
            f"Lean API {answer.status_code}: {message or ''}",
            retry_after_seconds(answer.retry_after),
        )


def _read_within(response: requests.Response, deadline: float) -> bytes:
    """The whole body, or CallDeadlineExceeded when it trickles in past the deadline."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=8192):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise LeanResponseInvalid("Lean's answer is larger than any payment source")
        if time.monotonic() > deadline:
            raise CallDeadlineExceeded("the answer trickled in past the deadline")
    return b"".join(chunks)


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["LeanApiError", "LeanClient", "build_session"]
