"""Device items: which SNS platform endpoint to push to for a customer's device."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from lean_webhooks.adapters.dynamodb.keys import (
    DEVICE,
    ENDPOINT,
    customer_pk,
    device_item,
    device_sk,
    endpoint_pk,
    owner_item,
)
from lean_webhooks.adapters.dynamodb.table import Table, key, to_item, to_values
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import iso

if TYPE_CHECKING:
    from lean_webhooks.models.devices import DeviceRecord


class DynamoDevices:
    """Registered devices of customers (the token itself lives only in SNS), and the owner of each endpoint."""

    def __init__(self, table: Table):
        self._table = table

    def get(self, customer_id: str, device_id: str) -> StoredDevice | None:
        item = self._table.get(key(customer_pk(customer_id), device_sk(device_id)))
        return StoredDevice.from_item(item) if item else None

    def owner_of(self, endpoint_arn: str) -> tuple[str, str] | None:
        """(customer_id, device_id) whose device item holds the endpoint, from the lookup by endpoint."""
        owner = self._table.get(key(endpoint_pk(endpoint_arn), ENDPOINT))
        return (owner["customer_id"], owner["device_id"]) if owner else None

    def put(self, device: DeviceRecord, now: datetime, previous_owner: tuple[str, str] | None = None) -> bool:
        """The endpoint's owner becomes this device and the device item points at it. When the endpoint moves
        from another device (same token: SNS hands back the same endpoint), one transaction also removes that
        device's item (or, when that item points elsewhere already, checks it still does). Otherwise two writes,
        the owner first: a crash between them leaves an owner record without its device item, never a device item
        pointing at an endpoint it does not own (and a transaction would bill both writes twice). False when the
        owner changed since `previous_owner` was read (a concurrent registration): read again."""
        endpoint_arn = device.endpoint_arn
        owner = owner_item(endpoint_arn, device.customer_id, device.device_id)
        condition, values = "attribute_not_exists(pk)", {}
        if previous_owner:
            condition += " OR (customer_id = :pc AND device_id = :pd)"
            values = {"ExpressionAttributeValues": to_values({":pc": previous_owner[0], ":pd": previous_owner[1]})}
        item = device_item(
            device.customer_id,
            device.device_id,
            device.platform,
            endpoint_arn,
            now,
            device.locale,
            device.registered_at,
        )
        if previous_owner is None or previous_owner == device.owner:
            if not self._table.put_if(owner, condition, **values):
                return False
            self._table.put(item)
            return True
        previous = key(customer_pk(previous_owner[0]), device_sk(previous_owner[1]))
        return self._table.transact(
            [
                {"Put": {"Item": to_item(owner), "ConditionExpression": condition, **values}},
                {"Put": {"Item": to_item(item)}},
                self._previous_device(previous, endpoint_arn),
            ]
        )

    def _previous_device(self, previous: dict[str, Any], endpoint_arn: str) -> dict[str, Any]:
        """The previous owner's device item: deleted while it points at the endpoint; left alone, but checked not
        to point at it by the time the transaction runs, when it points elsewhere already (a registration that
        crashed between its owner write and its device write)."""
        arn = {"ExpressionAttributeValues": to_values({":arn": endpoint_arn})}
        stored = self._table.get(previous, projection="endpoint_arn")
        if stored and stored.get("endpoint_arn") == endpoint_arn:
            return {"Delete": {"Key": previous, "ConditionExpression": "endpoint_arn = :arn", **arn}}
        return {
            "ConditionCheck": {
                "Key": previous,
                "ConditionExpression": "attribute_not_exists(pk) OR endpoint_arn <> :arn",
                **arn,
            }
        }

    def release_endpoint(self, endpoint_arn: str, customer_id: str, device_id: str) -> bool:
        """Drop the endpoint's owner record if this device owns it (or nobody does); True means the endpoint
        is this device's to delete, False that it moved on to another device and must be left alone."""
        return self._table.delete_if(
            key(endpoint_pk(endpoint_arn), ENDPOINT),
            "attribute_not_exists(pk) OR (customer_id = :c AND device_id = :d)",
            ExpressionAttributeValues=to_values({":c": customer_id, ":d": device_id}),
        )

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None:
        """Delete the device; returns what was stored, if anything."""
        old = self._table.delete(key(customer_pk(customer_id), device_sk(device_id)))
        return StoredDevice.from_item(old) if old else None

    def devices_of(self, customer_id: str) -> list[StoredDevice]:
        """Every registered device of the customer, in device id order."""
        return [StoredDevice.from_item(d) for d in self._table.query_customer(customer_id, f"{DEVICE}#")]

    def enabled_devices(self, customer_id: str) -> list[StoredDevice]:
        return [d for d in self.devices_of(customer_id) if d.enabled is True]

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None:
        """Mark the device disabled, unless it was re-registered with another endpoint meanwhile."""
        self._table.update_if(
            key(customer_pk(customer_id), device_sk(device_id)),
            "SET enabled = :false, disabled_at = :now",
            "endpoint_arn = :arn",
            ExpressionAttributeValues=to_values({":false": False, ":now": iso(now), ":arn": endpoint_arn}),
        )
