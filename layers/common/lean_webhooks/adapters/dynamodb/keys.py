"""The single table's keys, and the items whose shape the adapters and anything standing in for them (the tests'
in-memory fakes) must agree on, as plain Python: no AWS SDK here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lean_webhooks.models.erasure import ErasureRecord
from lean_webhooks.models.items import ItemKind, StoredBeneficiary, StoredErasure, StoredItem, StoredPaymentSource
from lean_webhooks.models.timestamps import from_iso, iso

if TYPE_CHECKING:
    from lean_webhooks.models.items import StoredValue
    from lean_webhooks.models.payment_source import LeanPaymentSource
    from lean_webhooks.models.refresh import RefreshClaim
    from lean_webhooks.models.write_plan import WritePlan

PAYMENT_SOURCE = "PAYMENT_SOURCE"
BENEFICIARY = "BENEFICIARY"
DEVICE = "DEVICE"
PUSH = "PUSH"
EVENT = "EVENT"
ENDPOINT = "ENDPOINT"
CHECKPOINT = "CHECKPOINT"
REFRESH = "REFRESH"  # one per customer: the last refresh's call to Lean
ERASURE = "ERASURE"  # one per customer: its last erasure (ids and times), kept ERASURE_HOLD after it ends
AWAITING_INDEX = "AwaitingCoolOff"
AWAITING_INDEX_PK = "AWAITING_COOL_OFF"
ACTIVATIONS_INDEX = "RecentActivations"  # sparse: activations whose pushes are not settled yet
# What each index carries besides the keys (template.yaml projects exactly these, INCLUDE): what its one reader reads.
AWAITING_INDEX_READS = (  # the cool-off recovery: re-sync each overdue beneficiary, back off on failure
    "customer_id",
    "payment_source_id",
    "beneficiary_id",
    "status",
    "payment_destination_id",
    "bank_identifier",
    "recheck_failures",
)
ACTIVATIONS_INDEX_READS = (  # the push reconciliation: push an unsettled activation again, or settle it
    "customer_id",
    "payment_source_id",
    "beneficiary_id",
    "status",
    "cool_off_seen",
    "bank_identifier",
    "activated_at",
)
LEDGER_TTL = timedelta(days=100)  # longer than Lean's 90 days of event history
MARKER_TTL = timedelta(days=1)  # a refresh marker, far beyond its use
ERASURE_HOLD = timedelta(days=35)  # the template's ErasureHoldDays default (docs/operations.md says why)


def activations_pk(day: str) -> str:
    """One partition per UTC day (`2026-11-25`) of activations."""
    return f"ACTIVATED#{day}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def payment_source_sk(payment_source_id: str) -> str:
    return f"{PAYMENT_SOURCE}#{payment_source_id}"


def beneficiary_sk(payment_source_id: str, beneficiary_id: str) -> str:
    return f"{PAYMENT_SOURCE}#{payment_source_id}#{BENEFICIARY}#{beneficiary_id}"


def device_sk(device_id: str) -> str:
    return f"{DEVICE}#{device_id}"


def push_sk(beneficiary_id: str, device_id: str) -> str:
    return f"{PUSH}#{beneficiary_id}#{device_id}"


def endpoint_pk(endpoint_arn: str) -> str:
    return f"{ENDPOINT}#{endpoint_arn}"


def event_pk(event_id: str) -> str:
    return f"{EVENT}#{event_id}"


def owner_item(endpoint_arn: str, customer_id: str, device_id: str) -> dict[str, Any]:
    """Which device an SNS endpoint belongs to."""
    return {
        "pk": endpoint_pk(endpoint_arn),
        "sk": ENDPOINT,
        "entity": ENDPOINT,
        "customer_id": customer_id,
        "device_id": device_id,
    }


def device_item(
    customer_id: str,
    device_id: str,
    platform: str,
    endpoint_arn: str,
    now: datetime,
    locale: str,
    registered_at: str | None,
) -> dict[str, Any]:
    """A registered device (enabled): the endpoint it pushes to, never the token."""
    return {
        "pk": customer_pk(customer_id),
        "sk": device_sk(device_id),
        "entity": DEVICE,
        "customer_id": customer_id,
        "device_id": device_id,
        "platform": platform,
        "endpoint_arn": endpoint_arn,
        "enabled": True,
        "locale": locale,
        "registered_at": registered_at or iso(now),
        "updated_at": iso(now),
    }


def ledger_item(event_id: str, event_type: str, outcome: str, now: datetime) -> dict[str, Any]:
    """An event the sync path finished, and how."""
    return {
        "pk": event_pk(event_id),
        "sk": EVENT,
        "entity": EVENT,
        "event_id": event_id,
        "event_type": event_type,
        "outcome": outcome[:256],
        "processed_at": iso(now),
        "expires_at": int((now + LEDGER_TTL).timestamp()),
    }


def refresh_marker_item(customer_id: str, claim_id: str, state: str, now: datetime) -> dict[str, Any]:
    """A customer's refresh claimed: who calls Lean, since when."""
    return {
        "pk": customer_pk(customer_id),
        "sk": REFRESH,
        "entity": REFRESH,
        "customer_id": customer_id,
        "state": state,
        "claim_id": claim_id,
        "called_at": iso(now),
        "expires_at": int((now + MARKER_TTL).timestamp()),
    }


