"""Webhook intake: allowlist, size cap, signature, validation, replay window, routing to the sync queue.

Knows nothing of Lambda or HTTP: the handler hands it raw bytes and a header, and maps a `Rejection` to its
status code. A rejected webhook changes nothing.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from lean_webhooks.core import signature
from lean_webhooks.models.timestamps import Clock, utc_now
from lean_webhooks.models.validation import invalid_details
from lean_webhooks.models.webhook import (
    SYNC_TYPES,
    BeneficiaryEvent,
    PaymentSourceUpdatedEvent,
    WebhookEnvelope,
    parse_webhook,
)

if TYPE_CHECKING:
    from lean_webhooks.core.ports import SyncQueue


class IntakeLimits(Protocol):
    """What the intake checks a webhook against; the webhook function's settings carry it."""

    @property
    def allowed_cidrs(self) -> tuple: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def replay_window_s(self) -> int: ...
    @property
    def future_skew_s(self) -> int: ...


class Rejection(Enum):
    """Why a webhook is refused; the value is the `error` code of the answer."""

    SOURCE_NOT_ALLOWED = "forbidden"
    TOO_LARGE = "payload_too_large"
    BAD_SIGNATURE = "invalid_signature"
    INVALID_JSON = "invalid_json"
    INVALID_BODY = "invalid_body"
    STALE = "stale_event"
    FUTURE = "future_event"


class WebhookRejected(Exception):
    """Bad input: nothing is stored or queued."""

    def __init__(self, rejection: Rejection, detail: str):
        super().__init__(detail)
        self.rejection = rejection
        self.detail = detail


@dataclass(frozen=True)
class IntakeResult:
    """A valid webhook: queued for sync, or acknowledged and ignored."""

    event: WebhookEnvelope
    queued: bool

    @property
    def unroutable(self) -> bool:
        """A type the sync path acts on whose payload names nothing to sync (acknowledged, counted)."""
        return not self.queued and self.event.type in SYNC_TYPES


class WebhookIntake:
    """Checks a webhook in the order that costs an attacker the most and us the least, then queues what the
    sync path acts on."""

    def __init__(
        self,
        settings: IntakeLimits,
        secrets: Callable[[], tuple[str, ...]],
        queue: SyncQueue,
        clock: Clock = utc_now,
    ):
        self._settings, self._secrets, self._queue, self._clock = settings, secrets, queue, clock

    def accept(self, raw_body: bytes, signature_header: str | None, source_ip: str | None) -> IntakeResult:
        settings = self._settings
        check_source_ip(source_ip, settings.allowed_cidrs)
        if len(raw_body) > settings.max_body_bytes:
            raise WebhookRejected(Rejection.TOO_LARGE, f"body exceeds {settings.max_body_bytes} bytes")
        if not signature_header:
            raise WebhookRejected(Rejection.BAD_SIGNATURE, f"missing {signature.SIGNATURE_HEADER} header")
        if not signature.verify(raw_body, signature_header, self._secrets()):
            raise WebhookRejected(Rejection.BAD_SIGNATURE, "signature does not match the body")
        event = parse(raw_body)
        check_freshness(event.timestamp, settings, self._clock())
        if isinstance(event, BeneficiaryEvent | PaymentSourceUpdatedEvent):
            self._queue.send(event)
            return IntakeResult(event=event, queued=True)
        return IntakeResult(event=event, queued=False)


def check_source_ip(source_ip: str | None, allowed: tuple) -> None:
    """Refused unless the caller's IP is in the allowlist (an empty allowlist lets everyone through)."""
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        raise WebhookRejected(Rejection.SOURCE_NOT_ALLOWED, "source address not allowed") from None
    if not any(address in network for network in allowed):
        raise WebhookRejected(Rejection.SOURCE_NOT_ALLOWED, "source address not allowed")


def parse(raw_body: bytes) -> WebhookEnvelope:
    """The verified body as an envelope (the events we act on with their model)."""
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than Python parses
        raise WebhookRejected(Rejection.INVALID_JSON, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(Rejection.INVALID_BODY, "body must be a JSON object")
    try:
        return parse_webhook(data)
    except RecursionError:
        raise WebhookRejected(Rejection.INVALID_BODY, "body is nested too deeply") from None
    except ValidationError as exc:
        raise WebhookRejected(Rejection.INVALID_BODY, "invalid webhook: " + "; ".join(invalid_details(exc))) from None


def check_freshness(timestamp: datetime, settings: IntakeLimits, now: datetime) -> None:
    """Refuse replays older than the window (longer than Lean's retries: the last is 3 h after the first attempt)
    and far-future stamps."""
    if timestamp < now - timedelta(seconds=settings.replay_window_s):
        raise WebhookRejected(Rejection.STALE, f"timestamp older than {settings.replay_window_s} s")
    if timestamp > now + timedelta(seconds=settings.future_skew_s):
        raise WebhookRejected(Rejection.FUTURE, "timestamp is in the future")
