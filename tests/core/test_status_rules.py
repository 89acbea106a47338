"""The status rules' own promises: when a cool-off is looked at again, and which stream images are pushes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
from lean_webhooks.core.status_rules import decide_status, is_push_worthy_activation, is_revival, recheck_time
from lean_webhooks.core.sync import SyncOutcome
from lean_webhooks.models.errors import LeanServerError
from lean_webhooks.models.items import StoredBeneficiary, StoredErasure, StoredPaymentSource
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_without_an_expiry_from_lean_a_cool_off_is_looked_at_again_after_a_day():
    assert recheck_time(NOW, None) == NOW + timedelta(hours=24)  # a bank's cool-off lasts up to 24 h
    expiry = NOW + timedelta(hours=3)
    assert recheck_time(NOW, expiry) == expiry


class Store:
    """One overdue beneficiary; records the recovery's backoff writes."""

    def __init__(self, failures: int = 0) -> None:
        self.item = StoredBeneficiary(
            customer_id="c", payment_source_id="p", beneficiary_id="b", status=AWAITING_COOL_OFF,
            recheck_failures=failures,
        )  # fmt: skip
        self.deferred: list[tuple[int, datetime | None]] = []

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]:
        return [self.item]

    def defer_recheck(self, identity: Any, failures: int, recheck_at: datetime | None, now: datetime) -> bool:
        self.deferred.append((failures, recheck_at))
        return True


class Sync:
    def __init__(self, fail: bool) -> None:
        self.fail, self.recheck_at = fail, None

    def sync_beneficiary(self, report: Any, event_id: str, event_type: str, recheck_at: datetime | None = None):
        if self.fail:
            raise LeanServerError("Lean API 503", http_status=503, lean_status="SERVICE_UNAVAILABLE")
        self.recheck_at = recheck_at
        return SyncOutcome(status=AWAITING_COOL_OFF)


def test_a_cool_off_still_awaited_is_read_again_hourly():
    sync = Sync(fail=False)
    assert CoolOffRecovery(sync, Store(), clock=lambda: NOW).run().still_waiting == 1
    assert sync.recheck_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(("failures", "delay"), [(0, 1), (1, 2), (2, 4), (5, 24)])
def test_failing_rereads_back_off_from_an_hour_doubling_up_to_a_day(failures, delay):
    store = Store(failures)
    CoolOffRecovery(Sync(fail=True), store, clock=lambda: NOW).run()
    assert store.deferred == [(failures + 1, NOW + timedelta(hours=delay))]


def test_a_run_with_nothing_overdue_reads_nothing_from_lean():
    class Empty(Store):
        def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]:
            return []

    class NoSync(Sync):
        def sync_beneficiary(self, *args, **kwargs) -> SyncOutcome:
            raise AssertionError("Lean was read for an empty run")

    assert CoolOffRecovery(NoSync(fail=False), Empty(), clock=lambda: NOW).run().checked == 0


ACTIVATED = StoredBeneficiary("c", "p", "b", ACTIVE, cool_off_seen=True)


@pytest.mark.parametrize(
    "new",
    [
        None,
        StoredPaymentSource("c", "p"),
        StoredErasure("c", "e"),
        {"entity": "BENEFICIARY", "status": ACTIVE, "cool_off_seen": True},  # a raw image: not a typed value
    ],
)
def test_only_a_beneficiary_is_a_push_worthy_activation(new):
    assert is_push_worthy_activation(None, new) is False


def test_a_beneficiary_that_became_active_after_its_cool_off_is_push_worthy():
    assert is_push_worthy_activation(None, ACTIVATED) is True
    assert is_push_worthy_activation(replace(ACTIVATED, status=AWAITING_COOL_OFF), ACTIVATED) is True
    assert is_push_worthy_activation(ACTIVATED, ACTIVATED) is False  # already active: pushed before


def test_evidence_of_a_cool_off_that_comes_late_makes_an_active_beneficiary_push_worthy_once():
    active_without_evidence = replace(ACTIVATED, cool_off_seen=False)
    assert is_push_worthy_activation(active_without_evidence, ACTIVATED) is True
    assert is_push_worthy_activation(replace(ACTIVATED, cool_off_seen=None), ACTIVATED) is False  # never recorded
    assert is_push_worthy_activation(None, active_without_evidence) is False  # active at creation


@pytest.mark.parametrize("status", [ACTIVE, AWAITING_COOL_OFF, REMOVED, DELETED, "SOMETHING_NEW"])
def test_without_an_api_read_the_webhooks_status_is_kept(status):
    assert decide_status(is_update=False, webhook_status=status, api_status=None).status == status


def test_a_revival_is_no_new_activation():
    """A read marked it REMOVED, a later read lists it: the write rules keep the activation it had."""
    first = replace(ACTIVATED, activated_at="2026-10-01T10:00:00.000000Z")
    removed = replace(first, status=REMOVED)
    assert is_push_worthy_activation(removed, first) is False  # revived, however much later
    assert is_revival(REMOVED, first.activated_at, first.activated_at) is True
    never_active = replace(ACTIVATED, status=REMOVED)
    assert is_push_worthy_activation(never_active, first) is True  # removed while awaiting: its first activation
    lacked_evidence = replace(first, status=REMOVED, cool_off_seen=False)
    evidenced = replace(ACTIVATED, activated_at="2026-11-29T12:00:00.000000Z")
    assert is_push_worthy_activation(lacked_evidence, evidenced) is True  # never pushed: a new activation
    late_evidence = replace(first, cool_off_seen=False)
    assert is_push_worthy_activation(late_evidence, replace(first, cool_off_seen=True)) is True  # not a revival
