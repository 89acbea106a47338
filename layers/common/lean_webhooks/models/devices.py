"""A device as the registry records it: the value `Devices.put` writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceRecord:
    """A customer's device pointing at the SNS endpoint of its token (never the token itself)."""

    customer_id: str
    device_id: str
    platform: str
    endpoint_arn: str
    locale: str = "en"
    registered_at: str | None = None  # kept from the first registration; None: now

    @property
    def owner(self) -> tuple[str, str]:
        """Who owns the endpoint once this record is written: (customer_id, device_id)."""
        return self.customer_id, self.device_id