def erasure_record_item(customer_id: str, erasure_id: str, now: datetime, hold: timedelta) -> dict[str, Any]:
    """An erasure begun (no `completed_at` yet): a new `erasure_id` on the stream announces it (`Customer
    Erased`). Ids and times only; DynamoDB's TTL removes it `hold` after it began, or after it ended."""
    return {
        "pk": customer_pk(customer_id),
        "sk": ERASURE,
        "entity": ERASURE,
        "customer_id": customer_id,
        "erasure_id": erasure_id,
        "started_at": iso(now),
        "expires_at": int((now + hold).timestamp()),
    }


KINDS = {
    PAYMENT_SOURCE: ItemKind.PAYMENT_SOURCE,
    BENEFICIARY: ItemKind.BENEFICIARY,
    DEVICE: ItemKind.DEVICE,
    PUSH: ItemKind.PUSH_MARKER,
    REFRESH: ItemKind.REFRESH_MARKER,
    ERASURE: ItemKind.ERASURE,
}


def erasure_record(item: dict[str, Any] | None) -> ErasureRecord | None:
    """What a customer's erasure record says (None when there is none)."""
    if not item or "erasure_id" not in item:
        return None
    done = item.get("completed_at")
    return ErasureRecord(str(item["erasure_id"]), from_iso(item["started_at"]), from_iso(done) if done else None)


def stored_item(customer_id: str, item: dict[str, Any]) -> StoredItem:
    """Any item of a customer's partition, as erasure sees it."""
    return StoredItem(
        customer_id=customer_id,
        sk=item["sk"],
        kind=KINDS.get(str(item.get("entity") or ""), ItemKind.OTHER),
        endpoint_arn=item.get("endpoint_arn"),
        device_id=item.get("device_id"),
        payment_source_id=item.get("payment_source_id"),
        deleted_at=item.get("deleted_at"),
    )


def item_ref(pk: str, sk: str) -> str:
    """An item's identity as the stream's readers compare it (`StoredChange.item`): equal only for one item."""
    return f"{pk}\n{sk}"


def stored_value(item: dict[str, Any] | None) -> StoredValue | None:
    """A stored item (plain Python, e.g. a stream image) as the typed value its readers use; None for kinds no
    stream reader reads. A payment source's accounts stay out: no reader of a change needs them."""
    entity = (item or {}).get("entity")
    if item is None or entity not in (BENEFICIARY, PAYMENT_SOURCE, ERASURE):
        return None
    if entity == BENEFICIARY:
        return StoredBeneficiary.from_item(item)
    if entity == PAYMENT_SOURCE:
        return StoredPaymentSource.from_item({k: v for k, v in item.items() if k != "accounts"})
    return StoredErasure.from_item(item)


