"""Webhook intake: allowlist, size cap, signature, validation, replay window, routing.

Knows nothing of Lambda events: the handler hands it raw bytes and headers.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from lean_webhooks.core import signature
from lean_webhooks.models.validation import invalid_details
from lean_webhooks.models.webhook import (
    SYNC_TYPES,
    BeneficiaryEvent,
    PaymentSourceUpdatedEvent,
    WebhookEnvelope,
    parse_webhook,
)
from lean_webhooks.runtime.config import WebhookSettings


class WebhookRejected(Exception):
    """Bad input: answered with a 4xx and a JSON error body; nothing is stored or queued."""

    def __init__(self, status_code: int, error: str, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.error = error
        self.detail = detail

    def body(self) -> dict[str, str]:
        return {"error": self.error, "message": self.detail}


@dataclass(frozen=True)
class IntakeResult:
    """A valid webhook: queued for sync, or acknowledged and ignored."""

    event: WebhookEnvelope
    queued: bool

    @property
    def unroutable(self) -> bool:
        """A type the sync path acts on whose payload names nothing to sync (acknowledged, counted)."""
        return not self.queued and self.event.type in SYNC_TYPES

    def body(self) -> dict[str, Any]:
        return {"status": "accepted" if self.queued else "ignored", "event_id": self.event.event_id}


def check_source_ip(source_ip: str | None, allowed: tuple) -> None:
    """403 unless the caller's IP is in the allowlist (an empty allowlist lets everyone through)."""
    if not allowed:
        return
    try:
        address = ipaddress.ip_address(source_ip or "")
    except ValueError:
        raise WebhookRejected(403, "forbidden", "source address not allowed") from None
    if not any(address in network for network in allowed):
        raise WebhookRejected(403, "forbidden", "source address not allowed")


def accept(
    raw_body: bytes,
    signature_header: str | None,
    source_ip: str | None,
    settings: WebhookSettings,
    secrets: Callable[[], tuple[str, ...]],
    enqueue: Callable[[BeneficiaryEvent | PaymentSourceUpdatedEvent], None],
    now: datetime | None = None,
) -> IntakeResult:
    """Check a webhook in the order that costs an attacker the most and us the least."""
    check_source_ip(source_ip, settings.allowed_cidrs)
    if len(raw_body) > settings.max_body_bytes:
        raise WebhookRejected(413, "payload_too_large", f"body exceeds {settings.max_body_bytes} bytes")
    if not signature_header:
        raise WebhookRejected(401, "invalid_signature", f"missing {signature.SIGNATURE_HEADER} header")
    if not signature.verify(raw_body, signature_header, secrets()):
        raise WebhookRejected(401, "invalid_signature", "signature does not match the body")
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than Python parses
        raise WebhookRejected(400, "invalid_json", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "invalid_body", "body must be a JSON object")
    try:
        event = parse_webhook(data)
    except RecursionError:
        raise WebhookRejected(400, "invalid_body", "body is nested too deeply") from None
    except ValidationError as exc:
        raise WebhookRejected(400, "invalid_body", "invalid webhook: " + "; ".join(invalid_details(exc))) from None
    check_freshness(event.timestamp, settings, now or datetime.now(UTC))
    if isinstance(event, BeneficiaryEvent | PaymentSourceUpdatedEvent):
        enqueue(event)
        return IntakeResult(event=event, queued=True)
    return IntakeResult(event=event, queued=False)


def check_freshness(timestamp: datetime, settings: WebhookSettings, now: datetime) -> None:
    """Refuse replays older than the window (longer than Lean's ~4.3 h of retries) and far-future stamps."""
    if timestamp < now - timedelta(seconds=settings.replay_window_s):
        raise WebhookRejected(400, "stale_event", f"timestamp older than {settings.replay_window_s} s")
    if timestamp > now + timedelta(seconds=settings.future_skew_s):
        raise WebhookRejected(400, "future_event", "timestamp is in the future")
