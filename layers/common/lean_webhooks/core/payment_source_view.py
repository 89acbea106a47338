"""Shape stored items into what the app backend reads: payment sources with chargeable beneficiaries, a page at
a time (the page token is opaque to callers: the last payment source id of the previous page, encoded)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from lean_webhooks.models.errors import InvalidPageToken
from lean_webhooks.models.items import StoredPaymentSource
from lean_webhooks.models.statuses import is_chargeable


def _view(source: StoredPaymentSource) -> dict[str, Any]:
    return {
        "id": source.payment_source_id,
        "bank_identifier": source.bank_identifier,
        "accounts": source.accounts,
        "fetched_at": source.fetched_at,
        "beneficiaries": [
            {
                "id": ben.beneficiary_id,
                "payment_destination_id": ben.payment_destination_id,
                "status": ben.status,
                "chargeable": is_chargeable(ben.status),
                "cool_off_expiry": ben.cool_off_expiry,
                "updated_at": ben.updated_at,
            }
            for ben in sorted(source.beneficiaries, key=lambda b: b.beneficiary_id)
        ],
    }


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


def page_of_payment_sources(
    customer_id: str, sources: list[StoredPaymentSource], limit: int, next_token: str | None
) -> dict[str, Any]:
    """One page of at most `limit` payment sources in id order, after the one `next_token` names."""
    ordered = sorted(sources, key=lambda s: s.payment_source_id)
    if next_token is not None:
        after = decode_token(next_token)
        ordered = [s for s in ordered if s.payment_source_id > after]
    page, more = ordered[:limit], len(ordered) > limit
    return {
        "customer_id": customer_id,
        "payment_sources": [_view(source) for source in page],
        "next_token": encode_token(page[-1].payment_source_id) if more and page else None,
    }
