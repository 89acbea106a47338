"""The notifier and the push reconciler share one index of unsettled activations and one claim per device: what the
stream could not push the reconciler pushes, once per device, and what the stream pushed the reconciler never
reads again."""

from __future__ import annotations

import pytest

from tests.support.activations import activate, index_key, pushes, sns_down
from tests.support.wired import activation_push, device_registry

CUSTOMER = "5b1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
QUIET = {"checked": 0, "settled": 0, "pushed": 0, "still_failing": 0, "possible_duplicates": 0, "abandoned": 0}
TOKEN = "fcm-token:" + "R" * 140


@pytest.fixture
def functions(load_function):
    notify = load_function("NotifyActiveFunction")
    reconcile = load_function("ReconcilePushesFunction", PUSH_RECONCILE_GRACE_SECONDS="0")
    return notify, reconcile


def register(aws, device: str) -> None:
    device_registry(aws).register(CUSTOMER, device, "GCM", f"{TOKEN}{device}", "en")


def test_activation_the_stream_could_not_push_is_pushed_once_by_the_reconciler(aws, functions):
    notify, reconcile = functions
    register(aws, "phone")
    register(aws, "tablet")
    record = activate(aws, CUSTOMER, "b1", cool_off_seen=True)
    push = activation_push(sns_down(aws))
    for _ in range(3):  # the stream's back-to-back retries all fail: the record ends in the failure queue
        assert notify.invoke({"Records": [record]}, push=push)["batchItemFailures"]
    assert pushes(aws) == 0
    first = reconcile.invoke({"source": "aws.events"})  # SNS is back
    assert first == {**QUIET, "checked": 1, "settled": 1, "pushed": 2}
    assert pushes(aws) == 2
    assert reconcile.invoke({})["checked"] == 0  # settled: out of the index
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}  # a late redelivery pushes nothing
    assert pushes(aws) == 2


def test_the_stream_path_settles_the_activation_it_pushed_so_the_reconciler_reads_nothing(aws, functions):
    notify, reconcile = functions
    register(aws, "phone")
    record = activate(aws, CUSTOMER, "b4", cool_off_seen=True)
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []} and pushes(aws) == 1
    assert index_key(aws, CUSTOMER, "b4") is None
    assert reconcile.invoke({})["checked"] == 0 and pushes(aws) == 1