def payment_sources_of(customer_id: str, items: Iterable[dict[str, Any]]) -> list[StoredPaymentSource]:
    """A customer's payment-source and beneficiary items as payment sources with their beneficiaries nested; deleted
    payment sources (removed at Lean, by the customer API or found gone) left out."""
    sources: dict[str, StoredPaymentSource] = {}
    beneficiaries: list[StoredBeneficiary] = []
    for item in items:
        if item.get("entity") == PAYMENT_SOURCE:
            sources[item["payment_source_id"]] = StoredPaymentSource.from_item(item)
        elif item.get("entity") == BENEFICIARY:
            beneficiaries.append(StoredBeneficiary.from_item(item))
    for ben in beneficiaries:
        source = sources.get(ben.payment_source_id)
        if source is None:  # beneficiary stored before its payment source item (a failed put): show it
            source = StoredPaymentSource(customer_id, ben.payment_source_id, ben.bank_identifier)
            sources[ben.payment_source_id] = source
        source.beneficiaries.append(ben)
    return [source for source in sources.values() if not source.deleted_at]


def payment_source_content(source: LeanPaymentSource) -> tuple[dict[str, Any], str]:
    """What a payment source item holds of Lean's answer, and its hash (rewritten only when that changes)."""
    content = {
        "customer_id": source.customer_id,
        "payment_source_id": source.id,
        "app_id": source.app_id,
        "bank_identifier": source.bank_identifier,
        "accounts": [a.model_dump(mode="json", exclude_none=True) for a in source.accounts],
    }
    return content, hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


# Index membership as the write rules name it (core.write_rules: `recheck_at`, `unsettled_activation`), and the
# index keys that hold it: the partition key follows from the sort key, which a condition compares.
INDEXED = {
    "recheck_at": ("gsi1pk", "gsi1sk", lambda at: AWAITING_INDEX_PK),
    "unsettled_activation": ("gsi2pk", "gsi2sk", lambda at: activations_pk(at[:10])),  # one partition a UTC day
}


def _stored_values(values: dict[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for name, value in values.items():
        if name in INDEXED:
            pk, sk, partition = INDEXED[name]
            stored.update({pk: partition(value), sk: value})
        else:
            stored[name] = value
    return stored


def stored_plan(plan: WritePlan, entity: str) -> WritePlan:
    """A write plan in the table's attribute names: index membership as index keys, the item's kind stamped."""
    from lean_webhooks.models.write_plan import WritePlan, rename  # the writers' only: not the stream's readers

    removes = tuple(n for name in plan.removes for n in (INDEXED[name][:2] if name in INDEXED else (name,)))
    return WritePlan(
        when=rename(plan.when, {name: sk for name, (_, sk, _) in INDEXED.items()}) if plan.when else None,
        sets=_stored_values(dict(plan.sets)),
        keeps=_stored_values(dict(plan.keeps)),
        removes=removes,
        stamps={"entity": entity, **plan.stamps},
        replace=plan.replace,
        look_first=plan.look_first,
    )


def refresh_claim(item: dict[str, Any] | None) -> RefreshClaim:
    """What a customer's refresh marker says (NONE when there is none)."""
    from lean_webhooks.models.refresh import RefreshClaim, RefreshState  # the refresh's only

    if not item:
        return RefreshClaim(RefreshState.NONE)
    return RefreshClaim(
        RefreshState(item["state"]),
        called_at=from_iso(item["called_at"]),
        retry_at=from_iso(item["retry_at"]) if item.get("retry_at") else None,
        retryable=item.get("retryable", True) is not False,
    )
