"""payment_source.updated re-syncs, deletions (customer API and Lean's 404 after a grace period)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lean_webhooks.adapters.dynamodb.keys import beneficiary_sk, customer_pk, payment_source_sk, stored_value
from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table, key
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.core.sync import GONE, PaymentSourceSync
from lean_webhooks.models.errors import LeanNotFound
from lean_webhooks.models.statuses import DELETED, REMOVED
from lean_webhooks.models.webhook import parse_webhook
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.lean import ScriptedLean


class World:
    def __init__(self, aws: dict[str, Any], now: datetime | None = None):
        self.table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
        self.store = DynamoPaymentSources(self.table)
        self.lean = ScriptedLean()
        self.now = now or datetime.now(UTC)
        self.sync = PaymentSourceSync(self.lean, self.store, local_app_id(), clock=lambda: self.now)
        self.flow = samples.ids()
        self.images: list[tuple[dict | None, dict | None]] = []

    def item(self, sk: str) -> dict | None:
        return self.table.get(key(customer_pk(self.flow["customer_id"]), sk))

    def beneficiary(self, beneficiary_id: str | None = None) -> dict | None:
        return self.item(beneficiary_sk(self.flow["payment_source_id"], beneficiary_id or self.flow["beneficiary_id"]))

    def lean_has(self, *statuses: str) -> list[str]:
        """Lean lists one beneficiary per status (the flow's own first); returns their ids."""
        source = samples.payment_source(self.flow, local_app_id(), statuses[0] if statuses else samples.AWAITING)
        extra = []
        for status in statuses[1:]:
            extra.append({**source["beneficiaries"][0], "id": str(uuid.uuid4()).upper(), "status": status})
        source["beneficiaries"] = (source["beneficiaries"] if statuses else []) + extra
        self.lean.source = source
        return [b["id"].lower() for b in source["beneficiaries"]]

    def run(self, envelope: dict[str, Any]) -> Any:
        listed = [b["id"].lower() for b in (self.lean.source or {}).get("beneficiaries", [])]
        tracked = list(dict.fromkeys([self.flow["beneficiary_id"], *listed]))
        before = {b: self.beneficiary(b) for b in tracked}
        outcome = self.sync.handle(parse_webhook(envelope))
        for b in tracked:
            after = self.beneficiary(b)
            if after != before[b]:
                self.images.append((before[b], after))
        return outcome

    @property
    def pushes(self) -> int:
        return sum(is_push_worthy_activation(stored_value(old), stored_value(new)) for old, new in self.images)


def test_updated_resyncs_every_listed_beneficiary_with_the_push_rules(aws):
    world = World(aws)
    world.lean_has(samples.AWAITING)
    world.run(samples.beneficiary_webhook(world.flow, "created", samples.AWAITING))
    other_ids = world.lean_has(samples.ACTIVE, samples.AWAITING)  # cool-off over; a new destination added
    outcome = world.run(samples.payment_source_updated_webhook(world.flow))
    assert outcome.beneficiaries_synced == 2
    assert world.beneficiary()["status"] == samples.ACTIVE
    assert world.beneficiary(other_ids[1])["status"] == samples.AWAITING
    assert world.pushes == 1  # the activation after a seen cool-off; the new one waits
    world.run(samples.payment_source_updated_webhook(world.flow))  # a duplicate re-sync changes nothing
    assert world.pushes == 1


def test_resync_never_pushes_a_beneficiary_active_at_creation(aws):
    world = World(aws)
    world.lean_has(samples.ACTIVE)
    world.run(samples.payment_source_updated_webhook(world.flow))
    assert world.beneficiary()["status"] == samples.ACTIVE and world.pushes == 0


def test_resync_marks_unlisted_beneficiaries_removed_after_the_grace_period_only(aws):
    world = World(aws)
    world.lean_has(samples.ACTIVE)
    world.run(samples.beneficiary_webhook(world.flow, "updated", samples.ACTIVE))
    world.lean_has()  # Lean no longer lists it
    world.run(samples.payment_source_updated_webhook(world.flow))
    assert world.beneficiary()["status"] == samples.ACTIVE  # stored a moment ago: Lean may lag
    world.now += timedelta(minutes=16)
    outcome = world.run(samples.payment_source_updated_webhook(world.flow))
    item = world.beneficiary()
    assert outcome.beneficiaries_removed == 1 and item["status"] == REMOVED and "gsi1pk" not in item
    world.run(samples.beneficiary_webhook(world.flow, "created", samples.AWAITING))  # late, still unlisted
    assert world.beneficiary()["status"] == REMOVED


def test_404_within_the_grace_period_is_retried_then_recorded_gone(aws):
    world = World(aws)
    world.lean_has(samples.AWAITING)
    world.run(samples.beneficiary_webhook(world.flow, "created", samples.AWAITING))
    world.lean.source = None  # deleted at Lean: GET answers 404
    late = samples.beneficiary_webhook(world.flow, "updated", samples.ACTIVE)
    with pytest.raises(LeanNotFound):
        world.run(late)  # Lean's API may not have caught up with its webhook yet
    world.now += timedelta(minutes=16)
    assert world.run(late).status == GONE
    ps = world.item(payment_source_sk(world.flow["payment_source_id"]))
    assert ps["deleted_reason"] == "lean_not_found" and ps["deleted_at"]
    item = world.beneficiary()
    assert item["status"] == DELETED and "gsi1pk" not in item and world.pushes == 0
    assert world.store.list_for_customer(world.flow["customer_id"]) == []


def test_deleted_payment_source_is_never_resurrected_by_a_stale_read(aws):
    world = World(aws)
    world.lean_has(samples.ACTIVE)
    world.run(samples.beneficiary_webhook(world.flow, "created", samples.ACTIVE))
    world.store.mark_payment_source_deleted(world.flow["customer_id"], world.flow["payment_source_id"], "x", world.now)
    world.now += timedelta(seconds=1)
    world.run(samples.beneficiary_webhook(world.flow, "updated", samples.ACTIVE))  # read before the deletion
    assert world.beneficiary()["status"] == DELETED
    assert world.store.list_for_customer(world.flow["customer_id"]) == []
