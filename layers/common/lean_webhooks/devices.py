"""Device registration for a customer's app: SNS endpoint plus a device item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.config import PushSettings
from lean_webhooks.push import PushGateway
from lean_webhooks.store.devices import DeviceStore


class DeviceRegistration(BaseModel):
    """Body of `PUT /customers/{customer_id}/devices/{device_id}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Literal["GCM", "APNS", "APNS_SANDBOX"]
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9_:\-\.]+$", repr=False)


class PlatformNotConfigured(Exception):
    """No SNS platform application ARN is configured for the requested platform."""


class DeviceRegistry:
    def __init__(
        self,
        settings: PushSettings,
        store: DeviceStore,
        gateway: PushGateway,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._apps = settings.platform_applications
        self._store = store
        self._gateway = gateway
        self._clock = clock

    def register(self, customer_id: str, device_id: str, registration: DeviceRegistration) -> dict:
        application_arn = self._apps.get(registration.platform)
        if not application_arn:
            raise PlatformNotConfigured(registration.platform)
        stored = self._store.get(customer_id, device_id)
        known_arn = None
        if stored and stored.get("platform") == registration.platform:
            known_arn = stored.get("endpoint_arn")
        elif stored:
            self._gateway.delete_endpoint(stored["endpoint_arn"])  # platform changed: old endpoint is useless
        arn = self._gateway.ensure_endpoint(
            application_arn, registration.token, known_arn, user_data=f"{customer_id}/{device_id}"
        )
        self._store.put(customer_id, device_id, registration.platform, arn, self._clock())
        return {"customer_id": customer_id, "device_id": device_id, "platform": registration.platform, "enabled": True}

    def unregister(self, customer_id: str, device_id: str) -> bool:
        old = self._store.delete(customer_id, device_id)
        if old and old.get("endpoint_arn"):
            self._gateway.delete_endpoint(old["endpoint_arn"])
        return old is not None
