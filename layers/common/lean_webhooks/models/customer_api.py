"""Request models of the customer API (called by the fintech's app backend)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.push import PLATFORMS, Platform  # noqa: F401 - re-exported for the API's models


class DeviceRegistration(BaseModel):
    """Body of `PUT /customers/{customer_id}/devices/{device_id}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9_:\-\.]+$", repr=False)
