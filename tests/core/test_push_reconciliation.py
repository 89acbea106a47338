"""core/push_reconciliation.py: unsettled activations past the stream path's grace are pushed once and settled;
active-at-creation ones settled without a push; still-failing ones stay for the next run; ones that left the
window are abandoned, counted once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lean_webhooks.core.activation_notifier import ActivationNotifier
from lean_webhooks.core.activation_push import ActivationPush
from lean_webhooks.core.push_reconciliation import GRACE, LOOKBACK, PushReconciler
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF
from lean_webhooks.models.timestamps import iso
from tests.core.builders import CUSTOMER, SOURCE
from tests.support.fakes import LOST, FakeClock, InMemoryStores, RecordingPushPlatform

APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"


@pytest.fixture
def reconciler(stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock) -> PushReconciler:
    notifier = ActivationNotifier(stores.devices, stores.push_markers, platform, clock=clock, sleep=clock.sleep)
    return PushReconciler(stores.payment_sources, ActivationPush(notifier, stores.payment_sources, clock), clock)


@pytest.fixture
def phone(stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock) -> str:
    arn = platform.ensure_endpoint(APPLICATION, "token-phone", f"{CUSTOMER}/phone")
    stores.devices.put(DeviceRecord(CUSTOMER, "phone", "GCM", arn), clock.now)
    return arn


def activate(stores: InMemoryStores, beneficiary_id: str, at: datetime, after_cool_off: bool = True) -> None:
    who = BeneficiaryIdentity(CUSTOMER, SOURCE, beneficiary_id)
    if after_cool_off:
        awaiting = StatusDecision(AWAITING_COOL_OFF, True)
        stores.payment_sources.apply_beneficiary(BeneficiaryWrite(who, awaiting, "e0", "created", at), at)
    decision = StatusDecision(ACTIVE, after_cool_off)
    stores.payment_sources.apply_beneficiary(BeneficiaryWrite(who, decision, "e1", "updated", None), at)


def unsettled(stores: InMemoryStores, clock: FakeClock) -> list[str]:
    window = (clock.now - timedelta(days=30), clock.now)
    return [b.beneficiary_id for b in stores.payment_sources.unsettled_activations(*window, 100)]


def test_the_stream_path_gets_its_grace_first(reconciler, stores, platform, clock, phone):
    activate(stores, "b1", clock.now - GRACE + timedelta(seconds=1))
    outcome = reconciler.run()
    assert (outcome.checked, outcome.pushed) == (0, 0) and platform.published == []
    clock.advance(seconds=1)
    outcome = reconciler.run()
    assert (outcome.checked, outcome.pushed, outcome.settled) == (1, 1, 1)
    assert len(platform.messages_to(phone)) == 1 and unsettled(stores, clock) == []


def test_an_activation_the_stream_path_pushed_is_settled_without_a_second_push(
    reconciler, stores, platform, clock, phone
):
    activate(stores, "b1", clock.now)
    marker = stores.push_markers.claim(CUSTOMER, "b1", "phone", clock.now, timedelta(seconds=60))
    stores.push_markers.sent(CUSTOMER, "b1", "phone", marker.claim_id, clock.now)  # then the notifier crashed
    clock.advance(minutes=10)
    outcome = reconciler.run()
    assert (outcome.checked, outcome.pushed, outcome.settled) == (1, 0, 1)
    assert platform.published == [] and unsettled(stores, clock) == []


def test_an_activation_active_at_creation_is_settled_without_a_push(reconciler, stores, platform, clock, phone):
    activate(stores, "b1", clock.now, after_cool_off=False)
    clock.advance(minutes=10)
    outcome = reconciler.run()
    assert (outcome.checked, outcome.settled, outcome.pushed) == (1, 1, 0)
    assert platform.published == [] and unsettled(stores, clock) == []


def test_an_activation_still_failing_stays_for_the_next_run(reconciler, stores, platform, clock, phone):
    activate(stores, "b1", clock.now)
    clock.advance(minutes=10)
    platform.script(RuntimeError("InternalError"))
    outcome = reconciler.run()
    assert (outcome.checked, outcome.still_failing, outcome.settled, outcome.pushed) == (1, 1, 0, 0)
    assert unsettled(stores, clock) == ["b1"]
    clock.advance(minutes=10)
    outcome = reconciler.run()
    assert (outcome.still_failing, outcome.settled, outcome.pushed) == (0, 1, 1)
    assert len(platform.messages_to(phone)) == 1


def test_a_lost_answer_is_counted_as_a_possible_duplicate_on_the_run_that_takes_it_over(
    reconciler, stores, platform, clock, phone
):
    activate(stores, "b1", clock.now)
    clock.advance(minutes=10)
    platform.script(LOST)
    assert reconciler.run().still_failing == 1
    outcome = reconciler.run()
    assert (outcome.pushed, outcome.possible_duplicates, outcome.settled) == (1, 1, 1)


def test_an_activation_that_left_the_window_is_abandoned_and_counted_once(reconciler, stores, platform, clock, phone):
    activate(stores, "old", clock.now - LOOKBACK - timedelta(hours=1))
    activate(stores, "recent", clock.now - timedelta(hours=1))
    outcome = reconciler.run()
    assert (outcome.abandoned, outcome.checked, outcome.pushed) == (1, 1, 1)
    assert unsettled(stores, clock) == []
    item = stores.table.get(f"CUSTOMER#{CUSTOMER}", f"PAYMENT_SOURCE#{SOURCE}#BENEFICIARY#old")
    assert item is not None and item["pushes_abandoned_at"] == iso(clock.now)
    assert reconciler.run().abandoned == 0
    assert len(platform.messages_to(phone)) == 1  # the recent one only: the abandoned one is never pushed


def test_the_limit_bounds_each_run(reconciler, stores, clock, phone):
    for n in range(3):
        activate(stores, f"b{n}", clock.now - timedelta(hours=n + 1))
    assert reconciler.run(limit=2).checked == 2
    assert reconciler.run(limit=2).checked == 1
