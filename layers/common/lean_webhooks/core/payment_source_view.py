"""What the app backend reads: a customer's stored payment sources a page at a time, in id order. The page token
is opaque to callers: the last payment source id of the previous page, encoded."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lean_webhooks.models.errors import InvalidPageToken

if TYPE_CHECKING:
    from lean_webhooks.models.items import StoredPaymentSource


@dataclass(frozen=True)
class PaymentSourcesPage:
    sources: list[StoredPaymentSource]
    next_token: str | None  # None on the last page


def encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The payment source id a page token points after; InvalidPageToken for anything this API did not give."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = decoded["after"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise InvalidPageToken(token) from None
    if not isinstance(after, str) or not after:
        raise InvalidPageToken(token)
    return after


def page_of(sources: list[StoredPaymentSource], limit: int, next_token: str | None) -> PaymentSourcesPage:
    """At most `limit` payment sources in id order, after the one `next_token` names; each payment source's
    beneficiaries in id order."""
    ordered = sorted(sources, key=lambda s: s.payment_source_id)
    if next_token is not None:
        after = decode_token(next_token)
        ordered = [s for s in ordered if s.payment_source_id > after]
    page, more = ordered[:limit], len(ordered) > limit
    return PaymentSourcesPage(page, encode_token(page[-1].payment_source_id) if more and page else None)
