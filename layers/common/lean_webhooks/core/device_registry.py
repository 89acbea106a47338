"""Device registration for a customer's app: SNS endpoint plus a device item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lean_webhooks.core.ports import DeviceRepository, PushPlatform
from lean_webhooks.models.customer_api import DeviceRegistration
from lean_webhooks.models.errors import PlatformNotConfigured
from lean_webhooks.runtime.config import PushSettings


class DeviceRegistry:
    """Register a device: one SNS endpoint for its token, plus a device item pointing at it."""

    def __init__(
        self,
        settings: PushSettings,
        store: DeviceRepository,
        gateway: PushPlatform,
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
        if stored and stored.platform == registration.platform:
            known_arn = stored.endpoint_arn
        elif stored:
            self._gateway.delete_endpoint(stored.endpoint_arn)  # platform changed: old endpoint is useless
        arn = self._gateway.ensure_endpoint(
            application_arn, registration.token, known_arn, user_data=f"{customer_id}/{device_id}"
        )
        self._store.put(customer_id, device_id, registration.platform, arn, self._clock())
        return {"customer_id": customer_id, "device_id": device_id, "platform": registration.platform, "enabled": True}

    def unregister(self, customer_id: str, device_id: str) -> bool:
        old = self._store.delete(customer_id, device_id)
        if old and old.endpoint_arn:
            self._gateway.delete_endpoint(old.endpoint_arn)
        return old is not None
