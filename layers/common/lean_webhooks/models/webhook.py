"""Lean webhook envelopes: a generic one for any type, and the events the sync path acts on.

Only what the pipeline needs is required: an ignored type is never refused for its payload, and a
beneficiary payload may lack `payment_source_bank_identifier` (absent from some of Lean's examples).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lean_webhooks.models.common import LeanId, Rfc3339, ShortText, Status
from lean_webhooks.models.webhook_types import (  # noqa: F401 - named here too, for the modules that parse
    BENEFICIARY_CREATED,
    BENEFICIARY_TYPES,
    BENEFICIARY_UPDATED,
    PAYMENT_SOURCE_CREATED,
    PAYMENT_SOURCE_UPDATED,
    SYNC_TYPES,
)


class WebhookEnvelope(BaseModel):
    """Fields every Lean webhook carries; unknown types are valid envelopes too, whatever their payload."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    type: str = Field(min_length=1, max_length=128)
    payload: Any
    message: str | None = None
    timestamp: Rfc3339
    event_id: LeanId


class BeneficiaryPayload(BaseModel):
    """Payload of `payment_source.beneficiary.created|updated`; extra fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    id: LeanId
    customer_id: LeanId
    payment_source_id: LeanId
    status: Status
    payment_destination_id: LeanId | None = None
    payment_source_bank_identifier: ShortText | None = None


class PaymentSourceRef(BaseModel):
    """Payload of `payment_source.updated`: Lean publishes no shape, so only the two ids are read, from
    `id` or `payment_source_id`; the whole payment source is then re-read from Lean's API."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    payment_source_id: LeanId = Field(validation_alias=AliasChoices("id", "payment_source_id"))
    customer_id: LeanId


class BeneficiaryEvent(WebhookEnvelope):
    """A beneficiary webhook: what the sync queue carries for one beneficiary."""

    type: Literal["payment_source.beneficiary.created", "payment_source.beneficiary.updated"]
    payload: BeneficiaryPayload

    @property
    def is_update(self) -> bool:
        return self.type == BENEFICIARY_UPDATED


class PaymentSourceUpdatedEvent(WebhookEnvelope):
    """`payment_source.updated`: a signal to re-sync the whole payment source."""

    type: Literal["payment_source.updated"]
    payload: PaymentSourceRef


SyncEvent = Annotated[BeneficiaryEvent | PaymentSourceUpdatedEvent, Field(discriminator="type")]
SYNC_EVENT = TypeAdapter(SyncEvent, config=ConfigDict(defer_build=True))


def sync_message(event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> str:
    """The sync queue's message body: JSON with every non-ASCII character escaped, since SQS refuses some
    code points (U+FFFE, U+FFFF) that a webhook may carry."""
    return json.dumps(event.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"))


def parse_webhook(data: dict[str, Any]) -> WebhookEnvelope:
    """Validate `data`: the events we act on with their model, any other type as a bare envelope.

    A `payment_source.updated` whose (unpublished) payload names no payment source comes back as a bare
    envelope too: there is nothing to re-sync, and refusing it would only make Lean retry it.
    """
    envelope = WebhookEnvelope.model_validate(data)
    if envelope.type in BENEFICIARY_TYPES:
        return BeneficiaryEvent.model_validate(data)
    if envelope.type == PAYMENT_SOURCE_UPDATED:
        try:
            return PaymentSourceUpdatedEvent.model_validate(data)
        except ValidationError:
            return envelope
    return envelope


def events_api_envelope(item: Any) -> Any:
    """The webhook envelope of one item of Lean's `GET /events/v1`. Lean publishes no answer body: an item is the
    bare envelope, or wrapped as in Lean's early webhook samples (`{"id", "webhook_message_id", "status",
    "event_type", "timestamp", "request": <envelope>, "response"}`, `request` an object, or JSON text). Anything
    else is returned as it is, for the caller to find invalid."""
    if isinstance(item, dict) and "request" in item and "type" not in item:
        request = item["request"]
        if isinstance(request, str):
            try:
                return json.loads(request)
            except (ValueError, RecursionError):
                return request
        return request
    return item


@dataclass(frozen=True)
class EventsPage:
    """One page of Lean's `GET /events/v1`: its items as sent (bare or wrapped envelopes) and whether another page
    follows."""

    events: list[Any]
    has_next: bool
