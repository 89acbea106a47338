"""Device items: which SNS platform endpoint to push to for a customer's device."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lean_webhooks.store.payment_sources import iso
from lean_webhooks.store.table import DEVICE, Table, customer_pk, device_sk, from_item, key, to_item, to_values


class DeviceStore:
    """Registered devices of customers (the token itself lives only in SNS)."""

    def __init__(self, table: Table):
        self._table = table

    def get(self, customer_id: str, device_id: str) -> dict[str, Any] | None:
        item = self._table.dynamodb.get_item(
            TableName=self._table.name, Key=key(customer_pk(customer_id), device_sk(device_id)), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

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

    def delete(self, customer_id: str, device_id: str) -> dict[str, Any] | None:
        """Delete the device; returns what was stored, if anything."""
        old = self._table.dynamodb.delete_item(
            TableName=self._table.name,
            Key=key(customer_pk(customer_id), device_sk(device_id)),
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        return from_item(old) if old else None

    def enabled_devices(self, customer_id: str) -> list[dict[str, Any]]:
        return [d for d in self._table.query_customer(customer_id, f"{DEVICE}#") if d.get("enabled") is True]

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None:
        """Mark the device disabled, unless it was re-registered with another endpoint meanwhile."""
        try:
            self._table.dynamodb.update_item(
                TableName=self._table.name,
                Key=key(customer_pk(customer_id), device_sk(device_id)),
                UpdateExpression="SET enabled = :false, disabled_at = :now",
                ConditionExpression="endpoint_arn = :arn",
                ExpressionAttributeValues=to_values({":false": False, ":now": iso(now), ":arn": endpoint_arn}),
            )
        except Exception as exc:
            from lean_webhooks.aws import error_code

            if error_code(exc) != "ConditionalCheckFailedException":
                raise
