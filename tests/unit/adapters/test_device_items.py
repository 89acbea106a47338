"""Device items and endpoint owners: one endpoint belongs to one device item, whatever crashes in between."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.models.devices import DeviceRecord

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ARN = "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1"


class Crash(Exception):
    pass


class CrashOnDevicePut:
    """A DynamoDB client that dies on the first write of a device item (the process killed mid-registration)."""

    def __init__(self, real: Any):
        self._real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs["Item"]["sk"]["S"])
        if kwargs["Item"]["sk"]["S"].startswith("DEVICE#"):
            raise Crash
        return self._real.put_item(**kwargs)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls.append("transaction")
        return self._real.transact_write_items(**kwargs)


def test_a_first_registration_writes_the_owner_before_the_device_without_a_transaction(aws):
    dynamodb = aws["clients"]["dynamodb"]
    crashing = CrashOnDevicePut(dynamodb)
    store = DynamoDevices(Table(aws["refs"]["Table"], crashing))
    with pytest.raises(Crash):
        store.put(DeviceRecord("c1", "phone", "GCM", ARN), NOW)
    assert crashing.calls == ["ENDPOINT", "DEVICE#phone"]  # two writes, the owner first
    healthy = DynamoDevices(Table(aws["refs"]["Table"], dynamodb))
    # The crash left an owner without its device item, never a device item pointing at an endpoint it doesn't own.
    assert healthy.get("c1", "phone") is None and healthy.owner_of(ARN) == ("c1", "phone")
    # The client's retry reads that owner and completes the registration.
    assert healthy.put(DeviceRecord("c1", "phone", "GCM", ARN), NOW, previous_owner=healthy.owner_of(ARN))
    assert healthy.get("c1", "phone").endpoint_arn == ARN


def test_a_moved_endpoint_is_one_transaction_that_removes_the_previous_owners_item(aws):
    dynamodb = aws["clients"]["dynamodb"]
    table = Table(aws["refs"]["Table"], dynamodb)
    DynamoDevices(table).put(DeviceRecord("c1", "old-phone", "GCM", ARN), NOW)
    watching = CrashOnDevicePut(dynamodb)
    store = DynamoDevices(Table(aws["refs"]["Table"], watching))
    assert store.put(DeviceRecord("c2", "new-phone", "GCM", ARN), NOW, previous_owner=("c1", "old-phone"))
    assert watching.calls == ["transaction"]
    assert store.get("c1", "old-phone") is None and store.owner_of(ARN) == ("c2", "new-phone")


def test_a_registration_that_lost_a_race_for_the_owner_writes_no_device_item(aws):
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    store = DynamoDevices(table)
    assert store.put(DeviceRecord("c1", "phone", "GCM", ARN), NOW)
    assert not store.put(
        DeviceRecord("c2", "tablet", "GCM", ARN), NOW
    )  # read no owner, but c1's registration won meanwhile
    assert store.get("c2", "tablet") is None and store.owner_of(ARN) == ("c1", "phone")
