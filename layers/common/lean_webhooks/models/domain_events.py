"""Domain events: what the fintech's own systems learn on the event bus, one detail type per stored transition.

Plain dataclasses (no pydantic on the publisher's path); `scripts/event_schemas.py` writes a JSON Schema per
detail type to `docs/events/`. A detail never carries an IBAN, account number, account name or device token.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SOURCE = "lean.payment-sources"

BENEFICIARY_ADDED = "Beneficiary Added"
BENEFICIARY_CHARGEABLE = "Beneficiary Chargeable"
BENEFICIARY_REMOVED = "Beneficiary Removed"
PAYMENT_SOURCE_DELETED = "Payment Source Deleted"
CUSTOMER_ERASED = "Customer Erased"


@dataclass(frozen=True)
class BeneficiaryDetail:
    event_id: str
    occurred_at: str
    customer_id: str
    payment_source_id: str
    beneficiary_id: str
    payment_destination_id: str | None
    bank_identifier: str | None
    status: str
    previous_status: str | None
    cool_off_expiry: str | None


@dataclass(frozen=True)
class BeneficiaryAdded(BeneficiaryDetail):
    """A beneficiary stored for the first time, whatever its status."""


@dataclass(frozen=True)
class BeneficiaryChargeable(BeneficiaryDetail):
    """A beneficiary entered `ACTIVE`: the customer can be charged through it."""

    after_cool_off: bool | None


@dataclass(frozen=True)
class BeneficiaryRemoved(BeneficiaryDetail):
    """Lean no longer lists the beneficiary: not chargeable."""


@dataclass(frozen=True)
class PaymentSourceDeleted:
    """The payment source was deleted through the customer API (`USER_REQUESTED`), is gone at Lean
    (`lean_not_found`), or was deleted at Lean by an erasure Lean then failed midway (`customer_erasure`); its
    beneficiaries are not chargeable."""

    event_id: str
    occurred_at: str
    customer_id: str
    payment_source_id: str
    bank_identifier: str | None
    reason: str


@dataclass(frozen=True)
class CustomerErased:
    """Everything stored for the customer was deleted (an erasure request); nothing else is said of them."""

    event_id: str
    occurred_at: str
    customer_id: str


Detail = BeneficiaryAdded | BeneficiaryChargeable | BeneficiaryRemoved | PaymentSourceDeleted | CustomerErased

DETAIL_TYPES: dict[str, type] = {
    BENEFICIARY_ADDED: BeneficiaryAdded,
    BENEFICIARY_CHARGEABLE: BeneficiaryChargeable,
    BENEFICIARY_REMOVED: BeneficiaryRemoved,
    PAYMENT_SOURCE_DELETED: PaymentSourceDeleted,
    CUSTOMER_ERASED: CustomerErased,
}

FIELD_DOCS = {
    "event_id": "the same for every delivery of one transition: deduplicate on it",
    "occurred_at": "when the transition was stored (RFC 3339, UTC)",
    "customer_id": "Lean's customer id (lower case)",
    "payment_source_id": "Lean's payment source id (lower case)",
    "beneficiary_id": "Lean's beneficiary id (lower case)",
    "payment_destination_id": "Lean's payment destination id, when known",
    "bank_identifier": "Lean's bank identifier, e.g. ENBD_UAE",
    "status": "the beneficiary's stored status: AWAITING_BENEFICIARY_COOL_OFF, ACTIVE, REMOVED, DELETED or any "
    "status Lean sends",
    "previous_status": "the status before this transition (null when first stored)",
    "cool_off_expiry": "when the bank's cool-off ends or ended, as Lean reports it (null when unknown)",
    "after_cool_off": "true when a cool-off was seen (the customer is pushed); false when Lean's creation webhook"
    " said ACTIVE (no cool-off, no push); null when a read (a refresh, a payment source re-sync) stored it ACTIVE"
    " first and nothing had said yet whether the customer waited (if Lean then reports a cool-off, the customer is"
    " pushed then, and no second event is published)",
    "reason": "USER_REQUESTED (deleted through the customer API), lean_not_found (gone at Lean) or customer_erasure"
    " (deleted at Lean by an erasure that Lean then failed midway)",
}


@dataclass(frozen=True)
class DomainEvent:
    """One event for the bus: its detail type and detail."""

    detail_type: str
    detail: Detail

    @property
    def event_id(self) -> str:
        return self.detail.event_id

    def detail_dict(self) -> dict[str, Any]:
        return asdict(self.detail)
