"""Lean's API through the client of the credentials now in Secrets Manager, as one object a use case keeps.

Each call asks `factory.lean_client` for the client (one per set of credentials; the secret re-read through
Powertools' 5-minute cache), so rotated credentials take effect without a new execution environment. Nothing of
the client (requests, Lean's models) loads before the first call: a function that builds a use case holding this
object, and never calls Lean on its path (an idle cool-off recovery), pays nothing for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from datetime import datetime

    from lean_webhooks.adapters.lean.client import LeanClient
    from lean_webhooks.models.payment_source import LeanPaymentSource
    from lean_webhooks.models.refresh import PaymentSourceListing
    from lean_webhooks.models.webhook import EventsPage
    from lean_webhooks.runtime.settings.lean import LeanSettings


class CurrentLeanClient:
    """`LeanReader`, `LeanCustomerApi` and `LeanEvents` of the current credentials."""

    def __init__(self, settings: LeanSettings):
        self._settings = settings

    def client(self) -> LeanClient:
        """The client of the credentials in Secrets Manager now."""
        from lean_webhooks.adapters.lean.factory import lean_client

        return lean_client(self._settings)

    def within(self, seconds: float) -> AbstractContextManager[None]:
        return self.client().within(seconds)

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        return self.client().get_payment_source(customer_id, payment_source_id)

    def list_payment_sources(self, customer_id: str) -> list[LeanPaymentSource]:
        return self.client().list_payment_sources(customer_id)

    def read_payment_sources(self, customer_id: str) -> PaymentSourceListing:
        return self.client().read_payment_sources(customer_id)

    def delete_payment_source(self, customer_id: str, payment_source_id: str) -> bool:
        return self.client().delete_payment_source(customer_id, payment_source_id)

    def list_events(
        self, event_type: str, since: datetime, until: datetime, page: int = 0, size: int = 100
    ) -> EventsPage:
        return self.client().list_events(event_type, since, until, page, size)
