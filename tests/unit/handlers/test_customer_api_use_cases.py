"""The customer API's handler runs the use cases handed to it, each through its own typed parameter and for that
call only (the wired ones otherwise): here the core use cases on the in-memory fakes, with Lean scripted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.deletion import PaymentSourceDeletion
from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.erasure import CustomerErasure
from lean_webhooks.core.refresh import PaymentSourceRefresh
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.errors import LeanServerError, LeanUnavailable
from tests.support.customer_api import answer, call
from tests.support.fakes import FakeClock, InMemoryDevices, InMemoryStores, RecordingPushPlatform, ScriptedLean

CUSTOMER = "3f1c8d7e-2b4a-4c6d-9e8f-0a1b2c3d4e5f"
PAYMENT_SOURCE = "5b3e2a1c-0d9f-4e8b-a7c6-1f2e3d4c5b6a"
GCM = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean"
BODY = {"platform": "GCM", "token": "fcm-token-1234"}
DEVICES = f"/customers/{CUSTOMER}/devices"


@pytest.fixture
def api(aws, load_function):
    return load_function("CustomerApiFunction")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stores(clock: FakeClock) -> InMemoryStores:
    return InMemoryStores(clock)


def registry(devices: InMemoryDevices, clock: FakeClock) -> DeviceRegistry:
    return DeviceRegistry({"GCM": GCM}, devices, RecordingPushPlatform(), clock)


def test_the_device_routes_run_the_registry_handed_in_and_only_for_that_call(api, stores, clock):
    assert call(api, "PUT", f"{DEVICES}/phone", BODY, device_registry=registry(stores.devices, clock))[0] == 200
    assert [d.device_id for d in stores.devices.devices_of(CUSTOMER)] == ["phone"]
    status, listed = call(api, "GET", DEVICES, device_registry=registry(stores.devices, clock))
    assert status == 200 and [d["device_id"] for d in listed["devices"]] == ["phone"]
    assert call(api, "GET", DEVICES) == (200, {"customer_id": CUSTOMER, "devices": []})  # the wired one: moto's
    assert call(api, "DELETE", f"{DEVICES}/phone", device_registry=registry(stores.devices, clock))[0] == 204
    assert stores.devices.devices_of(CUSTOMER) == []


class Outraced(InMemoryDevices):
    """Another registration of the token always wins the write."""

    def put(self, *args: object, **kwargs: object) -> bool:
        return False


def test_a_registration_outraced_every_time_is_a_409_conflict(api, stores, clock):
    handed = registry(Outraced(stores.table), clock)
    status, body = call(api, "PUT", f"{DEVICES}/phone", BODY, device_registry=handed)
    assert (status, body["error"]) == (409, "conflict") and "retry" in body["message"]


def test_the_payment_source_list_reads_through_the_reader_handed_in(api, stores):
    stores.payment_sources.fail_next("list_for_customer", RuntimeError("the reader handed in"))
    path = f"/customers/{CUSTOMER}/payment-sources"
    assert call(api, "GET", path, payment_source_reader=stores.payment_sources)[0] == 500
    assert call(api, "GET", path) == (200, {"customer_id": CUSTOMER, "payment_sources": [], "next_token": None})


def test_a_refresh_handed_in_whose_lean_fails_is_a_503_with_retry_after(api, stores, clock):
    lean = ScriptedLean()
    lean.fail_next("list_payment_sources", LeanServerError("down", http_status=503, retry_after_s=7))
    refresh = PaymentSourceRefresh(
        lean,
        PaymentSourceSync(lean, stores.payment_sources, "app", clock),
        stores.refresh_markers,
        stores.payment_sources,
        min_interval=timedelta(seconds=30),
        deadline_s=5,
        clock=clock,
        sleep=clock.sleep,
    )
    found = answer(api, "POST", f"/customers/{CUSTOMER}/payment-sources/refresh", payment_source_refresh=refresh)
    assert (found.status, found.body["error"], found.headers["retry-after"]) == (503, "lean_unavailable", "7")


def test_a_deletion_handed_in_whose_lean_is_unavailable_is_a_503(api, stores):
    lean = ScriptedLean()
    lean.fail_next("delete_payment_source", LeanUnavailable("timeout"))
    deletion = PaymentSourceDeletion(lean, stores.payment_sources, deadline_s=5)
    path = f"/customers/{CUSTOMER}/payment-sources/{PAYMENT_SOURCE}"
    status, body = call(api, "DELETE", path, payment_source_deletion=deletion)
    assert (status, body["error"]) == (503, "lean_unavailable") and lean.calls  # the handed-in Lean was asked


def test_an_erasure_handed_in_whose_lean_fails_midway_is_a_503_with_retry_after(api, stores, clock):
    lean = ScriptedLean()
    lean.fail_next("list_payment_sources", LeanServerError("down", http_status=503, retry_after_s=2.5))
    erasure = CustomerErasure(
        lean, stores.customer_records, stores.payment_sources, stores.devices, RecordingPushPlatform(), 5, clock
    )
    found = answer(api, "DELETE", f"/customers/{CUSTOMER}", customer_erasure=erasure)
    assert (found.status, found.body["error"], found.headers["retry-after"]) == (503, "lean_unavailable", "3")
