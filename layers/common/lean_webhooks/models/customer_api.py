"""Request and answer models of the customer API (called by the fintech's app backend); the OpenAPI document
is generated from them (`make openapi`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.push import Locale, Platform

DEVICE_ID_PATTERN = r"^[A-Za-z0-9._\-]{1,128}$"
MAX_PAGE = 100


class DeviceRegistration(BaseModel):
    """Body of `PUT /customers/{customer_id}/devices/{device_id}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform = Field(description="SNS platform: GCM (FCM), APNS, or APNS_SANDBOX for development builds")
    token: str = Field(
        min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9_:\-\.]+$", repr=False, description="the push token"
    )
    locale: Locale = Field(default="en", description="language of this device's pushes")


class Device(BaseModel):
    """A registered device as the API shows it (never its token)."""

    customer_id: str
    device_id: str
    platform: Platform
    locale: Locale = "en"
    enabled: bool = Field(description="false once SNS reported the endpoint disabled; registering again re-enables")
    registered_at: str | None = None
    updated_at: str | None = None


class DeviceList(BaseModel):
    customer_id: str
    devices: list[Device]


class Beneficiary(BaseModel):
    id: str
    payment_destination_id: str | None = None
    status: str
    chargeable: bool = Field(description="true when the beneficiary is ACTIVE: the customer can be charged")
    cool_off_expiry: str | None = None
    updated_at: str | None = None


class PaymentSource(BaseModel):
    id: str
    bank_identifier: str | None = None
    accounts: list[dict[str, Any]] = Field(default_factory=list)
    fetched_at: str | None = None
    beneficiaries: list[Beneficiary]


class PaymentSourcePage(BaseModel):
    customer_id: str
    payment_sources: list[PaymentSource]
    next_token: str | None = Field(default=None, description="pass as next_token for the next page; null at the end")


class Deletion(BaseModel):
    customer_id: str
    payment_source_id: str
    deleted: Literal[True]
    already_gone_at_lean: bool


class ErrorBody(BaseModel):
    """Every 4xx and 5xx of both APIs."""

    error: str = Field(description="a stable code: bad_request, not_found, forbidden, lean_error, internal_error ...")
    message: str
