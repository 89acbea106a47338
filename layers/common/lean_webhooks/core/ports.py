"""What the use cases need from the outside world, one small `typing.Protocol` per need, named for its caller's
view. Adapters satisfy them structurally (one DynamoDB adapter may serve several); tests hand in the in-memory
fakes of `tests/support/fakes.py`, which pass the same contract tests as the adapters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # pydantic models: a function that only pushes never imports pydantic
    from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite
    from lean_webhooks.models.devices import DeviceRecord
    from lean_webhooks.models.domain_events import DomainEvent
    from lean_webhooks.models.erasure import ErasureRecord
    from lean_webhooks.models.items import StoredBeneficiary, StoredDevice, StoredItem, StoredPaymentSource
    from lean_webhooks.models.payment_source import LeanPaymentSource
    from lean_webhooks.models.push import ClaimResult
    from lean_webhooks.models.refresh import PaymentSourceListing, RefreshClaim
    from lean_webhooks.models.webhook import BeneficiaryEvent, EventsPage, PaymentSourceUpdatedEvent

T = TypeVar("T")


# ---------- Lean ----------
class LeanReader(Protocol):
    """Reads one payment source from Lean's API; raises `models.errors.LeanApiError` subclasses."""

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource: ...


class LeanCustomerApi(Protocol):
    """What the app backend's calls ask of Lean, within a total deadline (`within`) that fits an HTTP answer.
    `read_payment_sources` is the list with its unreadable items set apart; `list_payment_sources` refuses the
    whole list when one item cannot be read."""

    def list_payment_sources(self, customer_id: str) -> list[LeanPaymentSource]: ...

    def read_payment_sources(self, customer_id: str) -> PaymentSourceListing: ...

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource: ...

    def delete_payment_source(self, customer_id: str, payment_source_id: str) -> bool: ...

    def within(self, seconds: float) -> AbstractContextManager[None]: ...


class LeanEvents(Protocol):
    """Lean's Events API."""

    def list_events(
        self, event_type: str, since: datetime, until: datetime, page: int = 0, size: int = 100
    ) -> EventsPage: ...


# ---------- stored payment sources ----------
class SyncWrites(Protocol):
    """The sync's writes of payment sources and beneficiaries, under the write rules. A write given `read_at` (when
    its Lean read began) is under the erasure guard: it raises `models.errors.CustomerErased`, writing nothing,
    when the customer's erasure is under way or finished after `read_at`."""

    def put_payment_source(
        self, source: LeanPaymentSource, fetched_at: datetime, read_at: datetime | None = None
    ) -> bool: ...

    def apply_beneficiary(self, write: BeneficiaryWrite, now: datetime, read_at: datetime | None = None) -> bool: ...

    def beneficiaries_of(self, customer_id: str, payment_source_id: str) -> list[StoredBeneficiary]: ...

    def mark_beneficiary(
        self, customer_id: str, payment_source_id: str, beneficiary_id: str, status: str, reason: str, now: datetime
    ) -> bool: ...

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime, read_at: datetime | None = None
    ) -> int: ...


class RecoveryIndex(Protocol):
    """Beneficiaries still awaiting their cool-off, by when to look at them again."""

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]: ...

    def defer_recheck(
        self, identity: BeneficiaryIdentity, failures: int, recheck_at: datetime | None, now: datetime
    ) -> bool: ...


class ActivationIndex(Protocol):
    """Activations whose pushes are not settled yet, by when they happened."""

    def unsettled_activations(self, since: datetime, until: datetime, limit: int) -> list[StoredBeneficiary]: ...

    def settle_activation(
        self, identity: BeneficiaryIdentity, now: datetime, activated_at: str | None = None, abandoned: bool = False
    ) -> bool: ...


class PaymentSourceReader(Protocol):
    """What the app backend reads: a customer's payment sources, deleted ones left out."""

    def list_for_customer(self, customer_id: str) -> list[StoredPaymentSource]: ...


class RefreshedPaymentSources(PaymentSourceReader, Protocol):
    """A refresh's view of what is stored: the customer's payment sources, and marking gone (with its
    beneficiaries) one that Lean no longer knows."""

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime, read_at: datetime | None = None
    ) -> int: ...


