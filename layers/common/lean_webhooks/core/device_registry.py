"""Device registration for a customer's app: SNS endpoint plus a device item."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.errors import DeviceRegistrationConflict, PlatformNotConfigured
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import Clock, iso, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import Devices, PushPlatform

logger = logging.getLogger(__name__)

REGISTRATION_ATTEMPTS = 3


class DeviceRegistry:
    """Register a device: one SNS endpoint for its token, plus a device item pointing at it."""

    def __init__(
        self,
        applications: Mapping[str, str],
        store: Devices,
        gateway: PushPlatform,
        clock: Clock = utc_now,
    ):
        self._apps = applications  # SNS platform application ARN per configured platform
        self._store = store
        self._gateway = gateway
        self._clock = clock

    def register(self, customer_id: str, device_id: str, platform: str, token: str, locale: str) -> StoredDevice:
        """Point the device at the SNS endpoint of its token: a token belongs to whoever registered it last.

        SNS keeps one endpoint per token (CreatePlatformEndpoint answers the one that holds it), and this never
        moves a token onto another endpoint, so every endpoint that holds the token is that one: it moves to this
        device, and the device item of its previous owner (another device id, another customer, the same device
        id under another customer) is removed with it. The endpoint this device pointed at before (an older token,
        another platform) is released, and deleted if it is still this device's."""
        application_arn = self._apps.get(platform)
        if not application_arn:
            raise PlatformNotConfigured(platform)
        for _ in range(REGISTRATION_ATTEMPTS):
            stored = self._store.get(customer_id, device_id)
            arn = self._gateway.ensure_endpoint(application_arn, token, user_data=f"{customer_id}/{device_id}")
            previous = self._store.owner_of(arn)
            now = self._clock()
            registered_at = stored.registered_at if stored and stored.registered_at else iso(now)
            record = DeviceRecord(customer_id, device_id, platform, arn, locale, registered_at)
            if self._store.put(record, now, previous):
                if previous and previous != record.owner:
                    logger.info("push endpoint moved to this device", extra={"device_id": device_id})
                if stored and stored.endpoint_arn != arn:
                    self._release(stored.endpoint_arn, customer_id, device_id)  # its older token's endpoint
                return StoredDevice(
                    customer_id, device_id, platform, arn, True, iso(now), locale=locale, registered_at=registered_at
                )
        raise DeviceRegistrationConflict("the token was registered concurrently by another device: retry")

    def devices(self, customer_id: str) -> list[StoredDevice]:
        """The customer's devices, in device id order."""
        return self._store.devices_of(customer_id)

    def unregister(self, customer_id: str, device_id: str) -> bool:
        """Remove the device; its endpoint is deleted only if it still belongs to this device."""
        old = self._store.delete(customer_id, device_id)
        if old and old.endpoint_arn:
            self._release(old.endpoint_arn, customer_id, device_id)
        return old is not None

    def _release(self, endpoint_arn: str, customer_id: str, device_id: str) -> None:
        if self._store.release_endpoint(endpoint_arn, customer_id, device_id):
            self._gateway.delete_endpoint(endpoint_arn)
