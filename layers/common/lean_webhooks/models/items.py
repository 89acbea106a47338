"""Typed items the repositories return (plain dataclasses, built from deserialised DynamoDB items)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum, auto
from typing import Any, Self

from lean_webhooks.models.beneficiary import BeneficiaryIdentity


class _FromItem:
    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        """Keep the attributes this type names; ignore keys and index attributes it does not."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in item.items() if k in names})


@dataclass(frozen=True)
class StoredBeneficiary(_FromItem):
    customer_id: str
    payment_source_id: str
    beneficiary_id: str
    status: str
    cool_off_seen: bool | None = None  # None: no write has said yet whether the customer waited for a cool-off
    payment_destination_id: str | None = None
    bank_identifier: str | None = None
    cool_off_expiry: str | None = None
    updated_at: str | None = None
    activated_at: str | None = None
    status_reason: str | None = None
    recheck_failures: int = 0
    last_event_id: str | None = None  # the event whose write this is (the stream's readers log it)
    last_event_type: str | None = None

    @property
    def identity(self) -> BeneficiaryIdentity:
        return BeneficiaryIdentity(self.customer_id, self.payment_source_id, self.beneficiary_id)


@dataclass(frozen=True)
class StoredPaymentSource(_FromItem):
    customer_id: str
    payment_source_id: str
    bank_identifier: str | None = None
    accounts: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: str | None = None
    deleted_at: str | None = None
    deleted_reason: str | None = None
    beneficiaries: list[StoredBeneficiary] = field(default_factory=list)


@dataclass(frozen=True)
class StoredDevice(_FromItem):
    customer_id: str
    device_id: str
    platform: str
    endpoint_arn: str
    enabled: bool = True
    updated_at: str | None = None
    disabled_at: str | None = None
    locale: str = "en"
    registered_at: str | None = None


@dataclass(frozen=True)
class StoredErasure(_FromItem):
    """A customer's erasure record as stored (ids and times only): its id, when it began and when it finished."""

    customer_id: str
    erasure_id: str
    started_at: str | None = None
    completed_at: str | None = None


class ItemKind(StrEnum):
    """What a stored item is, in the domain's terms (storage maps its own kind names to these)."""

    PAYMENT_SOURCE = auto()
    BENEFICIARY = auto()
    DEVICE = auto()
    PUSH_MARKER = auto()
    REFRESH_MARKER = auto()
    ERASURE = auto()
    OTHER = auto()


@dataclass(frozen=True)
class StoredItem:
    """Any item of a customer's partition, as erasure sees it: its sort key, its kind and, for a device, the push
    endpoint it holds."""

    customer_id: str
    sk: str
    kind: ItemKind
    endpoint_arn: str | None = None
    device_id: str | None = None
    payment_source_id: str | None = None
    deleted_at: str | None = None


StoredValue = StoredBeneficiary | StoredPaymentSource | StoredErasure


@dataclass(frozen=True)
class StoredChange:
    """One change of a stored item, as the table's stream reports it: the item before and after, as typed values
    (None when absent, or an item no stream reader reads: a device, a push marker, ...)."""

    record_id: str  # the stream record's id: every delivery of the record carries the same one
    kind: str  # INSERT, MODIFY or REMOVE
    old: StoredValue | None
    new: StoredValue | None
    approximate_at: str  # when DynamoDB recorded the change (RFC 3339), for items that carry no time of their own
    item: str = ""  # which item changed, opaque: equal for every change of one item, different for any other
