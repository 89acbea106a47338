"""In-memory fakes of the ports of `lean_webhooks.core.ports`, for fast tests of the use cases (tests/core).

Each storage fake keeps the rules its DynamoDB adapter writes as condition expressions (the payment sources' fake
keeps none: it evaluates the write plans of `core.write_rules` that its adapter renders), and the contract suite
(tests/unit/contract) holds fake and adapter to the same behaviour. What is here:

- `FakeClock`: time that moves only when a test, or an injected sleep, moves it.
- `InMemoryTable`: the single table as a dict keyed (pk, sk) like the real one, with its two sparse indexes and a
  stream of changes (`changes`, as `StoredChange`s). The storage fakes of one test share it, so that erasure
  (`InMemoryCustomerRecords`) sees and deletes what the others stored.
- Storage fakes: `InMemoryPaymentSources` (SyncWrites, RecoveryIndex, ActivationIndex, PaymentSourceReader),
  `InMemoryDevices`, `InMemoryPushMarkers`, `InMemoryEventLedger`, `InMemoryRefreshMarkers`,
  `InMemoryCustomerRecords`; `InMemoryStores` builds all of them on one table.
- `RecordingPushPlatform` (SNS mobile push), `RecordingSyncQueue`, `RecordingBus` (domain events) and `ScriptedLean`
  (Lean's API: payment sources, deletion, Events API), with `lean_source` / `lean_beneficiary` to build what it serves.
- `Breakable`: every fake can be told to make its next calls of a method raise (`fail_next`).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from lean_webhooks.adapters.dynamodb.keys import (
    AWAITING_INDEX_PK,
    BENEFICIARY,
    CHECKPOINT,
    DEVICE,
    ENDPOINT,
    ERASURE,
    ERASURE_HOLD,
    EVENT,
    PAYMENT_SOURCE,
    PUSH,
    REFRESH,
    activations_pk,
    beneficiary_sk,
    customer_pk,
    device_item,
    device_sk,
    endpoint_pk,
    erasure_record,
    erasure_record_item,
    item_ref,
    ledger_item,
    owner_item,
    payment_source_content,
    payment_source_sk,
    payment_sources_of,
    push_sk,
    refresh_claim,
    refresh_marker_item,
    stored_item,
    stored_plan,
    stored_value,
)
from lean_webhooks.core.write_rules import (
    beneficiary_plans,
    marking_plan,
    payment_source_deleted_plan,
    payment_source_plan,
    recheck_plan,
    settling_plan,
)
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.domain_events import DomainEvent
from lean_webhooks.models.erasure import ErasureRecord
from lean_webhooks.models.errors import (
    CustomerErased,
    EndpointDisabled,
    LeanNotFound,
    LeanResponseInvalid,
    PushOutcomeUnknown,
)
from lean_webhooks.models.items import StoredBeneficiary, StoredChange, StoredDevice, StoredItem, StoredPaymentSource
from lean_webhooks.models.ledger import SYNCED
from lean_webhooks.models.payment_source import LeanPaymentSource
from lean_webhooks.models.push import Claim, ClaimResult
from lean_webhooks.models.refresh import PaymentSourceListing, RefreshClaim, RefreshState, readable_id
from lean_webhooks.models.statuses import DELETED
from lean_webhooks.models.timestamps import from_iso, iso, parse_rfc3339
from lean_webhooks.models.webhook import EventsPage
from lean_webhooks.models.write_plan import WritePlan, holds

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
APP_ID = "2c9280887230f322017231b408cf0007"  # an opaque Lean app id, in the format of Lean's own example

CLAIMED, SENT = "CLAIMED", "SENT"


# ---------- time ----------
class FakeClock:
    """A clock (`clock()`) and a sleep (`clock.sleep`) for injection: sleeping moves the clock, records the wait,
    and runs `on_sleep` (a test's way to act while the code under test waits)."""

    def __init__(self, start: datetime = START):
        self.now = start
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[], None] | None = None

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by `timedelta(**delta)`; returns the new time."""
        self.now += timedelta(**delta)
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.on_sleep is not None:
            self.on_sleep()

    def seconds_left(self, budget_s: float) -> Callable[[], float]:
        """A Lambda context's `get_remaining_time_in_millis` in seconds: `budget_s` from now, on this clock."""
        deadline = self.now + timedelta(seconds=budget_s)
        return lambda: (deadline - self.now).total_seconds()


