"""Lean webhook envelopes: a generic one for any type, and the beneficiary events we act on."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.common import LeanId, Rfc3339, ShortText, Status

PAYMENT_SOURCE_CREATED = "payment_source.created"
BENEFICIARY_CREATED = "payment_source.beneficiary.created"
BENEFICIARY_UPDATED = "payment_source.beneficiary.updated"
BENEFICIARY_TYPES = (BENEFICIARY_CREATED, BENEFICIARY_UPDATED)


class WebhookEnvelope(BaseModel):
    """Fields every Lean webhook carries; unknown types are valid envelopes too."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str = Field(min_length=1, max_length=128)
    payload: dict[str, Any]
    message: str | None = Field(default=None, max_length=4096)
    timestamp: Rfc3339
    event_id: LeanId


class PaymentSourceCreatedPayload(BaseModel):
    """`payment_source.created` payload (acknowledged and ignored; Lean will deprecate it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    customer_id: LeanId


class BeneficiaryPayload(BaseModel):
    """Payload of `payment_source.beneficiary.created|updated`; extra fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    customer_id: LeanId
    payment_source_id: LeanId
    payment_destination_id: LeanId
    status: Status
    payment_source_bank_identifier: ShortText


class PaymentSourceCreatedEvent(WebhookEnvelope):
    type: Literal["payment_source.created"]
    payload: PaymentSourceCreatedPayload


class BeneficiaryEvent(WebhookEnvelope):
    """A beneficiary webhook: what the sync queue carries."""

    type: Literal["payment_source.beneficiary.created", "payment_source.beneficiary.updated"]
    payload: BeneficiaryPayload

    @property
    def is_update(self) -> bool:
        return self.type == BENEFICIARY_UPDATED


def parse_webhook(data: dict[str, Any]) -> WebhookEnvelope:
    """Validate `data` with the model of its type (generic envelope for types we do not act on)."""
    envelope = WebhookEnvelope.model_validate(data)
    if envelope.type in BENEFICIARY_TYPES:
        return BeneficiaryEvent.model_validate(data)
    if envelope.type == PAYMENT_SOURCE_CREATED:
        return PaymentSourceCreatedEvent.model_validate(data)
    return envelope
