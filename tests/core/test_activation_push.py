"""core/activation_notifier.py and core/activation_push.py: one push per enabled device, claimed with a lease,
leases waited for as long as time allows, devices deferred when time is short, lost answers taken over and counted
as possible duplicates, disabled endpoints marked, the activation settled only once every device is done."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lean_webhooks.core.activation_notifier import ActivationNotifier, PushFailed
from lean_webhooks.core.activation_push import ActivationPush
from lean_webhooks.models.beneficiary import BeneficiaryActivation, BeneficiaryWrite, StatusDecision
from lean_webhooks.models.devices import DeviceRecord
from lean_webhooks.models.push import Claim, PushText
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.models.timestamps import iso
from tests.core.builders import BENEFICIARY, CUSTOMER, IDENTITY, SOURCE
from tests.support.fakes import LOST, FakeClock, InMemoryStores, RecordingPushPlatform

APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"
ACTIVATION = BeneficiaryActivation(IDENTITY, "ENBD_UAE")
TEXTS = {"en": PushText("Ready", "You can pay now."), "ar": PushText("جاهز", "يمكنك الدفع الآن.")}
LEASE = timedelta(seconds=60)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def duplicates() -> Counter:
    return Counter()


@pytest.fixture
def notifier(
    stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock, duplicates: Counter
) -> ActivationNotifier:
    return ActivationNotifier(
        stores.devices,
        stores.push_markers,
        platform,
        clock=clock,
        lease=LEASE,
        sleep=clock.sleep,
        before_possible_duplicate=duplicates,
        texts=lambda: TEXTS,
    )


def register(stores: InMemoryStores, platform: RecordingPushPlatform, clock: FakeClock, device_id: str, **kw) -> str:
    """A registered device of the customer; returns its endpoint."""
    arn = platform.ensure_endpoint(APPLICATION, f"token-{device_id}", f"{CUSTOMER}/{device_id}")
    stores.devices.put(DeviceRecord(CUSTOMER, device_id, "GCM", arn, **kw), clock.now)
    return arn


def marker_claim(stores: InMemoryStores, clock: FakeClock, device_id: str) -> Claim:
    """What a new claimant of the device's marker would find (claiming it if it is free)."""
    return stores.push_markers.claim(CUSTOMER, BENEFICIARY, device_id, clock.now, LEASE).claim


def test_one_push_per_enabled_device_in_its_language(notifier, stores, platform, clock):
    phone = register(stores, platform, clock, "phone")
    tablet = register(stores, platform, clock, "tablet", locale="ar")
    watch = register(stores, platform, clock, "watch")
    stores.devices.mark_disabled(CUSTOMER, "watch", watch, clock.now)
    outcome = notifier.notify(ACTIVATION)
    assert (outcome.sent, outcome.already_sent, outcome.possible_duplicates) == (2, 0, 0)
    assert platform.messages_to(watch) == []
    (to_phone,), (to_tablet,) = platform.messages_to(phone), platform.messages_to(tablet)
    assert json.loads(to_phone)["default"] == "You can pay now."
    assert json.loads(to_tablet)["default"] == "يمكنك الدفع الآن."
    fcm = json.loads(json.loads(to_phone)["GCM"])["fcmV1Message"]["message"]
    assert fcm["data"] == {
        "type": "payment_source.beneficiary.active",
        "customer_id": CUSTOMER,
        "payment_source_id": SOURCE,
        "beneficiary_id": BENEFICIARY,
    }
    assert marker_claim(stores, clock, "phone") is Claim.SENT and marker_claim(stores, clock, "tablet") is Claim.SENT


def test_a_second_delivery_pushes_nothing_again(notifier, stores, platform, clock):
    register(stores, platform, clock, "phone")
    register(stores, platform, clock, "tablet")
    notifier.notify(ACTIVATION)
    clock.advance(minutes=10)
    outcome = notifier.notify(ACTIVATION)
    assert (outcome.sent, outcome.already_sent) == (0, 2) and len(platform.published) == 2


def test_a_customer_without_devices_is_done_at_once(notifier, platform):
    assert notifier.notify(ACTIVATION).sent == 0 and platform.published == []


def test_a_lease_held_by_another_delivery_is_waited_for_while_time_allows(
    notifier, stores, platform, clock, duplicates
):
    phone = register(stores, platform, clock, "phone")
    stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", clock.now, timedelta(seconds=10))  # died mid-push
    outcome = notifier.notify(ACTIVATION, clock.seconds_left(60))
    assert clock.sleeps == [pytest.approx(10.05)]
    assert (outcome.sent, outcome.possible_duplicates, duplicates.count) == (1, 1, 1)  # it may have published
    assert len(platform.messages_to(phone)) == 1


def test_a_lease_outliving_the_time_left_fails_the_delivery_after_waiting_what_it_can(
    notifier, stores, platform, clock
):
    register(stores, platform, clock, "phone")
    stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", clock.now, timedelta(seconds=60))
    with pytest.raises(PushFailed) as failed:
        notifier.notify(ACTIVATION, clock.seconds_left(30))
    assert clock.sleeps == [pytest.approx(15.0)]  # keeping the time one push needs
    assert failed.value.outcome.in_flight == ["phone"] and platform.published == []


def test_no_device_is_claimed_when_time_is_short(notifier, stores, platform, clock):
    register(stores, platform, clock, "phone")
    with pytest.raises(PushFailed) as failed:
        notifier.notify(ACTIVATION, clock.seconds_left(14))
    assert failed.value.outcome.deferred == ["phone"] and platform.published == []
    assert marker_claim(stores, clock, "phone") is Claim.CLAIMED  # nothing was claimed


