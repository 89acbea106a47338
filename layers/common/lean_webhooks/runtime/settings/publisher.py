"""The domain events' publisher's settings."""

from __future__ import annotations

from dataclasses import dataclass

from lean_webhooks.runtime.config import required


@dataclass(frozen=True)
class PublisherSettings:
    """The domain events' publisher: the bus it puts events on, and the table of customers' erasure records."""

    event_bus_name: str
    table_name: str | None = None

    @classmethod
    def from_env(cls) -> PublisherSettings:
        return cls(event_bus_name=required("EVENT_BUS_NAME"), table_name=required("TABLE_NAME"))
