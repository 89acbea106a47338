"""Request models of the customer API (called by the fintech's app backend)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Platform = Literal["GCM", "APNS", "APNS_SANDBOX"]  # SNS platforms: FCM, APNs, APNs sandbox
PLATFORMS: tuple[str, ...] = get_args(Platform)


class DeviceRegistration(BaseModel):
    """Body of `PUT /customers/{customer_id}/devices/{device_id}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9_:\-\.]+$", repr=False)
