"""The push reconciler (ReconcilePushesFunction) on moto: an activation left unsettled past the grace period is
settled, pushed only when its cool-off was seen, and taken out once when it leaves the window unsettled. Devices
are registered and activations stored as the customer API and the sync store them, without their handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.activations import activate, pushes, stored
from tests.support.wired import device_registry

CUSTOMER = "5b1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
QUIET = {"checked": 0, "settled": 0, "pushed": 0, "still_failing": 0, "possible_duplicates": 0, "abandoned": 0}
TOKEN = "fcm-token:" + "R" * 140


@pytest.fixture
def reconcile(load_function):
    return load_function("ReconcilePushesFunction", PUSH_RECONCILE_GRACE_SECONDS="0")


def register(aws, device: str) -> None:
    device_registry(aws).register(CUSTOMER, device, "GCM", f"{TOKEN}{device}", "en")


def test_activation_without_a_cool_off_is_settled_without_a_push(aws, reconcile):
    register(aws, "phone")
    activate(aws, CUSTOMER, "b2", cool_off_seen=False)
    outcome = reconcile.invoke({})
    assert outcome == {**QUIET, "checked": 1, "settled": 1}
    assert pushes(aws) == 0


def test_activations_within_the_grace_period_are_left_to_the_stream(aws, load_function):
    register(aws, "phone")
    activate(aws, CUSTOMER, "b3", cool_off_seen=True)
    reconcile = load_function("ReconcilePushesFunction")  # the template's 5-minute grace
    assert reconcile.invoke({})["checked"] == 0 and pushes(aws) == 0


def test_an_activation_that_leaves_the_window_unsettled_is_counted_once_and_taken_out(aws, reconcile, capsys):
    from lean_webhooks import wiring
    from lean_webhooks.core.push_reconciliation import PushReconciler
    from lean_webhooks.runtime.settings.push import PushReconcileSettings

    now = datetime.now(UTC).replace(microsecond=0)
    activate(aws, CUSTOMER, "b6", cool_off_seen=True, at=now - timedelta(days=3))  # unsettled; the scan looks 9 days
    settings = PushReconcileSettings.from_env()
    reconciler = PushReconciler(
        wiring.payment_sources(settings.push.table_name),
        wiring.build_activation_push(settings.push),
        grace=timedelta(0),
        clock=lambda: now,
    )
    capsys.readouterr()
    first = reconcile.invoke({}, reconciler=reconciler)
    assert first["abandoned"] == 1 and first["checked"] == 0  # never pushed by this run: it left the window
    assert '"ActivationsAbandoned":[1.0]' in capsys.readouterr().out
    item = stored(aws, CUSTOMER, "b6")
    assert "gsi2pk" not in item and "pushes_abandoned_at" in item
    assert reconcile.invoke({}, reconciler=reconciler)["abandoned"] == 0  # counted once
