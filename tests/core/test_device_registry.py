"""core/device_registry.py: register and refresh a device, a platform change, a token that moves to another
customer's device, unregistering that leaves a moved endpoint alone, and a conflict after REGISTRATION_ATTEMPTS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from lean_webhooks.core.device_registry import REGISTRATION_ATTEMPTS, DeviceRegistrationConflict, DeviceRegistry
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.errors import PlatformNotConfigured
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import iso
from tests.core.builders import CUSTOMER, OTHER_CUSTOMER
from tests.support.fakes import FakeClock, InMemoryDevices, InMemoryStores, RecordingPushPlatform

GCM = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"
APNS = "arn:aws:sns:us-east-1:123456789012:app/APNS/lean"
TOKEN, OTHER_TOKEN = "fcm-token-1234", "apns-token-5678"


@pytest.fixture
def registry(stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock) -> DeviceRegistry:
    return DeviceRegistry({"GCM": GCM, "APNS": APNS}, stores.devices, platform, clock)


def test_a_device_is_registered_with_the_endpoint_of_its_token(registry, stores, platform, clock):
    device = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "ar")
    assert device == StoredDevice(
        CUSTOMER, "phone", "GCM", device.endpoint_arn, True, iso(clock.now), locale="ar", registered_at=iso(clock.now)
    )
    assert stores.devices.get(CUSTOMER, "phone") == device
    assert stores.devices.owner_of(device.endpoint_arn) == (CUSTOMER, "phone")
    endpoint = platform.endpoints[device.endpoint_arn]
    assert (endpoint["token"], endpoint["user_data"], endpoint["enabled"]) == (TOKEN, f"{CUSTOMER}/phone", True)
    assert registry.devices(CUSTOMER) == [device]


def test_registering_again_refreshes_the_device_and_keeps_its_first_registration(registry, stores, platform, clock):
    first = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    registered = clock.now
    platform.disable(first.endpoint_arn)
    stores.devices.mark_disabled(CUSTOMER, "phone", first.endpoint_arn, clock.now)
    clock.advance(days=3)
    again = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "ar")
    assert again.endpoint_arn == first.endpoint_arn  # the token's endpoint, enabled again
    assert (again.registered_at, again.updated_at, again.locale) == (iso(registered), iso(clock.now), "ar")
    stored = stores.devices.get(CUSTOMER, "phone")
    assert stored.enabled is True and stored.registered_at == iso(registered)
    assert platform.endpoints[first.endpoint_arn]["enabled"] is True and platform.deleted == []


def test_a_renewed_token_gets_its_own_endpoint_and_the_old_one_is_deleted(registry, stores, platform, clock):
    first = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    renewed = registry.register(CUSTOMER, "phone", "GCM", "fcm-token-renewed", "en")
    assert renewed.endpoint_arn != first.endpoint_arn and renewed.registered_at == first.registered_at
    assert platform.deleted == [first.endpoint_arn] and stores.devices.owner_of(first.endpoint_arn) is None
    assert [e["token"] for e in platform.endpoints.values()] == ["fcm-token-renewed"]  # no endpoint took a token


def test_a_token_belongs_to_whoever_registered_it_last_across_customers_with_the_same_device_id(
    registry, stores, platform
):
    """An app that calls every phone `primary`: the second customer's phone had its own token; then the first
    customer's phone (its token) is registered by the second customer. Every endpoint and device item that held
    the token is checked: only the second customer's `primary` holds it, and the first customer has no device."""
    registry.register(OTHER_CUSTOMER, "primary", "GCM", OTHER_TOKEN, "en")  # B's own phone
    phone = registry.register(CUSTOMER, "primary", "GCM", TOKEN, "en")  # A's phone
    now_b = registry.register(OTHER_CUSTOMER, "primary", "GCM", TOKEN, "en")  # A's phone, now B's
    holding = [arn for arn, e in platform.endpoints.items() if e["token"] == TOKEN]
    assert holding == [phone.endpoint_arn] == [now_b.endpoint_arn]
    assert stores.devices.owner_of(phone.endpoint_arn) == (OTHER_CUSTOMER, "primary")
    assert stores.devices.devices_of(CUSTOMER) == [] and stores.devices.enabled_devices(CUSTOMER) == []
    assert [d.endpoint_arn for d in stores.devices.devices_of(OTHER_CUSTOMER)] == [phone.endpoint_arn]
    assert [e["token"] for e in platform.endpoints.values()] == [TOKEN]  # B's old phone's endpoint deleted


def test_a_platform_without_an_application_is_refused(registry, stores):
    with pytest.raises(PlatformNotConfigured):
        registry.register(CUSTOMER, "phone", "APNS_SANDBOX", TOKEN, "en")
    assert stores.table.items == {}


def test_a_platform_change_releases_and_deletes_the_old_endpoint(registry, stores, platform):
    old = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    new = registry.register(CUSTOMER, "phone", "APNS", OTHER_TOKEN, "en")
    assert new.endpoint_arn != old.endpoint_arn and new.platform == "APNS"
    assert platform.deleted == [old.endpoint_arn] and old.endpoint_arn not in platform.endpoints
    assert stores.devices.owner_of(old.endpoint_arn) is None
    assert stores.devices.owner_of(new.endpoint_arn) == (CUSTOMER, "phone")
    assert stores.devices.get(CUSTOMER, "phone").endpoint_arn == new.endpoint_arn