def test_devices_left_when_time_runs_short_are_deferred(notifier, stores, platform, clock):
    register(stores, platform, clock, "phone")
    register(stores, platform, clock, "tablet")
    with pytest.raises(PushFailed) as failed:
        notifier.notify(ACTIVATION, lambda: 10.0 if platform.published else 20.0)
    assert (failed.value.outcome.sent, failed.value.outcome.deferred) == (1, ["tablet"])
    assert notifier.notify(ACTIVATION).sent == 1  # the next delivery pushes the rest


def test_a_claim_lease_ends_soon_after_the_claimants_own_deadline(notifier, stores, platform, clock):
    register(stores, platform, clock, "phone")
    stores.push_markers.fail_next("sent", RuntimeError("killed after SNS accepted"))
    with pytest.raises(RuntimeError):
        notifier.notify(ACTIVATION, clock.seconds_left(20))
    other = stores.push_markers.claim(CUSTOMER, BENEFICIARY, "phone", clock.now, LEASE)
    assert other.claim is Claim.IN_FLIGHT and other.lease_until == clock.now + timedelta(seconds=25)


def test_a_lost_answer_is_taken_over_at_once_and_counted_as_a_possible_duplicate(
    notifier, stores, platform, clock, duplicates
):
    phone = register(stores, platform, clock, "phone")
    platform.script(LOST)
    with pytest.raises(PushFailed) as failed:
        notifier.notify(ACTIVATION)
    assert (failed.value.outcome.unknown, failed.value.outcome.failed) == (1, ["phone"])
    assert duplicates.count == 0
    retry = notifier.notify(ACTIVATION)  # the record's next delivery, at once: no wait
    assert (retry.sent, retry.possible_duplicates, duplicates.count) == (1, 1, 1)
    assert clock.sleeps == [] and len(platform.messages_to(phone)) == 2  # the one duplicate no receiver avoids


def test_a_failed_publish_is_released_and_pushed_by_the_next_delivery(notifier, stores, platform, clock, duplicates):
    phone = register(stores, platform, clock, "phone")
    tablet = register(stores, platform, clock, "tablet")
    platform.script(RuntimeError("InternalError"))
    with pytest.raises(PushFailed) as failed:
        notifier.notify(ACTIVATION)
    assert (failed.value.outcome.failed, failed.value.outcome.sent) == (["phone"], 1)
    retry = notifier.notify(ACTIVATION)
    assert (retry.sent, retry.already_sent, retry.possible_duplicates, duplicates.count) == (1, 1, 0, 0)
    assert len(platform.messages_to(phone)) == 1 and len(platform.messages_to(tablet)) == 1


def test_a_disabled_endpoint_is_marked_and_the_other_devices_still_get_their_push(notifier, stores, platform, clock):
    phone = register(stores, platform, clock, "phone")
    tablet = register(stores, platform, clock, "tablet")
    platform.disable(phone)
    outcome = notifier.notify(ACTIVATION)
    assert (outcome.disabled, outcome.sent, outcome.failed) == (1, 1, [])
    device = stores.devices.get(CUSTOMER, "phone")
    assert (device.enabled, device.disabled_at) == (False, iso(clock.now))
    assert len(platform.messages_to(tablet)) == 1
    assert marker_claim(stores, clock, "phone") is Claim.SENT  # done with it


# ---------- the activation push: notify, then settle ----------
@pytest.fixture
def push(notifier: ActivationNotifier, stores: InMemoryStores, clock: FakeClock) -> ActivationPush:
    return ActivationPush(notifier, stores.payment_sources, clock)


def activate(stores: InMemoryStores, clock: FakeClock) -> None:
    write = BeneficiaryWrite(IDENTITY, StatusDecision(ACTIVE, True), "e1", "payment_source.beneficiary.updated", None)
    stores.payment_sources.apply_beneficiary(write, clock.now)


def unsettled(stores: InMemoryStores, clock: FakeClock) -> list[str]:
    window = (clock.now - timedelta(days=1), clock.now + timedelta(days=1))
    return [b.beneficiary_id for b in stores.payment_sources.unsettled_activations(*window, 10)]


def test_an_activation_is_settled_once_every_device_is_pushed(push, stores, platform, clock):
    register(stores, platform, clock, "phone")
    activate(stores, clock)
    assert push.push(ACTIVATION, activated_at=iso(clock.now)).sent == 1
    assert unsettled(stores, clock) == []


def test_an_activation_stays_unsettled_after_a_failure(push, stores, platform, clock):
    register(stores, platform, clock, "phone")
    activate(stores, clock)
    platform.script(RuntimeError("InternalError"))
    with pytest.raises(PushFailed):
        push.push(ACTIVATION)
    assert unsettled(stores, clock) == [BENEFICIARY]


def test_settling_the_pushed_activation_spares_a_later_one(push, stores, platform, clock: FakeClock):
    register(stores, platform, clock, "phone")
    seen_active = BeneficiaryWrite(IDENTITY, StatusDecision(ACTIVE, False), "e0", "refresh", None)
    stores.payment_sources.apply_beneficiary(seen_active, clock.now)  # a refresh saw it active first
    pushed_for = iso(clock.now)
    clock.advance(minutes=1)
    activate(stores, clock)  # the evidence of a cool-off, late: a new activation, its own pushes to come
    push.push(ACTIVATION, activated_at=pushed_for)
    assert unsettled(stores, clock) == [BENEFICIARY]
