"""Sample Lean objects and webhooks (shapes from Lean's docs), shared by the demo, tests and events/."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lean_webhooks.core.signature import sign

AWAITING = "AWAITING_BENEFICIARY_COOL_OFF"
ACTIVE = "ACTIVE"


def lean_timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 in UTC with `Z` and trailing zeros of the fraction trimmed, as Lean writes it."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def ids(seed: str | None = None) -> dict[str, str]:
    """A consistent set of ids for one onboarding flow."""
    base = uuid.uuid5(uuid.NAMESPACE_URL, seed) if seed else uuid.uuid4()
    derive = (lambda name: str(uuid.uuid5(base, name))) if seed else (lambda name: str(uuid.uuid4()))
    return {k: derive(k) for k in ("customer_id", "payment_source_id", "beneficiary_id", "payment_destination_id")}


def payment_source(flow: dict[str, str], app_id: str, status: str, cool_off_hours: float = 24) -> dict[str, Any]:
    """Lean's GET payment-source answer, with ids in upper case as Lean's API returns them."""
    expiry = datetime.now(UTC) + timedelta(hours=cool_off_hours)
    return {
        "id": flow["payment_source_id"].upper(),
        "customer_id": flow["customer_id"].upper(),
        "app_id": app_id.upper(),
        "bank_identifier": "ENBD_UAE",
        "status": "ACTIVE",
        "beneficiaries": [
            {
                "id": flow["beneficiary_id"].upper(),
                "payment_destination_id": flow["payment_destination_id"].upper(),
                "status": status,
                "beneficiary_cool_off_expiry": lean_timestamp(expiry),
            }
        ],
        "accounts": [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"account:{flow['payment_source_id']}")),  # stable at Lean
                "account_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"account-id:{flow['payment_source_id']}")),
                "account_name": "CURRENT ACCOUNT",
                "account_number": "1015528812001",
                "iban": "AE340260001015528812001",
                "currency": "AED",
                "balance": 15000.5,
                "balance_last_updated": None,
            }
        ],
    }


def beneficiary_webhook(
    flow: dict[str, str], kind: str, status: str, event_id: str | None = None, when: datetime | None = None
) -> dict[str, Any]:
    """`payment_source.beneficiary.created|updated` as Lean posts it (ids in lower case, extra fields)."""
    return {
        "type": f"payment_source.beneficiary.{kind}",
        "payload": {
            "id": flow["beneficiary_id"],
            "customer_id": flow["customer_id"],
            "payment_source_id": flow["payment_source_id"],
            "payment_destination_id": flow["payment_destination_id"],
            "status": status,
            "payment_source_bank_identifier": "ENBD_UAE",
            "end_user_id": "user-1234",
        },
        "message": f"A beneficiary was {kind} for the payment source.",
        "timestamp": lean_timestamp(when),
        "event_id": event_id or str(uuid.uuid4()),
    }


def payment_source_created_webhook(flow: dict[str, str], event_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "payment_source.created",
        "payload": {
            "id": flow["payment_source_id"],
            "customer_id": flow["customer_id"],
            "status": "AWAITING_BENEFICIARY_COOL_OFF",
        },
        "message": "A payment source was created.",
        "timestamp": lean_timestamp(),
        "event_id": event_id or str(uuid.uuid4()),
    }


def payment_source_updated_webhook(flow: dict[str, str], event_id: str | None = None) -> dict[str, Any]:
    """`payment_source.updated`: Lean publishes no payload, so this carries the payment source's ids only."""
    return {
        "type": "payment_source.updated",
        "payload": {"id": flow["payment_source_id"], "customer_id": flow["customer_id"]},
        "message": "A payment source was updated.",
        "timestamp": lean_timestamp(),
        "event_id": event_id or str(uuid.uuid4()),
    }


def signed(envelope: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """Body bytes and headers exactly as Lean would send them."""
    body = json.dumps(envelope, separators=(",", ":")).encode()
    return body, {"content-type": "application/json", "lean-signature": sign(body, secret)}
