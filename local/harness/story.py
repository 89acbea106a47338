"""The onboarding story, replayed against a running local stack over HTTP only."""

from __future__ import annotations

import json
from collections.abc import Callable

from local.aws.resources import local_app_id
from local.harness import samples
from local.harness.client import StackClient, wait_for

DEMO_DEVICE = "demo-phone"
DEMO_TOKEN = "fcm-demo-token:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ"  # noqa: S105 - a fake token


def run_story(ports, webhook_secret: str, say: Callable[[str], None]) -> bool:
    """Lean's "Working with Payment Sources" flow with this service: register a device; the LinkSDK reports
    success and the app backend refreshes at once (before any webhook); then payment_source.created,
    beneficiary.created (cool-off), beneficiary.updated (ACTIVE); check each step's effect, show the push and the
    domain events. True when every step succeeded."""
    client = StackClient(ports.api_url, ports.moto_url, ports.lean_url, webhook_secret)
    flow = samples.ids()
    customer_id = flow["customer_id"]
    steps = [
        ("register the customer's phone for pushes", lambda: _register(client, customer_id)),
        (
            "Lean has the payment source, beneficiary in cool-off",
            lambda: client.set_payment_source(
                customer_id, flow["payment_source_id"], samples.payment_source(flow, local_app_id(), samples.AWAITING)
            ),
        ),
        (
            "LinkSDK success: the app backend refreshes (no webhook delivered yet)",
            lambda: _refreshed(client, flow),
        ),
        (
            "webhook payment_source.created (acknowledged, ignored)",
            lambda: _post(client, samples.payment_source_created_webhook(flow), "ignored"),
        ),
        (
            "webhook payment_source.beneficiary.created (AWAITING_BENEFICIARY_COOL_OFF)",
            lambda: _post(client, samples.beneficiary_webhook(flow, "created", samples.AWAITING), "accepted"),
        ),
        (
            "stored: beneficiary awaiting cool-off, not chargeable",
            lambda: _stored(client, flow, samples.AWAITING, chargeable=False),
        ),
        (
            "cool-off over: Lean now reports the beneficiary ACTIVE",
            lambda: client.set_payment_source(
                customer_id, flow["payment_source_id"], samples.payment_source(flow, local_app_id(), samples.ACTIVE)
            ),
        ),
        (
            "webhook payment_source.beneficiary.updated (ACTIVE)",
            lambda: _post(client, samples.beneficiary_webhook(flow, "updated", samples.ACTIVE), "accepted"),
        ),
        ("stored: beneficiary ACTIVE, chargeable", lambda: _stored(client, flow, samples.ACTIVE, chargeable=True)),
        ("push received by the phone", lambda: _push(client, customer_id)),
        ("domain events on the bus, one per transition", lambda: _domain_events(client, flow)),
    ]
    say(f"--- onboarding story for customer {customer_id} ---")
    for number, (title, step) in enumerate(steps, 1):
        try:
            detail = step()
        except Exception as exc:
            say(f"[{number}/{len(steps)}] FAILED {title}: {exc}")
            return False
        say(f"[{number}/{len(steps)}] ok   {title}" + (f"\n        {detail}" if detail else ""))
    say("--- story complete: exactly one push for one activation, one domain event per transition ---")
    return True


def _register(client: StackClient, customer_id: str) -> str:
    response = client.register_device(customer_id, DEMO_DEVICE, "GCM", DEMO_TOKEN)
    if response.status_code != 200:
        raise RuntimeError(f"PUT device answered {response.status_code}: {response.text}")
    return f"device {DEMO_DEVICE} (GCM) registered"


def _post(client: StackClient, envelope: dict, expected: str) -> str:
    response = client.post_webhook(envelope)
    if response.status_code != 200 or response.json().get("status") != expected:
        raise RuntimeError(f"answered {response.status_code}: {response.text}")
    return f"HTTP 200 {response.json()}"


def _stored(client: StackClient, flow: dict, status: str, chargeable: bool) -> str:
    def check() -> dict | None:
        ben = client.beneficiary(flow["customer_id"], flow["beneficiary_id"])
        return ben if ben and ben["status"] == status and ben["chargeable"] is chargeable else None

    ben = wait_for(check, timeout_s=30, what=f"beneficiary {status}")
    return f"GET /customers/.../payment-sources -> status={ben['status']} chargeable={ben['chargeable']}"


def _refreshed(client: StackClient, flow: dict) -> str:
    response = client.refresh(flow["customer_id"])
    if response.status_code != 200:
        raise RuntimeError(f"refresh answered {response.status_code}: {response.text}")
    sources = response.json()["payment_sources"]
    ben = next((b for s in sources for b in s["beneficiaries"] if b["id"] == flow["beneficiary_id"]), None)
    if ben is None or ben["chargeable"] is not False:
        raise RuntimeError(f"the refresh's answer lacks the awaiting beneficiary: {response.text}")
    return (
        f"POST .../payment-sources/refresh -> {len(sources)} payment source, beneficiary status={ben['status']} "
        f"chargeable={ben['chargeable']} cool_off_expiry={ben['cool_off_expiry']}"
    )


def _domain_events(client: StackClient, flow: dict) -> str:
    wanted = ("Beneficiary Added", "Beneficiary Chargeable")

    def of_this_beneficiary() -> list[dict] | None:
        found = [e for e in client.domain_events() if e["detail"].get("beneficiary_id") == flow["beneficiary_id"]]
        return found if {e["detail-type"] for e in found} >= set(wanted) else None

    found = wait_for(of_this_beneficiary, timeout_s=30, what="the domain events")
    if len(found) != len({e["detail"]["event_id"] for e in found}) or len(found) != len(wanted):
        raise RuntimeError(f"expected one event per transition, got {[e['detail-type'] for e in found]}")
    return "\n        ".join(
        f"{e['detail-type']}: status={e['detail']['status']} previous={e['detail']['previous_status']}"
        + (f" after_cool_off={e['detail']['after_cool_off']}" if "after_cool_off" in e["detail"] else "")
        + f" event_id={e['detail']['event_id']}"
        for e in found
    )


def _push(client: StackClient, customer_id: str) -> str:
    pushes = wait_for(lambda: client.pushes(customer_id, DEMO_DEVICE), timeout_s=30, what="the push")
    if len(pushes) != 1:
        raise RuntimeError(f"expected exactly one push, got {len(pushes)}")
    fcm = json.loads(pushes[0]["GCM"])["fcmV1Message"]["message"]
    return f"FCM notification: {fcm['notification']['title']!r} - {fcm['notification']['body']!r} data={fcm['data']}"
