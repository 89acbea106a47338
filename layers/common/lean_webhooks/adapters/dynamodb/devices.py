"""Device items: which SNS platform endpoint to push to for a customer's device."""

from __future__ import annotations

from datetime import datetime

from lean_webhooks.adapters.dynamodb.table import (
    DEVICE,
    Table,
    customer_pk,
    device_sk,
    from_item,
    key,
    to_item,
    to_values,
)
from lean_webhooks.models.items import StoredDevice
from lean_webhooks.models.timestamps import iso


class DeviceStore:
    """Registered devices of customers (the token itself lives only in SNS)."""

    def __init__(self, table: Table):
        self._table = table

    def get(self, customer_id: str, device_id: str) -> StoredDevice | None:
        item = self._table.dynamodb.get_item(
            TableName=self._table.name, Key=key(customer_pk(customer_id), device_sk(device_id)), ConsistentRead=True
        ).get("Item")
        return StoredDevice.from_item(from_item(item)) if item else None

    def put(self, customer_id: str, device_id: str, platform: str, endpoint_arn: str, now: datetime) -> None:
        self._table.dynamodb.put_item(
            TableName=self._table.name,
            Item=to_item(
                {
                    "pk": customer_pk(customer_id),
                    "sk": device_sk(device_id),
                    "entity": DEVICE,
                    "customer_id": customer_id,
                    "device_id": device_id,
                    "platform": platform,
                    "endpoint_arn": endpoint_arn,
                    "enabled": True,
                    "updated_at": iso(now),
                }
            ),
        )

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None:
        """Delete the device; returns what was stored, if anything."""
        old = self._table.dynamodb.delete_item(
            TableName=self._table.name,
            Key=key(customer_pk(customer_id), device_sk(device_id)),
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        return StoredDevice.from_item(from_item(old)) if old else None

    def enabled_devices(self, customer_id: str) -> list[StoredDevice]:
        items = self._table.query_customer(customer_id, f"{DEVICE}#")
        return [StoredDevice.from_item(d) for d in items if d.get("enabled") is True]

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None:
        """Mark the device disabled, unless it was re-registered with another endpoint meanwhile."""
        self._table.update_if(
            key(customer_pk(customer_id), device_sk(device_id)),
            "SET enabled = :false, disabled_at = :now",
            "endpoint_arn = :arn",
            ExpressionAttributeValues=to_values({":false": False, ":now": iso(now), ":arn": endpoint_arn}),
        )