def test_a_token_that_moves_to_another_customer_takes_its_endpoint_along(registry, stores, platform):
    """A phone that changed hands: its endpoint now pushes only to the new customer's device."""
    first = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    moved = registry.register(OTHER_CUSTOMER, "tablet", "GCM", TOKEN, "en")
    assert moved.endpoint_arn == first.endpoint_arn
    assert stores.devices.owner_of(first.endpoint_arn) == (OTHER_CUSTOMER, "tablet")
    assert stores.devices.get(CUSTOMER, "phone") is None
    assert stores.devices.enabled_devices(CUSTOMER) == []
    assert platform.endpoints[first.endpoint_arn]["user_data"] == f"{OTHER_CUSTOMER}/tablet"
    assert platform.deleted == []


def test_unregistering_deletes_the_device_and_its_endpoint(registry, stores, platform):
    device = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    assert registry.unregister(CUSTOMER, "phone") is True
    assert stores.devices.get(CUSTOMER, "phone") is None and stores.devices.owner_of(device.endpoint_arn) is None
    assert platform.deleted == [device.endpoint_arn]
    assert registry.unregister(CUSTOMER, "phone") is False


class MovedWhileUnregistering(InMemoryDevices):
    """The endpoint moves to another customer's device between the device's deletion and its endpoint's release."""

    def __init__(self, stores: InMemoryStores, move: Callable[[], object]) -> None:
        super().__init__(stores.table)
        self.move = move

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None:
        deleted = super().delete(customer_id, device_id)
        self.move()
        return deleted


def test_unregistering_leaves_an_endpoint_that_moved_to_another_device_alone(stores, platform, clock):
    apps = {"GCM": GCM}
    DeviceRegistry(apps, stores.devices, platform, clock).register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    other = DeviceRegistry(apps, stores.devices, platform, clock)
    racing = MovedWhileUnregistering(stores, lambda: other.register(OTHER_CUSTOMER, "tablet", "GCM", TOKEN, "en"))
    assert DeviceRegistry(apps, racing, platform, clock).unregister(CUSTOMER, "phone") is True
    (tablet,) = stores.devices.devices_of(OTHER_CUSTOMER)
    assert platform.deleted == [] and tablet.endpoint_arn in platform.endpoints
    assert stores.devices.owner_of(tablet.endpoint_arn) == (OTHER_CUSTOMER, "tablet")


class AlwaysOutraced(InMemoryDevices):
    """Another registration of the same token takes the endpoint between each read of its owner and the write."""

    def __init__(self, stores: InMemoryStores) -> None:
        super().__init__(stores.table)
        self.puts = 0

    def put(self, device: DeviceRecord, now: datetime, *args: Any, **kw: Any) -> bool:
        self.puts += 1
        previous = self.owner_of(device.endpoint_arn)
        super().put(replace(device, customer_id=OTHER_CUSTOMER, device_id=f"racer-{self.puts}"), now, previous)
        return super().put(device, now, *args, **kw)


def test_a_registration_outraced_every_time_gives_up_with_a_conflict(stores, platform, clock):
    DeviceRegistry({"GCM": GCM}, stores.devices, platform, clock).register(OTHER_CUSTOMER, "first", "GCM", TOKEN, "en")
    devices = AlwaysOutraced(stores)
    with pytest.raises(DeviceRegistrationConflict):
        DeviceRegistry({"GCM": GCM}, devices, platform, clock).register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    assert devices.puts == REGISTRATION_ATTEMPTS
    assert stores.devices.get(CUSTOMER, "phone") is None


def test_a_registration_outraced_once_succeeds_on_the_next_attempt(stores, platform, clock):
    class OutracedOnce(AlwaysOutraced):
        def put(self, *args: Any, **kw: Any) -> bool:
            if self.puts:
                self.puts += 1
                return InMemoryDevices.put(self, *args, **kw)
            return super().put(*args, **kw)

    DeviceRegistry({"GCM": GCM}, stores.devices, platform, clock).register(OTHER_CUSTOMER, "first", "GCM", TOKEN, "en")
    devices = OutracedOnce(stores)
    device = DeviceRegistry({"GCM": GCM}, devices, platform, clock).register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    assert devices.puts == 2 and stores.devices.owner_of(device.endpoint_arn) == (CUSTOMER, "phone")
    assert [d.device_id for d in stores.devices.devices_of(OTHER_CUSTOMER)] == []  # each racer's item moved on


def test_a_phone_that_changed_hands_after_a_crashed_registration_can_be_registered_by_its_new_owner(
    registry, stores, clock
):
    """The previous owner's device moved to another endpoint and the registration died before it released the old
    one: the old endpoint's owner record still names a device that points elsewhere. The new owner's registration of
    the old token must still move it (not fail until the old device registers again, which may be never)."""
    old = registry.register(CUSTOMER, "phone", "GCM", TOKEN, "en")
    elsewhere = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/lean/elsewhere"
    assert stores.devices.put(
        DeviceRecord(CUSTOMER, "phone", "GCM", elsewhere), clock.now
    )  # its owner record: the old one stays
    assert stores.devices.owner_of(old.endpoint_arn) == (CUSTOMER, "phone")
    moved = registry.register(OTHER_CUSTOMER, "phone", "GCM", TOKEN, "en")  # the phone changed hands
    assert moved.endpoint_arn == old.endpoint_arn
    assert stores.devices.owner_of(old.endpoint_arn) == (OTHER_CUSTOMER, "phone")
    assert stores.devices.get(CUSTOMER, "phone").endpoint_arn == elsewhere  # left alone