# ---------- failures on cue ----------
class Breakable:
    """A fake whose next calls of a method can be made to raise (`fail_next`)."""

    def __init__(self) -> None:
        self.scheduled_failures: dict[str, list[BaseException]] = {}

    def fail_next(self, method: str, error: BaseException, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error` (before doing anything)."""
        self.scheduled_failures.setdefault(method, []).extend([error] * times)

    def _maybe_fail(self, method: str) -> None:
        pending = self.scheduled_failures.get(method)
        if pending:
            raise pending.pop(0)


# ---------- the table ----------
Key = tuple[str, str]


def stored(value: Any) -> Any:
    """A value as DynamoDB gives it back: None dropped from maps, whole floats as int, tuples as lists."""
    if isinstance(value, dict):
        return {k: stored(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [stored(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class InMemoryTable:
    """The single table: items keyed (pk, sk) as the adapters key them, read back as plain Python. Writes that
    change an item are recorded in `changes` like the table's stream (NEW_AND_OLD_IMAGES); a write that changes
    nothing makes no record, as in DynamoDB."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.items: dict[Key, dict[str, Any]] = {}
        self.changes: list[StoredChange] = []
        self._clock = clock

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return copy.deepcopy(item) if item is not None else None

    def put(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Replace the whole item; returns the one replaced."""
        return self._write((item["pk"], item["sk"]), stored(item))

    def update(self, pk: str, sk: str, sets: dict[str, Any], removes: Iterable[str] = ()) -> None:
        """UpdateItem: set and remove attributes, creating the item (with its keys) if absent."""
        item = self.get(pk, sk) or {"pk": pk, "sk": sk}
        item.update(stored(sets))
        for name in removes:
            item.pop(name, None)
        self._write((pk, sk), item)

    def write_first(
        self,
        pk: str,
        sk: str,
        entity: str,
        plans: Iterable[WritePlan],
        guard: tuple[str, datetime | None] | None = None,
    ) -> bool:
        """Make the first write plan (`core.write_rules`, in the table's names: `keys.stored_plan`) whose condition
        the item meets, as the DynamoDB adapter does; False when none does. `guard` (customer id, when Lean said
        it): a plan that creates the item is held to the erasure guard (`guard`)."""
        old = self.get(pk, sk)
        for plan in (stored_plan(p, entity) for p in plans):
            if holds(plan.condition, old):
                if guard is not None:
                    self.guard(pk, sk, *guard)
                item = {"pk": pk, "sk": sk} if plan.replace or old is None else old
                item.update(stored({**plan.sets, **plan.stamps}))
                item.update({k: stored(v) for k, v in plan.keeps.items() if k not in item})
                for name in plan.removes:
                    item.pop(name, None)
                self._write((pk, sk), item)
                return True
        return False

    def delete(self, pk: str, sk: str) -> dict[str, Any] | None:
        """Delete the item; returns what was stored, or None."""
        return self._write((pk, sk), None)

    def guard(self, pk: str, sk: str, customer_id: str, read_at: datetime | None) -> None:
        """The erasure guard of a write about `customer_id` carrying a Lean read made at `read_at` (None: no guard),
        as `Table` applies it: a write that would create the item raises `CustomerErased` when the customer's
        erasure record refuses `read_at`; a write to an existing item is not refused (an erasure deletes it)."""
        if read_at is None or (pk, sk) in self.items:
            return
        erasure = erasure_record(self.get(customer_pk(customer_id), ERASURE))
        if erasure is not None and erasure.refuses(read_at):
            raise CustomerErased(f"an erasure of the customer refuses a write of a read made at {read_at}")

    def partition(self, pk: str, sk_prefix: str = "") -> list[dict[str, Any]]:
        """The items of one partition whose sort key starts with `sk_prefix`, in sort key order."""
        found = [(sk, item) for (p, sk), item in self.items.items() if p == pk and sk.startswith(sk_prefix)]
        return [copy.deepcopy(item) for _, item in sorted(found, key=lambda pair: pair[0])]

    def index(
        self, pk_name: str, sk_name: str, pk: str, low: str | None = None, high: str | None = None
    ) -> list[dict[str, Any]]:
        """A sparse index: the items holding both index keys, partition `pk`, sort key within [low, high], in
        sort key order."""
        found = [
            item
            for item in self.items.values()
            if item.get(pk_name) == pk
            and sk_name in item
            and (low is None or item[sk_name] >= low)
            and (high is None or item[sk_name] <= high)
        ]
        return [copy.deepcopy(i) for i in sorted(found, key=lambda i: (i[sk_name], i["pk"], i["sk"]))]

    def _write(self, item_key: Key, new: dict[str, Any] | None) -> dict[str, Any] | None:
        old = self.items.get(item_key)
        if new is None:
            self.items.pop(item_key, None)
        else:
            self.items[item_key] = copy.deepcopy(new)
        if old != new:
            kind = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
            self.changes.append(
                StoredChange(
                    record_id=f"{len(self.changes) + 1:021d}",
                    kind=kind,
                    old=stored_value(old),
                    new=stored_value(new),
                    approximate_at=iso(self._clock()),
                    item=item_ref(*item_key),
                )
            )
        return old


# ---------- payment sources and beneficiaries ----------
class InMemoryPaymentSources(Breakable):
    """DynamoPaymentSources in memory: the write rules' plans (`core.write_rules`) evaluated by the table, the
    recovery index (gsi1), the activations index (gsi2, one partition per UTC day) and the reads."""

    def __init__(self, table: InMemoryTable):
        super().__init__()
        self.table = table

    def put_payment_source(
        self, source: LeanPaymentSource, fetched_at: datetime, read_at: datetime | None = None
    ) -> bool:
        self._maybe_fail("put_payment_source")
        content, digest = payment_source_content(source)
        pk, sk = customer_pk(source.customer_id), payment_source_sk(source.id)
        plan = payment_source_plan(content, digest, fetched_at)
        return self.table.write_first(pk, sk, PAYMENT_SOURCE, [plan], (source.customer_id, read_at))

    def apply_beneficiary(self, write: BeneficiaryWrite, now: datetime, read_at: datetime | None = None) -> bool:
        self._maybe_fail("apply_beneficiary")
        guard = (write.identity.customer_id, read_at)
        return self.table.write_first(*_key(write.identity), BENEFICIARY, beneficiary_plans(write, now), guard)

    def list_for_customer(self, customer_id: str) -> list[StoredPaymentSource]:
        """Payment sources with their beneficiaries nested; deleted ones left out."""
        self._maybe_fail("list_for_customer")
        return payment_sources_of(customer_id, self.table.partition(customer_pk(customer_id), f"{PAYMENT_SOURCE}#"))

    def beneficiaries_of(self, customer_id: str, payment_source_id: str) -> list[StoredBeneficiary]:
        self._maybe_fail("beneficiaries_of")
        prefix = f"{payment_source_sk(payment_source_id)}#{BENEFICIARY}#"
        return [StoredBeneficiary.from_item(i) for i in self.table.partition(customer_pk(customer_id), prefix)]

    def mark_beneficiary(
        self, customer_id: str, payment_source_id: str, beneficiary_id: str, status: str, reason: str, now: datetime
    ) -> bool:
        self._maybe_fail("mark_beneficiary")
        pk, sk = customer_pk(customer_id), beneficiary_sk(payment_source_id, beneficiary_id)
        return self.table.write_first(pk, sk, BENEFICIARY, [marking_plan(status, reason, now)])

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime, read_at: datetime | None = None
    ) -> int:
        self._maybe_fail("mark_payment_source_deleted")
        plan = payment_source_deleted_plan(customer_id, payment_source_id, reason, now)
        pk, sk = customer_pk(customer_id), payment_source_sk(payment_source_id)
        self.table.write_first(pk, sk, PAYMENT_SOURCE, [plan], (customer_id, read_at))
        return sum(
            self.mark_beneficiary(customer_id, payment_source_id, ben.beneficiary_id, DELETED, reason, now)
            for ben in self.beneficiaries_of(customer_id, payment_source_id)
        )

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]:
        self._maybe_fail("awaiting_past_expiry")
        items = self.table.index("gsi1pk", "gsi1sk", AWAITING_INDEX_PK, high=iso(now))[: max(limit, 0)]
        return [StoredBeneficiary.from_item(i) for i in items]

    def defer_recheck(
        self, identity: BeneficiaryIdentity, failures: int, recheck_at: datetime | None, now: datetime
    ) -> bool:
        self._maybe_fail("defer_recheck")
        return self.table.write_first(*_key(identity), BENEFICIARY, [recheck_plan(failures, recheck_at, now)])

    def unsettled_activations(self, since: datetime, until: datetime, limit: int) -> list[StoredBeneficiary]:
        """One partition per UTC day of `since`..`until`, at most `limit` in all."""
        self._maybe_fail("unsettled_activations")
        found: list[StoredBeneficiary] = []
        for offset in range((until.date() - since.date()).days + 1):
            day = since.date() + timedelta(days=offset)
            items = self.table.index("gsi2pk", "gsi2sk", activations_pk(day.isoformat()), iso(since), iso(until))
            found += [StoredBeneficiary.from_item(i) for i in items[: max(limit - len(found), 0)]]
        return found

    def settle_activation(
        self, identity: BeneficiaryIdentity, now: datetime, activated_at: str | None = None, abandoned: bool = False
    ) -> bool:
        self._maybe_fail("settle_activation")
        return self.table.write_first(*_key(identity), BENEFICIARY, [settling_plan(now, activated_at, abandoned)])


def _key(identity: BeneficiaryIdentity) -> Key:
    return customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id)


# ---------- devices ----------
class InMemoryDevices(Breakable):
    """DynamoDevices in memory: device items, and one owner record per push endpoint."""

    def __init__(self, table: InMemoryTable):
        super().__init__()
        self.table = table

    def get(self, customer_id: str, device_id: str) -> StoredDevice | None:
        self._maybe_fail("get")
        item = self.table.get(customer_pk(customer_id), device_sk(device_id))
        return StoredDevice.from_item(item) if item else None

    def owner_of(self, endpoint_arn: str) -> tuple[str, str] | None:
        self._maybe_fail("owner_of")
        owner = self.table.get(endpoint_pk(endpoint_arn), ENDPOINT)
        return (owner["customer_id"], owner["device_id"]) if owner else None

    def put(self, device: DeviceRecord, now: datetime, previous_owner: tuple[str, str] | None = None) -> bool:
        """The endpoint's owner becomes this device (unless the owner changed since `previous_owner` was read)
        and the device points at it; an endpoint moved from another device removes that device's item while it
        points at the endpoint, and leaves it alone when it points elsewhere already."""
        self._maybe_fail("put")
        customer_id, device_id, endpoint_arn = device.customer_id, device.device_id, device.endpoint_arn
        owner = self.table.get(endpoint_pk(endpoint_arn), ENDPOINT)
        if owner is not None and (
            previous_owner is None or (owner.get("customer_id"), owner.get("device_id")) != previous_owner
        ):
            return False
        moved_from = previous_owner if previous_owner not in (None, (customer_id, device_id)) else None
        if moved_from is not None:
            old_device = self.table.get(customer_pk(moved_from[0]), device_sk(moved_from[1]))
            if old_device is not None and old_device.get("endpoint_arn") != endpoint_arn:
                moved_from = None  # it points elsewhere already: left alone
        self.table.put(owner_item(endpoint_arn, customer_id, device_id))
        self.table.put(
            device_item(customer_id, device_id, device.platform, endpoint_arn, now, device.locale, device.registered_at)
        )
        if moved_from is not None:
            self.table.delete(customer_pk(moved_from[0]), device_sk(moved_from[1]))
        return True

    def release_endpoint(self, endpoint_arn: str, customer_id: str, device_id: str) -> bool:
        """Drop the owner record if this device owns it, or nobody does (True); False when another device does."""
        self._maybe_fail("release_endpoint")
        owner = self.table.get(endpoint_pk(endpoint_arn), ENDPOINT)
        if owner is not None and (owner.get("customer_id"), owner.get("device_id")) != (customer_id, device_id):
            return False
        self.table.delete(endpoint_pk(endpoint_arn), ENDPOINT)
        return True

    def delete(self, customer_id: str, device_id: str) -> StoredDevice | None:
        self._maybe_fail("delete")
        old = self.table.delete(customer_pk(customer_id), device_sk(device_id))
        return StoredDevice.from_item(old) if old else None

    def devices_of(self, customer_id: str) -> list[StoredDevice]:
        self._maybe_fail("devices_of")
        return [StoredDevice.from_item(d) for d in self.table.partition(customer_pk(customer_id), f"{DEVICE}#")]

    def enabled_devices(self, customer_id: str) -> list[StoredDevice]:
        return [d for d in self.devices_of(customer_id) if d.enabled is True]

    def mark_disabled(self, customer_id: str, device_id: str, endpoint_arn: str, now: datetime) -> None:
        """Disabled, unless the device now points at another endpoint (or is gone)."""
        self._maybe_fail("mark_disabled")
        pk, sk = customer_pk(customer_id), device_sk(device_id)
        existing = self.table.get(pk, sk)
        if existing is not None and existing.get("endpoint_arn") == endpoint_arn:
            self.table.update(pk, sk, {"enabled": False, "disabled_at": iso(now)})


# ---------- push markers ----------
class InMemoryPushMarkers(Breakable):
    """DynamoPushMarkers in memory: a marker per (beneficiary, device), claimed with a lease, then SENT,
    released, or left for a takeover when the publish's outcome is unknown."""

    def __init__(self, table: InMemoryTable):
        super().__init__()
        self.table = table

    def claim(
        self,
        customer_id: str,
        beneficiary_id: str,
        device_id: str,
        now: datetime,
        lease: timedelta,
        read_at: datetime | None = None,
    ) -> ClaimResult:
        self._maybe_fail("claim")
        pk, sk = customer_pk(customer_id), push_sk(beneficiary_id, device_id)
        marker = self.table.get(pk, sk)
        if marker is None or (
            marker.get("state") == CLAIMED and "lease_until" in marker and marker["lease_until"] < iso(now)
        ):
            self.table.guard(pk, sk, customer_id, read_at)
            claim_id = str(uuid.uuid4())
            self.table.put(
                {
                    "pk": pk,
                    "sk": sk,
                    "entity": PUSH,
                    "state": CLAIMED,
                    "claim_id": claim_id,
                    "claimed_at": iso(now),
                    "lease_until": iso(now + lease),
                    "expires_at": int((now + timedelta(days=30)).timestamp()),
                }
            )
            return ClaimResult(Claim.CLAIMED if marker is None else Claim.RECLAIMED, claim_id)
        if "lease_until" not in marker:
            return ClaimResult(Claim.SENT)
        return ClaimResult(Claim.IN_FLIGHT, lease_until=max(from_iso(marker["lease_until"]), now))

    def sent(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime) -> bool:
        self._maybe_fail("sent")
        pk, sk = customer_pk(customer_id), push_sk(beneficiary_id, device_id)
        marker = self.table.get(pk, sk)
        if marker is None or marker.get("claim_id") != claim_id:
            return False
        self.table.update(pk, sk, {"state": SENT, "sent_at": iso(now)}, ["lease_until"])
        return True

    def release(self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str) -> bool:
        self._maybe_fail("release")
        pk, sk = customer_pk(customer_id), push_sk(beneficiary_id, device_id)
        if not self._holds(pk, sk, claim_id):
            return False
        self.table.delete(pk, sk)
        return True

    def outcome_unknown(
        self, customer_id: str, beneficiary_id: str, device_id: str, claim_id: str, now: datetime
    ) -> bool:
        """The lease ends 1 µs before `now`: a claim at `now` takes it over."""
        self._maybe_fail("outcome_unknown")
        pk, sk = customer_pk(customer_id), push_sk(beneficiary_id, device_id)
        if not self._holds(pk, sk, claim_id):
            return False
        self.table.update(pk, sk, {"lease_until": iso(now - timedelta(microseconds=1)), "outcome_unknown": True})
        return True

    def _holds(self, pk: str, sk: str, claim_id: str) -> bool:
        marker = self.table.get(pk, sk)
        return marker is not None and marker.get("state") == CLAIMED and marker.get("claim_id") == claim_id


# ---------- event ledger ----------
class InMemoryEventLedger(Breakable):
    """DynamoEventLedger in memory: one entry per Lean event (a `synced` one is final), and checkpoints."""

    def __init__(self, table: InMemoryTable):
        super().__init__()
        self.table = table

    def synced(self, event_id: str) -> bool:
        self._maybe_fail("synced")
        item = self.table.get(f"{EVENT}#{event_id}", EVENT)
        return bool(item) and item.get("outcome") == SYNCED

    def record(self, event_id: str, event_type: str, outcome: str, now: datetime) -> bool:
        self._maybe_fail("record")
        existing = self.table.get(f"{EVENT}#{event_id}", EVENT)
        if existing is not None and existing.get("outcome") == SYNCED:
            return False
        self.table.put(ledger_item(event_id, event_type, outcome, now))
        return True

    def processed(self, event_ids: Iterable[str]) -> set[str]:
        self._maybe_fail("processed")
        return {e for e in event_ids if self.table.get(f"{EVENT}#{e}", EVENT) is not None}

    def checkpoint(self, name: str) -> datetime | None:
        self._maybe_fail("checkpoint")
        item = self.table.get(f"{CHECKPOINT}#{name}", CHECKPOINT)
        return from_iso(item["covered_until"]) if item else None

    def save_checkpoint(self, name: str, covered_until: datetime) -> None:
        self._maybe_fail("save_checkpoint")
        self.table.put(
            {"pk": f"{CHECKPOINT}#{name}", "sk": CHECKPOINT, "entity": CHECKPOINT, "covered_until": iso(covered_until)}
        )


# ---------- refresh markers ----------
class InMemoryRefreshMarkers(Breakable):
    """DynamoRefreshMarkers in memory: one marker per customer, claimed unless a call is younger than the interval
    or a failed one said to wait longer."""

    def __init__(self, table: InMemoryTable):
        super().__init__()
        self.table = table

    def claim(self, customer_id: str, now: datetime, min_interval: timedelta) -> RefreshClaim:
        self._maybe_fail("claim")
        existing = self.table.get(customer_pk(customer_id), REFRESH)
        if (
            existing is None
            or ("retry_at" in existing and existing["retry_at"] <= iso(now))
            or ("retry_at" not in existing and existing["called_at"] < iso(now - min_interval))
        ):
            self.table.guard(customer_pk(customer_id), REFRESH, customer_id, now)  # the claim precedes Lean's call
            claim_id = str(uuid.uuid4())
            self.table.put(refresh_marker_item(customer_id, claim_id, RefreshState.CALLING.value, now))
            return RefreshClaim(RefreshState.CALLING, claim_id, called_at=now)
        return self.current(customer_id)

    def finish(
        self,
        customer_id: str,
        claim_id: str,
        failed: bool,
        retry_at: datetime | None,
        now: datetime,
        retryable: bool = True,
    ) -> None:
        self._maybe_fail("finish")
        existing = self.table.get(customer_pk(customer_id), REFRESH)
        if existing is None or existing.get("claim_id") != claim_id:
            return
        sets: dict[str, Any] = {
            "state": (RefreshState.FAILED if failed else RefreshState.DONE).value,
            "finished_at": iso(now),
        }
        if retry_at is not None:
            sets["retry_at"] = iso(retry_at)
        if failed:
            sets["retryable"] = retryable
        self.table.update(customer_pk(customer_id), REFRESH, sets)

    def current(self, customer_id: str) -> RefreshClaim:
        self._maybe_fail("current")
        return refresh_claim(self.table.get(customer_pk(customer_id), REFRESH))


# ---------- customer records ----------
class InMemoryCustomerRecords(Breakable):
    """DynamoCustomerRecords in memory: every item of a customer's partition (whichever fake stored it), and the
    customer's erasure record."""

    def __init__(self, table: InMemoryTable, hold: timedelta = ERASURE_HOLD):
        super().__init__()
        self.table, self.hold = table, hold

    def items_of(self, customer_id: str) -> list[StoredItem]:
        self._maybe_fail("items_of")
        return [stored_item(customer_id, item) for item in self.table.partition(customer_pk(customer_id))]

    def delete(self, item: StoredItem) -> bool:
        self._maybe_fail("delete")
        return self.table.delete(customer_pk(item.customer_id), item.sk) is not None

    def begin_erasure(self, customer_id: str, now: datetime) -> str:
        """A new record (none, or over a finished one), or the id of the one under way."""
        self._maybe_fail("begin_erasure")
        existing = self.erasure_of(customer_id)
        if existing is not None and existing.completed_at is None:
            return existing.erasure_id
        erasure_id = str(uuid.uuid4())
        self.table.put(erasure_record_item(customer_id, erasure_id, now, self.hold))
        return erasure_id

    def complete_erasure(self, customer_id: str, erasure_id: str, now: datetime) -> None:
        self._maybe_fail("complete_erasure")
        existing = self.erasure_of(customer_id)
        if existing is None or existing.erasure_id != erasure_id:
            return
        if existing.completed_at is not None and existing.completed_at >= now:
            return
        done = {"completed_at": iso(now), "expires_at": int((now + self.hold).timestamp())}
        self.table.update(customer_pk(customer_id), ERASURE, done)

    def erasure_of(self, customer_id: str) -> ErasureRecord | None:
        self._maybe_fail("erasure_of")
        return erasure_record(self.table.get(customer_pk(customer_id), ERASURE))


class InMemoryStores:
    """Every storage fake, on one shared table (as the adapters share the real one)."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.table = InMemoryTable(clock)
        self.payment_sources = InMemoryPaymentSources(self.table)
        self.devices = InMemoryDevices(self.table)
        self.push_markers = InMemoryPushMarkers(self.table)
        self.ledger = InMemoryEventLedger(self.table)
        self.refresh_markers = InMemoryRefreshMarkers(self.table)
        self.customer_records = InMemoryCustomerRecords(self.table)


# ---------- push platform ----------
LOST = "lost"  # a scripted publish: SNS accepted it, but its answer was lost (PushOutcomeUnknown)


@dataclass(frozen=True)
class Publish:
    """One publish SNS accepted."""

    endpoint_arn: str
    message: str
    message_id: str


class RecordingPushPlatform(Breakable):
    """SNS mobile push in memory: one endpoint per (application, token) (the same token gives back the same ARN),
    publishes recorded, disabled or deleted endpoints refused with EndpointDisabled. `script` sets what the
    next publishes do: an exception to raise (nothing sent), or LOST (sent, then PushOutcomeUnknown)."""

    def __init__(self) -> None:
        super().__init__()
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.published: list[Publish] = []
        self.deleted: list[str] = []
        self.scripted: list[BaseException | str] = []

    def script(self, *outcomes: BaseException | str) -> None:
        self.scripted.extend(outcomes)

    def disable(self, endpoint_arn: str) -> None:
        """What SNS does when the platform reports the token invalid."""
        self.endpoints[endpoint_arn]["enabled"] = False

    def messages_to(self, endpoint_arn: str) -> list[str]:
        return [p.message for p in self.published if p.endpoint_arn == endpoint_arn]

    def publish(self, endpoint_arn: str, message: str) -> str:
        self._maybe_fail("publish")
        outcome = self.scripted.pop(0) if self.scripted else None
        if isinstance(outcome, BaseException):
            raise outcome
        endpoint = self.endpoints.get(endpoint_arn)
        if endpoint is None or not endpoint["enabled"]:
            raise EndpointDisabled(endpoint_arn)
        message_id = str(uuid.uuid4())
        self.published.append(Publish(endpoint_arn, message, message_id))
        if outcome == LOST:
            raise PushOutcomeUnknown("ReadTimeoutError")
        return message_id

    def ensure_endpoint(self, application_arn: str, token: str, user_data: str) -> str:
        """The token's endpoint (created if none), enabled, with this user data."""
        self._maybe_fail("ensure_endpoint")
        same_token = (
            a for a, e in self.endpoints.items() if (e["application_arn"], e["token"]) == (application_arn, token)
        )
        arn = next(same_token, None) or f"{application_arn.replace(':app/', ':endpoint/', 1)}/{uuid.uuid4()}"
        self.endpoints[arn] = {
            "application_arn": application_arn,
            "token": token,
            "enabled": True,
            "user_data": user_data,
        }
        return arn

    def delete_endpoint(self, endpoint_arn: str) -> None:
        self._maybe_fail("delete_endpoint")
        self.endpoints.pop(endpoint_arn, None)
        self.deleted.append(endpoint_arn)


# ---------- queue and bus ----------
class RecordingSyncQueue(Breakable):
    """The sync queue: what was sent, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Any] = []

    def send(self, event: Any) -> None:
        self._maybe_fail("send")
        self.sent.append(event)


class RecordingBus(Breakable):
    """The domain events' bus: every event put on it, in order; `refuse` makes the next publishes raise."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[DomainEvent] = []
        self.calls = 0

    def refuse(self, times: int = 1) -> None:
        self.fail_next("publish", RuntimeError("events not put on the bus"), times)

    def publish(self, events: list[DomainEvent]) -> None:
        self.calls += 1
        self._maybe_fail("publish")
        self.events.extend(events)


# ---------- Lean ----------
def lean_beneficiary(
    beneficiary_id: str,
    status: str,
    expiry: datetime | None = None,
    payment_destination_id: str | None = None,
) -> dict[str, Any]:
    """One beneficiary of a payment source as Lean's API answers it (ids upper case)."""
    return {
        "id": beneficiary_id.upper(),
        "payment_destination_id": payment_destination_id.upper() if payment_destination_id else None,
        "status": status,
        "beneficiary_cool_off_expiry": expiry.isoformat().replace("+00:00", "Z") if expiry else None,
    }


def lean_source(
    customer_id: str,
    payment_source_id: str,
    beneficiaries: Iterable[dict[str, Any]] = (),
    app_id: str = APP_ID,
    bank_identifier: str = "ENBD_UAE",
    accounts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A payment source as Lean's API answers it (ids upper case, one account unless told otherwise)."""
    return {
        "id": payment_source_id.upper(),
        "customer_id": customer_id.upper(),
        "app_id": app_id,
        "bank_identifier": bank_identifier,
        "status": "ACTIVE",
        "beneficiaries": list(beneficiaries),
        "accounts": [
            {
                "id": "acc-1",
                "account_name": "CURRENT ACCOUNT",
                "account_number": "1015528812001",
                "iban": "AE340260001015528812001",
                "currency": "AED",
                "balance": 15000.5,
            }
        ]
        if accounts is None
        else accounts,
    }


class ScriptedLean(Breakable):
    """Lean's API as a test scripts it (LeanReader, LeanCustomerApi, LeanEvents). Payment sources are set with
    `put` (under their own ids, or under others to answer for another request), deleted with `remove` or by the
    DELETE; events are added with `add_event` (bare or wrapped, as the Events API may serve them). Faults are
    `fail_next(method, error)` with `models.errors.LeanApiError` subclasses. `within` records its budget.
    `put_unreadable` lists an item that cannot be read; `unlisted` holds the payment sources the list lags on."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: dict[tuple[str, str], dict[str, Any]] = {}
        self.events: list[tuple[str, datetime, Any]] = []
        self.calls: list[tuple[Any, ...]] = []
        self.budgets: list[float] = []
        self.unlisted: set[tuple[str, str]] = set()  # (customer, payment source) the list lags on: GET answers

    # -- the test's side --
    def put(self, source: dict[str, Any], customer_id: str | None = None, payment_source_id: str | None = None) -> None:
        """Lean answers `source` for its own ids, or for the ids given."""
        parsed = LeanPaymentSource.model_validate(source)
        key = ((customer_id or parsed.customer_id).lower(), (payment_source_id or parsed.id).lower())
        self.sources[key] = copy.deepcopy(source)

    def remove(self, customer_id: str, payment_source_id: str) -> None:
        self.sources.pop((customer_id.lower(), payment_source_id.lower()), None)

    def put_unreadable(self, customer_id: str, item: dict[str, Any], key: str | None = None) -> None:
        """Lean lists (and answers for `key` or the item's id) an item in a shape that cannot be read."""
        self.sources[(customer_id.lower(), (key or str(item.get("id") or uuid.uuid4())).lower())] = item

    def add_event(self, envelope: dict[str, Any], form: str = "bare") -> None:
        """An event Lean created: served bare, `wrapped` (the request an object) or `wrapped_text` (JSON text)."""
        item: Any = envelope
        if form != "bare":
            item = {
                "id": str(uuid.uuid4()),
                "webhook_message_id": str(uuid.uuid4()),
                "status": "FAILED",
                "event_type": envelope["type"],
                "timestamp": envelope["timestamp"],
                "request": envelope if form == "wrapped" else json.dumps(envelope),
                "response": {"status_code": 503},
            }
        self.events.append((envelope["type"], parse_rfc3339(envelope["timestamp"]), item))

    def add_raw(self, event_type: str, at: datetime, item: Any) -> None:
        """An item of the Events API as it is, readable or not."""
        self.events.append((event_type, at, item))

    def calls_of(self, method: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == method]

    # -- the ports --
    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        self.calls.append(("get_payment_source", customer_id, payment_source_id))
        self._maybe_fail("get_payment_source")
        source = self.sources.get((customer_id.lower(), payment_source_id.lower()))
        if source is None:
            raise LeanNotFound("Lean API 404", http_status=404, lean_status="RESOURCE_NOT_FOUND")
        try:
            return LeanPaymentSource.model_validate(source)
        except ValidationError:
            raise LeanResponseInvalid("unexpected payment source shape") from None

    def list_payment_sources(self, customer_id: str) -> list[LeanPaymentSource]:
        self.calls.append(("list_payment_sources", customer_id))
        self._maybe_fail("list_payment_sources")
        listing = self._listing(customer_id)
        if listing.unreadable_ids:
            raise LeanResponseInvalid("unreadable item(s) in the payment-sources list")
        return listing.sources

    def read_payment_sources(self, customer_id: str) -> PaymentSourceListing:
        """The list, its unreadable items set apart by id (when the id is readable: see `LeanClient`)."""
        self.calls.append(("list_payment_sources", customer_id))
        self._maybe_fail("list_payment_sources")
        return self._listing(customer_id)

    def _listing(self, customer_id: str) -> PaymentSourceListing:
        listing = PaymentSourceListing()
        for (customer, payment_source_id), source in sorted(self.sources.items()):
            if customer == customer_id.lower() and (customer, payment_source_id) not in self.unlisted:
                try:
                    listing.sources.append(LeanPaymentSource.model_validate(source))
                except ValidationError:
                    listing.unreadable_ids.append(readable_id(source))
        return listing

    def delete_payment_source(self, customer_id: str, payment_source_id: str) -> bool:
        """True when it was deleted now, False when Lean no longer knew it (404)."""
        self.calls.append(("delete_payment_source", customer_id, payment_source_id))
        self._maybe_fail("delete_payment_source")
        return self.sources.pop((customer_id.lower(), payment_source_id.lower()), None) is not None

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        self.budgets.append(seconds)
        yield

    def list_events(
        self, event_type: str, since: datetime, until: datetime, page: int = 0, size: int = 100
    ) -> EventsPage:
        self.calls.append(("list_events", event_type, since, until, page, size))
        self._maybe_fail("list_events")
        matching = [
            item
            for kind, at, item in sorted(self.events, key=lambda e: e[1])
            if kind == event_type and since <= at <= until
        ]
        return EventsPage(events=matching[page * size : (page + 1) * size], has_next=(page + 1) * size < len(matching))
