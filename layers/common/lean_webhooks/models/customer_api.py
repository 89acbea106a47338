"""Request and answer models of the customer API (called by the fintech's app backend); the OpenAPI document
is generated from them (`make openapi`)."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.items import StoredBeneficiary, StoredDevice, StoredPaymentSource
from lean_webhooks.models.push import Locale, Platform
from lean_webhooks.models.statuses import is_chargeable

DEVICE_ID_PATTERN = r"^[A-Za-z0-9._\-]{1,128}$"
MAX_PAGE = 100


class ApiModel(BaseModel):
    """A model of the API: built when a request first needs it (pydantic's `defer_build`), so that a cold start
    builds only the models of the route it serves."""

    model_config = ConfigDict(defer_build=True)


class DeviceRegistration(ApiModel):
    """Body of `PUT /customers/{customer_id}/devices/{device_id}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform = Field(description="SNS platform: GCM (FCM), APNS, or APNS_SANDBOX for development builds")
    token: str = Field(
        min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9_:\-\.]+$", repr=False, description="the push token"
    )
    locale: Locale = Field(default="en", description="language of this device's pushes")


class Device(ApiModel):
    """A registered device as the API shows it (never its token)."""

    customer_id: str
    device_id: str
    platform: Platform
    locale: Locale = "en"
    enabled: bool = Field(description="false once SNS reported the endpoint disabled; registering again re-enables")
    registered_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def of(cls, device: StoredDevice) -> Self:
        """A stored device as the API shows it: never its endpoint or token (which lives only in SNS)."""
        return cls(
            customer_id=device.customer_id,
            device_id=device.device_id,
            platform=device.platform,
            locale=device.locale,
            enabled=device.enabled,
            registered_at=device.registered_at or device.updated_at,
            updated_at=device.updated_at,
        )


class DeviceList(ApiModel):
    customer_id: str
    devices: list[Device]


class Beneficiary(ApiModel):
    id: str
    payment_destination_id: str | None = None
    status: str
    chargeable: bool = Field(description="true when the beneficiary is ACTIVE: the customer can be charged")
    cool_off_expiry: str | None = None
    updated_at: str | None = None

    @classmethod
    def of(cls, ben: StoredBeneficiary) -> Self:
        return cls(
            id=ben.beneficiary_id,
            payment_destination_id=ben.payment_destination_id,
            status=ben.status,
            chargeable=is_chargeable(ben.status),
            cool_off_expiry=ben.cool_off_expiry,
            updated_at=ben.updated_at,
        )


class PaymentSource(ApiModel):
    id: str
    bank_identifier: str | None = None
    accounts: list[dict[str, Any]] = Field(default_factory=list)
    fetched_at: str | None = None
    beneficiaries: list[Beneficiary]

    @classmethod
    def of(cls, source: StoredPaymentSource) -> Self:
        return cls(
            id=source.payment_source_id,
            bank_identifier=source.bank_identifier,
            accounts=source.accounts,
            fetched_at=source.fetched_at,
            beneficiaries=[Beneficiary.of(b) for b in sorted(source.beneficiaries, key=lambda b: b.beneficiary_id)],
        )


class PaymentSourcePage(ApiModel):
    customer_id: str
    payment_sources: list[PaymentSource]
    next_token: str | None = Field(default=None, description="pass as next_token for the next page; null at the end")

    @classmethod
    def of(cls, customer_id: str, sources: list[StoredPaymentSource], next_token: str | None) -> Self:
        return cls(
            customer_id=customer_id, payment_sources=[PaymentSource.of(s) for s in sources], next_token=next_token
        )


class Deletion(ApiModel):
    customer_id: str
    payment_source_id: str
    deleted: Literal[True]
    already_gone_at_lean: bool


class ErasedCounts(ApiModel):
    payment_sources: int = Field(description="payment source items, deleted ones included")
    beneficiaries: int
    devices: int
    push_markers: int
    refresh_markers: int
    other: int = 0


class Erasure(ApiModel):
    customer_id: str
    deleted_at_lean: int = Field(description="payment sources deleted at Lean by this call (USER_REQUESTED)")
    push_endpoints: int = Field(description="SNS push endpoints deleted with the customer's devices")
    deleted: ErasedCounts = Field(description="items deleted here, by kind; all 0 when nothing was stored")
    event_id: str | None = Field(
        default=None, description="the Customer Erased domain event's event_id; null when nothing was stored"
    )


class ErrorBody(ApiModel):
    """Every 4xx and 5xx of both APIs."""

    error: str = Field(description="a stable code: bad_request, not_found, forbidden, lean_error, internal_error ...")
    message: str
