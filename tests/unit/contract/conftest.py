"""The two backends every contract test runs on: the in-memory fakes on one shared table, and the DynamoDB adapters
on the template's table in moto (the `aws` fixture of tests/unit/conftest.py). Plus the builders the suites share.

The Lean simulator the `aws` fixture normally starts is replaced by a stand-in address: no contract test calls
Lean, and each test then starts no server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from lean_webhooks.core.ports import (
    ActivationIndex,
    CustomerRecords,
    Devices,
    EventLedger,
    PaymentSourceReader,
    PushMarkers,
    RecoveryIndex,
    RefreshMarkers,
    SyncWrites,
)
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from tests.support.fakes import InMemoryStores, lean_beneficiary, lean_source

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CUSTOMER = "8a3e0b4c-1d2f-4e5a-9b6c-7d8e9f0a1b2c"
OTHER_CUSTOMER = "0f1e2d3c-4b5a-4968-8776-655443322110"
SOURCE = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
BENEFICIARY = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"


class PaymentSources(SyncWrites, RecoveryIndex, ActivationIndex, PaymentSourceReader, Protocol):
    """The four ports one payment sources store serves."""


@dataclass(frozen=True)
class Backend:
    """The stores of one backend, all on one table."""

    name: str
    payment_sources: PaymentSources
    devices: Devices
    push_markers: PushMarkers
    ledger: EventLedger
    refresh_markers: RefreshMarkers
    customer_records: CustomerRecords
    read: Callable[[str, str], dict[str, Any] | None] = lambda pk, sk: None  # one stored item, as plain Python


@pytest.fixture
def lean_sim() -> Iterator[tuple[None, str]]:
    """No Lean simulator: the contract tests never call Lean (overrides tests/unit/conftest.py's)."""
    yield None, "http://127.0.0.1:9"


@pytest.fixture(params=["in_memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "in_memory":
        fakes = InMemoryStores()
        return Backend(
            "in_memory",
            fakes.payment_sources,
            fakes.devices,
            fakes.push_markers,
            fakes.ledger,
            fakes.refresh_markers,
            fakes.customer_records,
            fakes.table.get,
        )
    from lean_webhooks.adapters.dynamodb.customer_records import DynamoCustomerRecords
    from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
    from lean_webhooks.adapters.dynamodb.push_markers import DynamoPushMarkers
    from lean_webhooks.adapters.dynamodb.refresh_markers import DynamoRefreshMarkers
    from lean_webhooks.adapters.dynamodb.table import Table, key

    aws: dict[str, Any] = request.getfixturevalue("aws")
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    return Backend(
        "dynamodb",
        DynamoPaymentSources(table),
        DynamoDevices(table),
        DynamoPushMarkers(table),
        DynamoEventLedger(table),
        DynamoRefreshMarkers(table),
        DynamoCustomerRecords(table),
        lambda pk, sk: table.get(key(pk, sk)),
    )


def raw_item(backend: Backend, pk: str, sk: str) -> dict[str, Any] | None:
    """An item as the table holds it."""
    return backend.read(pk, sk)


def identity(
    beneficiary_id: str = BENEFICIARY, payment_source_id: str = SOURCE, customer_id: str = CUSTOMER
) -> BeneficiaryIdentity:
    return BeneficiaryIdentity(customer_id, payment_source_id, beneficiary_id)


def write(
    status: str,
    cool_off_seen: bool | None = None,
    who: BeneficiaryIdentity | None = None,
    recheck_at: datetime | None = NOW + timedelta(hours=24),
    seen_in_api: bool = True,
    event_id: str = "event-1",
    **extra: Any,
) -> BeneficiaryWrite:
    """A beneficiary write as the sync makes it; `cool_off_seen` defaults to what a `created` event with the same
    status in Lean's answer decides."""
    seen = status == AWAITING_COOL_OFF if cool_off_seen is None else cool_off_seen
    return BeneficiaryWrite(
        identity=who or identity(),
        decision=StatusDecision(status, seen),
        event_id=event_id,
        event_type="payment_source.beneficiary.created",
        recheck_at=recheck_at,
        seen_in_api=seen_in_api,
        **extra,
    )


def source(
    customer_id: str = CUSTOMER, payment_source_id: str = SOURCE, balance: float = 15000.5, **extra: Any
) -> LeanPaymentSource:
    """A payment source as Lean answers it, with one account (`balance` to tell two reads apart)."""
    data = lean_source(customer_id, payment_source_id, [lean_beneficiary(BENEFICIARY, ACTIVE)], **extra)
    data["accounts"][0]["balance"] = balance
    return LeanPaymentSource.model_validate(data)