# ---------- devices and pushes ----------
class Devices(Protocol):
    """Registered devices of customers, and which device owns each push endpoint."""

    def get(self, customer_id: str, device_id: str) -> StoredDevice | None: ...

    def owner_of(self, endpoint_arn: str) -> tuple[str, str] | None: ...

    def put(self, device: DeviceRecord, now: datetime, previous_owner: tuple[str, str] | None = None) -> bool: ...

    def release_endpoint(self, endpoint_arn: str, customer_id: str, device_id: str) -> bool: ...

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None: ...

    def devices_of(self, customer_id: str) -> list[StoredDevice]: ...

    def enabled_devices(self, customer_id: str) -> list[StoredDevice]: ...

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None: ...


class PushMarkers(Protocol):
    """One marker per (activation, device): claimed with a lease, then sent, released after a failure, or left
    for the next claimant when the publish's outcome is unknown. A claim given `read_at` (when the activation was
    stored) is under the erasure guard (raises `CustomerErased`)."""

    def claim(
        self,
        customer_id: str,
        beneficiary_id: str,
        device_id: str,
        now: datetime,
        lease: timedelta,
        read_at: datetime | None = None,
    ) -> ClaimResult: ...

    def sent(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime) -> bool: ...

    def release(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str) -> bool: ...

    def outcome_unknown(
        self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime
    ) -> bool: ...


class PushPlatform(Protocol):
    """Mobile push endpoints and publishing (SNS); `publish` raises `models.errors.EndpointDisabled` or
    `PushOutcomeUnknown`. `ensure_endpoint` answers the one endpoint of a token, enabled, with `user_data`."""

    def publish(self, endpoint_arn: str, message: str) -> str: ...

    def ensure_endpoint(self, application_arn: str, token: str, user_data: str) -> str: ...

    def delete_endpoint(self, endpoint_arn: str) -> None: ...


# ---------- events ----------
class EventLedger(Protocol):
    """Which Lean events the sync path finished, and how far the Events API was read."""

    def synced(self, event_id: str) -> bool: ...

    def record(self, event_id: str, event_type: str, outcome: str, now: datetime) -> bool: ...

    def processed(self, event_ids: Iterable[str]) -> set[str]: ...

    def checkpoint(self, name: str) -> datetime | None: ...

    def save_checkpoint(self, name: str, covered_until: datetime) -> None: ...


class SyncQueue(Protocol):
    """The sync path's queue: a webhook (delivered, or recovered from the Events API) to sync."""

    def send(self, event: BeneficiaryEvent | PaymentSourceUpdatedEvent) -> None: ...


class Attempt(Protocol):
    """Runs one piece of a queued message's work: its result, or None once the message was given up on
    (dead-lettered with its reason). A failure worth another try raises."""

    def __call__(self, work: Callable[[], T]) -> T | None: ...


class DomainEventBus(Protocol):
    """Where the fintech's own systems subscribe to what happened (EventBridge); raises when an event could not
    be put, so that the caller tries again."""

    def publish(self, events: list[DomainEvent]) -> None: ...


# ---------- app backend ----------
class RefreshMarkers(Protocol):
    """One marker per customer: when Lean was last asked for the customer's payment sources, and how it went."""

    def claim(self, customer_id: str, now: datetime, min_interval: timedelta) -> RefreshClaim: ...

    def finish(
        self,
        customer_id: str,
        claim_id: str,
        failed: bool,
        retry_at: datetime | None,
        now: datetime,
        retryable: bool = True,
    ) -> None: ...

    def current(self, customer_id: str) -> RefreshClaim: ...


class CustomerRecords(Protocol):
    """Every item stored for one customer, for erasure, and the customer's erasure record (ids and times)."""

    def items_of(self, customer_id: str) -> list[StoredItem]: ...

    def delete(self, item: StoredItem) -> bool: ...

    def begin_erasure(self, customer_id: str, now: datetime) -> str: ...

    def complete_erasure(self, customer_id: str, erasure_id: str, now: datetime) -> None: ...

    def erasure_of(self, customer_id: str) -> ErasureRecord | None: ...


class Erasures(Protocol):
    """A customer's last erasure, for the readers of the stream (what they must no longer pass on)."""

    def erasure_of(self, customer_id: str) -> ErasureRecord | None: ...
