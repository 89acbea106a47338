"""What the core tests build: one customer's ids, Lean's webhooks for them, and what Lean's API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lean_webhooks.models.beneficiary import BeneficiaryIdentity
from lean_webhooks.models.webhook import BeneficiaryEvent, PaymentSourceUpdatedEvent, parse_webhook
from tests.support.fakes import ScriptedLean, lean_beneficiary, lean_source

CUSTOMER = "8a3e0b4c-1d2f-4e5a-9b6c-7d8e9f0a1b2c"
OTHER_CUSTOMER = "0f1e2d3c-4b5a-4968-8776-655443322110"
SOURCE = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
OTHER_SOURCE = "9e8d7c6b-5a49-4837-a625-140f0e0d0c0b"
BENEFICIARY = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
OTHER_BENEFICIARY = "d2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60"
DESTINATION = "e3f4a5b6-c7d8-4e9f-8a1b-2c3d4e5f6071"
IDENTITY = BeneficiaryIdentity(CUSTOMER, SOURCE, BENEFICIARY)


def stamp(moment: datetime) -> str:
    """RFC 3339 as Lean writes it."""
    return moment.isoformat().replace("+00:00", "Z")


def beneficiary_webhook(
    kind: str,
    status: str,
    at: datetime,
    event_id: str | None = None,
    beneficiary_id: str = BENEFICIARY,
    payment_source_id: str = SOURCE,
) -> dict[str, Any]:
    """`payment_source.beneficiary.created|updated` as Lean posts it."""
    return {
        "type": f"payment_source.beneficiary.{kind}",
        "payload": {
            "id": beneficiary_id,
            "customer_id": CUSTOMER,
            "payment_source_id": payment_source_id,
            "payment_destination_id": DESTINATION,
            "status": status,
            "payment_source_bank_identifier": "ENBD_UAE",
        },
        "message": f"A beneficiary was {kind} for the payment source.",
        "timestamp": stamp(at),
        "event_id": event_id or str(uuid.uuid4()),
    }


def updated_webhook(at: datetime, event_id: str | None = None, payment_source_id: str = SOURCE) -> dict[str, Any]:
    """`payment_source.updated`, naming the payment source."""
    return {
        "type": "payment_source.updated",
        "payload": {"id": payment_source_id, "customer_id": CUSTOMER},
        "message": "A payment source was updated.",
        "timestamp": stamp(at),
        "event_id": event_id or str(uuid.uuid4()),
    }


def beneficiary_event(kind: str, status: str, at: datetime, **kwargs: Any) -> BeneficiaryEvent:
    event = parse_webhook(beneficiary_webhook(kind, status, at, **kwargs))
    assert isinstance(event, BeneficiaryEvent)
    return event


def updated_event(at: datetime, **kwargs: Any) -> PaymentSourceUpdatedEvent:
    event = parse_webhook(updated_webhook(at, **kwargs))
    assert isinstance(event, PaymentSourceUpdatedEvent)
    return event


def lean_lists(
    lean: ScriptedLean,
    *beneficiaries: tuple[str, str, datetime | None],
    payment_source_id: str = SOURCE,
    **extra: Any,
) -> None:
    """Lean's API answers the payment source with these (beneficiary id, status, cool-off expiry)."""
    listed = [lean_beneficiary(b, status, expiry, DESTINATION) for b, status, expiry in beneficiaries]
    lean.put(lean_source(CUSTOMER, payment_source_id, listed, **extra))
