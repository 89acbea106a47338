"""What the domain needs from the outside world, as `typing.Protocol`s. Adapters satisfy them structurally;
handlers compose adapters into core objects; tests hand in fakes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite
from lean_webhooks.models.items import StoredBeneficiary, StoredDevice, StoredPaymentSource
from lean_webhooks.models.push import ClaimResult

if TYPE_CHECKING:  # pydantic models: a function that only pushes never imports pydantic
    from lean_webhooks.models.payment_source import LeanPaymentSource
    from lean_webhooks.models.webhook import EventsPage


class LeanReader(Protocol):
    """Reads payment sources from Lean's API; raises `models.errors.LeanApiError` subclasses."""

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource: ...


class LeanEvents(Protocol):
    """Lean's Events API."""

    def list_events(
        self, event_type: str, since: datetime, until: datetime, page: int = 0, size: int = 100
    ) -> EventsPage: ...


class PaymentSourceRepository(Protocol):
    """Stored payment sources and beneficiaries, written under the write rules."""

    def put_payment_source(self, source: LeanPaymentSource, fetched_at: datetime) -> bool: ...

    def apply_beneficiary(self, write: BeneficiaryWrite, now: datetime) -> bool: ...

    def beneficiaries_of(self, customer_id: str, payment_source_id: str) -> list[StoredBeneficiary]: ...

    def mark_beneficiary(
        self, customer_id: str, payment_source_id: str, beneficiary_id: str, status: str, reason: str, now: datetime
    ) -> bool: ...

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime
    ) -> int: ...

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]: ...

    def unsettled_activations(self, since: datetime, until: datetime, limit: int) -> list[StoredBeneficiary]: ...

    def settle_activation(
        self, identity: BeneficiaryIdentity, now: datetime, activated_at: str | None = None
    ) -> bool: ...

    def defer_recheck(
        self, identity: BeneficiaryIdentity, failures: int, recheck_at: datetime | None, now: datetime
    ) -> bool: ...

    def list_for_customer(self, customer_id: str) -> list[StoredPaymentSource]: ...


class DeviceRepository(Protocol):
    """Registered devices of customers."""

    def get(self, customer_id: str, device_id: str) -> StoredDevice | None: ...

    def owner_of(self, endpoint_arn: str) -> tuple[str, str] | None: ...

    def put(
        self,
        customer_id: str,
        device_id: str,
        platform: str,
        endpoint_arn: str,
        now: datetime,
        previous_owner: tuple[str, str] | None = None,
        locale: str = "en",
        registered_at: str | None = None,
    ) -> bool: ...

    def release_endpoint(self, endpoint_arn: str, customer_id: str, device_id: str) -> bool: ...

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None: ...

    def devices_of(self, customer_id: str) -> list[StoredDevice]: ...

    def enabled_devices(self, customer_id: str) -> list[StoredDevice]: ...

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None: ...


class PushMarkers(Protocol):
    """One marker per (activation, device): claimed with a lease, then sent, released after a failure, or left
    for the next claimant when the publish's outcome is unknown."""

    def claim(
        self, customer_id: str, beneficiary_id: str, device_id: str, now: datetime, lease: timedelta
    ) -> ClaimResult: ...

    def sent(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime) -> bool: ...

    def release(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str) -> bool: ...

    def outcome_unknown(
        self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime
    ) -> bool: ...


class PushPlatform(Protocol):
    """Mobile push endpoints and publishing (SNS); `publish` raises `models.errors.EndpointDisabled`."""

    def publish(self, endpoint_arn: str, message: str) -> str: ...

    def ensure_endpoint(self, application_arn: str, token: str, known_arn: str | None, user_data: str) -> str: ...

    def delete_endpoint(self, endpoint_arn: str) -> None: ...


class EventLedger(Protocol):
    """Which Lean events were processed, and how far the Events API was read."""

    def processed(self, event_ids: Iterable[str]) -> set[str]: ...

    def checkpoint(self, name: str) -> datetime | None: ...

    def save_checkpoint(self, name: str, covered_until: datetime) -> None: ...
