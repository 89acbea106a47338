"""Devices contract: device items, one owner record per push endpoint, an endpoint moving between devices all or
nothing, an endpoint released only by its owner, a device disabled only while it holds the same endpoint."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import iso
from tests.unit.contract.conftest import CUSTOMER, NOW, OTHER_CUSTOMER, Backend

LATER = NOW + timedelta(minutes=5)
ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1"
OTHER_ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/2"


def test_a_registered_device_points_at_the_endpoint_it_owns(backend: Backend):
    devices = backend.devices
    assert devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN, locale="ar"), NOW) is True
    assert devices.get(CUSTOMER, "phone") == StoredDevice(
        CUSTOMER, "phone", "GCM", ARN, True, iso(NOW), locale="ar", registered_at=iso(NOW)
    )
    assert devices.owner_of(ARN) == (CUSTOMER, "phone")
    assert devices.get(CUSTOMER, "tablet") is None and devices.owner_of(OTHER_ARN) is None


def test_a_refresh_by_the_owner_keeps_the_registration_time_given(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    assert devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN, "en", iso(NOW)), LATER, (CUSTOMER, "phone")) is True
    device = devices.get(CUSTOMER, "phone")
    assert (device.registered_at, device.updated_at) == (iso(NOW), iso(LATER))


def test_an_endpoint_owned_by_another_device_is_not_taken_without_naming_its_owner(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    assert devices.put(DeviceRecord(OTHER_CUSTOMER, "tablet", "GCM", ARN), LATER) is False  # a concurrent registration
    assert devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), LATER) is False  # even by the owner, unread
    assert devices.owner_of(ARN) == (CUSTOMER, "phone")
    assert devices.get(OTHER_CUSTOMER, "tablet") is None
    assert devices.get(CUSTOMER, "phone").updated_at == iso(NOW)


def test_an_endpoint_moves_with_its_token_and_the_previous_device_goes(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    assert (
        devices.put(DeviceRecord(OTHER_CUSTOMER, "tablet", "GCM", ARN), LATER, previous_owner=(CUSTOMER, "phone"))
        is True
    )
    assert devices.owner_of(ARN) == (OTHER_CUSTOMER, "tablet")
    assert devices.get(CUSTOMER, "phone") is None
    assert devices.get(OTHER_CUSTOMER, "tablet").endpoint_arn == ARN


def test_a_move_from_an_owner_read_too_early_changes_nothing(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    devices.put(DeviceRecord(CUSTOMER, "watch", "GCM", ARN), NOW, previous_owner=(CUSTOMER, "phone"))  # moved meanwhile
    assert (
        devices.put(DeviceRecord(OTHER_CUSTOMER, "tablet", "GCM", ARN), LATER, previous_owner=(CUSTOMER, "phone"))
        is False
    )
    assert devices.owner_of(ARN) == (CUSTOMER, "watch")
    assert devices.get(CUSTOMER, "watch") is not None and devices.get(OTHER_CUSTOMER, "tablet") is None


def test_an_endpoint_moves_even_when_its_owner_record_names_a_device_that_points_elsewhere(backend: Backend):
    """The owner record names a device that now points at another endpoint (a registration that crashed between
    its owner write and its device write): the endpoint still moves, and that device keeps its other endpoint."""
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", OTHER_ARN), NOW)
    devices.put(
        DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW
    )  # owner of ARN, the device item left pointing at OTHER_ARN
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", OTHER_ARN), LATER, previous_owner=(CUSTOMER, "phone"))
    assert devices.owner_of(ARN) == (CUSTOMER, "phone")
    assert (
        devices.put(DeviceRecord(OTHER_CUSTOMER, "tablet", "GCM", ARN), LATER, previous_owner=(CUSTOMER, "phone"))
        is True
    )
    assert devices.owner_of(ARN) == (OTHER_CUSTOMER, "tablet")
    assert devices.get(CUSTOMER, "phone").endpoint_arn == OTHER_ARN
    assert devices.get(OTHER_CUSTOMER, "tablet").endpoint_arn == ARN


def test_an_endpoint_is_released_only_by_its_owner(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    assert devices.release_endpoint(ARN, OTHER_CUSTOMER, "tablet") is False
    assert devices.release_endpoint(ARN, CUSTOMER, "tablet") is False
    assert devices.owner_of(ARN) == (CUSTOMER, "phone")
    assert devices.release_endpoint(ARN, CUSTOMER, "phone") is True
    assert devices.owner_of(ARN) is None
    assert devices.release_endpoint(ARN, OTHER_CUSTOMER, "tablet") is True  # nobody owns it: anyone's to delete


def test_deleting_a_device_returns_it_and_leaves_the_owner_record(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "APNS", ARN), NOW)
    deleted = devices.delete(CUSTOMER, "phone")
    assert deleted is not None and (deleted.device_id, deleted.platform, deleted.endpoint_arn) == ("phone", "APNS", ARN)
    assert devices.get(CUSTOMER, "phone") is None
    assert devices.delete(CUSTOMER, "phone") is None
    assert devices.owner_of(ARN) == (CUSTOMER, "phone")  # released separately, by its owner


def test_a_customers_devices_come_in_device_id_order_and_enabled_ones_apart(backend: Backend):
    devices = backend.devices
    for n, device_id in enumerate(("tablet", "phone", "watch")):
        devices.put(DeviceRecord(CUSTOMER, device_id, "GCM", f"{ARN}{n}"), NOW)
    devices.put(DeviceRecord(OTHER_CUSTOMER, "laptop", "GCM", OTHER_ARN), NOW)
    devices.mark_disabled(CUSTOMER, "watch", f"{ARN}2", LATER)
    assert [d.device_id for d in devices.devices_of(CUSTOMER)] == ["phone", "tablet", "watch"]
    assert [d.device_id for d in devices.enabled_devices(CUSTOMER)] == ["phone", "tablet"]
    assert devices.devices_of("nobody") == []


def test_a_device_is_disabled_only_while_it_holds_the_same_endpoint(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", OTHER_ARN), NOW)  # registered again with another endpoint
    devices.mark_disabled(CUSTOMER, "phone", ARN, LATER)  # SNS's answer about the old endpoint
    assert devices.get(CUSTOMER, "phone").enabled is True
    devices.mark_disabled(CUSTOMER, "phone", OTHER_ARN, LATER)
    device = devices.get(CUSTOMER, "phone")
    assert (device.enabled, device.disabled_at) == (False, iso(LATER))
    devices.mark_disabled(CUSTOMER, "gone", ARN, LATER)  # a device deleted meanwhile is not created
    assert devices.get(CUSTOMER, "gone") is None


def test_registering_again_enables_a_disabled_device(backend: Backend):
    devices = backend.devices
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), NOW)
    devices.mark_disabled(CUSTOMER, "phone", ARN, NOW)
    devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", ARN), LATER, previous_owner=(CUSTOMER, "phone"))
    assert devices.get(CUSTOMER, "phone").enabled is True
    assert [d.device_id for d in devices.enabled_devices(CUSTOMER)] == ["phone"]


def test_an_endpoint_moves_between_two_customers_devices_of_the_same_id(backend: Backend):
    """An app that calls every phone `primary`: B's `primary` pointed at its own phone's endpoint, then takes the
    endpoint of A's `primary` (the same token). A keeps no device; B's older endpoint is B's to release."""
    devices = backend.devices
    devices.put(DeviceRecord(OTHER_CUSTOMER, "primary", "GCM", OTHER_ARN), NOW)
    devices.put(DeviceRecord(CUSTOMER, "primary", "GCM", ARN), NOW)
    moved = DeviceRecord(OTHER_CUSTOMER, "primary", "GCM", ARN)
    assert devices.put(moved, LATER, previous_owner=devices.owner_of(ARN)) is True
    assert devices.devices_of(CUSTOMER) == [] and devices.owner_of(ARN) == moved.owner
    assert [d.endpoint_arn for d in devices.devices_of(OTHER_CUSTOMER)] == [ARN]
    assert devices.release_endpoint(OTHER_ARN, OTHER_CUSTOMER, "primary") is True
    assert devices.release_endpoint(ARN, CUSTOMER, "primary") is False  # not A's any more
