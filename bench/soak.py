"""Chaos soak: N onboarding flows through the local stack with duplicates, reordering, refreshes racing the
webhooks, Lean faults, disabled and shared-token devices, and optionally worker processes killed mid-invocation and
SNS publish faults; then checks that every activation was stored right and pushed exactly once (lost and duplicate
pushes apart), and that every transition reached the event bus with one event id. Some customers are erased while
their webhooks and a refresh are in flight, and their last webhook comes after the erasure (Lean still answering for
the payment source): nothing of theirs is left but the erasure's record, nothing was pushed to them after it, and
no domain event about them came after it but the one `Customer Erased`.

    python -m bench.soak [--flows 2000] [--workers 8] [--seed 7] [--kill 0.02] [--sns-faults 0.05]

Exit status 0 only when everything is correct. Prints a progress line at least every 10 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from local.aws.resources import local_app_id
from local.harness import samples
from local.harness.launcher import RunningStack, launched_stack

SECRET = "soak-webhook-secret"  # noqa: S105 - a local value
PROGRESS_EVERY_S = 10
# A crashed sync batch comes back after this (the template's 1080 s would stall the soak); above the 180 s timeout.
CHAOS_VISIBILITY_TIMEOUT_S = 200
SHARING_KINDS = ("reinstall", "changed_hands")
ERASED_SHARE = 0.1  # flows whose customer is erased midway  # same customer, new device id / another customer takes it
_CUSTOMER_IN_PUSH = re.compile(r'customer_id\\\\?": \\\\?"([0-9a-fA-F-]{36})')


@dataclass
class Flow:
    ids: dict[str, str]
    duplicate: bool
    reordered: bool
    disabled_device: bool
    sharing: str = ""  # how the phone's push token is shared: "", "reinstall" or "changed_hands"
    refreshed: str = ""  # the app backend refreshes: "" no, "sdk" on the LinkSDK's success, "late" racing the update
    retook_token: bool = False  # changed hands, but this customer's (retried) registration was processed last
    erased: bool = False  # erased before the last webhook, racing a refresh and the webhooks still queued
    webhooks: int = 0
    retried_5xx: int = 0

    @property
    def expected_pushes(self) -> int:
        """The customer's own device gets one push, unless it is disabled or its token now belongs to another."""
        lost_the_phone = self.sharing == "changed_hands" and not self.retook_token
        return 0 if self.disabled_device or lost_the_phone else 1

    @property
    def token(self) -> str:
        return f"fcm-soak-{self.ids['customer_id']}:APA91b" + "s" * 60


@dataclass
class Plan:
    flows: list[Flow] = field(default_factory=list)

    @classmethod
    def make(cls, count: int, rng: random.Random) -> Plan:
        flows = []
        for _ in range(count):
            shared = rng.random()
            kind = SHARING_KINDS[0] if shared < 0.04 else SHARING_KINDS[1] if shared < 0.08 else ""
            flows.append(
                Flow(
                    samples.ids(),
                    rng.random() < 0.2,
                    rng.random() < 0.2,
                    rng.random() < 0.05,
                    kind,
                    refreshed=rng.choice(("sdk", "late")) if rng.random() < 0.3 else "",
                )
            )
        for flow in flows:
            flow.erased = rng.random() < ERASED_SHARE
        return cls(flows)


def _until_accepted(flow: Flow, send: Any, what: str, attempts: int = 8) -> None:
    """Send until a 2xx, as Lean retries a webhook and an app backend a registration after a 5xx or a timeout."""
    for attempt in range(attempts):
        try:
            response = send()
        except requests.RequestException:
            response = None
        if response is not None and response.status_code < 300:
            return
        if response is not None and response.status_code < 500:
            raise RuntimeError(f"{what} answered {response.status_code}: {response.text}")
        flow.retried_5xx += 1
        time.sleep(0.2 * 2**attempt)
    raise RuntimeError(f"{what} kept failing after {attempts} attempts")


def read_retrying(read: Any, attempts: int = 6) -> Any:
    """A read through the customer API, retried after a 5xx (the kills go on while the soak checks)."""
    for attempt in range(attempts):
        try:
            return read()
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code < 500 or attempt == attempts - 1:
                raise
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


def run_flow(stack: RunningStack, flow: Flow) -> None:
    """Device registration (with the flow's token sharing), then the three webhooks (with the flow's chaos)."""
    cid, psid = flow.ids["customer_id"], flow.ids["payment_source_id"]
    token = flow.token
    _until_accepted(flow, lambda: stack.register_device(cid, "phone", "GCM", token), "registration")
    if flow.sharing == "reinstall":  # the app reinstalled: same token, new device id
        _until_accepted(flow, lambda: stack.register_device(cid, "phone-reinstalled", "GCM", token), "reinstall")
    elif flow.sharing == "changed_hands":  # the phone now belongs to another customer
        _until_accepted(flow, lambda: stack.register_device(str(uuid.uuid4()), "phone", "GCM", token), "new owner")
    if flow.disabled_device and flow.sharing != "changed_hands":  # the customer's phone (no longer theirs if sold)
        # a reinstalled app's endpoint belongs to its new device id: that is the customer's phone now
        stack.set_endpoint_enabled(cid, "phone-reinstalled" if flow.sharing == "reinstall" else "phone", False)
    created = samples.beneficiary_webhook(flow.ids, "created", samples.AWAITING)
    updated = samples.beneficiary_webhook(flow.ids, "updated", samples.ACTIVE)
    sends = [samples.payment_source_created_webhook(flow.ids), created, updated]
    if flow.reordered:
        sends = [sends[0], updated, created]
    stack.set_payment_source(cid, psid, samples.payment_source(flow.ids, local_app_id(), samples.AWAITING))
    if flow.refreshed == "sdk":  # a 503 (Lean's faults) says when to retry: the client backs off, as a backend would
        _until_accepted(flow, lambda: stack.refresh(cid), "refresh")
    for position, envelope in enumerate(sends):
        if flow.erased and position == len(sends) - 1:
            erase_racing_a_refresh(stack, flow)  # the earlier webhooks may still be queued, or retried by Lean
        if envelope is updated:
            stack.set_payment_source(cid, psid, samples.payment_source(flow.ids, local_app_id(), samples.ACTIVE))
            if flow.refreshed == "late" and not flow.erased:  # it may store the activation before the webhook does
                _until_accepted(flow, lambda: stack.refresh(cid), "refresh")
        for _ in range(2 if flow.duplicate else 1):
            _until_accepted(flow, lambda envelope=envelope: stack.post_webhook(envelope), "webhook")
            flow.webhooks += 1


def erase_racing_a_refresh(stack: RunningStack, flow: Flow) -> None:
    """Erase the customer while a refresh of theirs runs; both end before the flow goes on (a refresh that read
    Lean after the erasure would rightly store what Lean says then)."""
    cid = flow.ids["customer_id"]

    def refresh() -> None:
        with contextlib.suppress(requests.RequestException):  # its answer does not matter: only what it stores
            stack.refresh(cid)

    racing = threading.Thread(target=refresh)
    racing.start()
    _until_accepted(flow, lambda: stack.erase(cid), "erasure")
    racing.join()


class Progress:
    """Prints one line at least every PROGRESS_EVERY_S seconds while the soak runs."""

    def __init__(self, total: int):
        self.total, self.done, self.phase = total, 0, "sending"
        self._started, self._stop = time.monotonic(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(PROGRESS_EVERY_S):
            elapsed = time.monotonic() - self._started
            print(f"[soak {elapsed:6.0f} s] {self.phase}: {self.done}/{self.total} flows sent", flush=True)


def settle_pushes(stack: RunningStack, deadline: float, quiet_s: float = 60) -> None:
    """Wait until no push has been delivered for `quiet_s` (the stream poller is serial, and every lost SNS
    answer costs it the client's 5 s read timeout, so it can run minutes behind), or the deadline."""
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        delivered = sum(len(e.get("messages", {})) for e in stack.endpoints())
        if delivered != last:
            last, quiet_since = delivered, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        time.sleep(5)


def owners(stack: RunningStack) -> dict[str, str]:
    """token -> the customer its endpoint belongs to now (SNS user data `customer_id/device_id`)."""
    found = {}
    for endpoint in stack.endpoints():
        data = str((endpoint.get("attributes") or {}).get("CustomUserData") or endpoint.get("custom_user_data") or "")
        found[endpoint.get("token") or (endpoint.get("attributes") or {}).get("Token", "")] = data.partition("/")[0]
    return found


def pushes_by_customer(stack: RunningStack) -> Counter[str]:
    """Messages delivered to any endpoint, counted by the customer id their data carries."""
    found: Counter[str] = Counter()
    for endpoint in stack.endpoints():
        for message in endpoint.get("messages", {}).values():
            found.update(set(_CUSTOMER_IN_PUSH.findall(message)))
    return found


def settle_events(stack: RunningStack, deadline: float, quiet_s: float = 15) -> list[dict]:
    """Every domain event the bus delivered, once none has arrived for `quiet_s` (or the deadline)."""
    last, quiet_since, events = -1, time.monotonic(), []
    while time.monotonic() < deadline:
        events = stack.domain_events()
        if len(events) != last:
            last, quiet_since = len(events), time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            break
        time.sleep(3)
    return events


def check_events(flows: list[Flow], events: list[dict]) -> dict[str, Any]:
    """Each flow's beneficiary: Beneficiary Added and Beneficiary Chargeable on the bus, each with one event id
    however often it was delivered, the latter never saying there was no cool-off; no event with account data."""
    ids: dict[tuple[str, str], set[str]] = {}
    deliveries = Counter()
    for event in events:
        if not event["detail"].get("beneficiary_id"):
            continue  # a payment source's or a customer's event: checked elsewhere
        key = (str(event["detail"]["beneficiary_id"]), event["detail-type"])
        ids.setdefault(key, set()).add(event["detail"]["event_id"])
        deliveries[event["detail"]["event_id"]] += 1
    missing = [
        f.ids["beneficiary_id"]
        for f in flows
        for kind in ("Beneficiary Added", "Beneficiary Chargeable")
        if (f.ids["beneficiary_id"], kind) not in ids
    ]
    kept = {f.ids["beneficiary_id"] for f in flows}  # an erased customer's events are checked with the erasures
    chargeable = [
        e["detail"]
        for e in events
        if e["detail-type"] == "Beneficiary Chargeable" and e["detail"]["beneficiary_id"] in kept
    ]
    refreshed = {f.ids["beneficiary_id"] for f in flows if f.refreshed}
    return {
        "domain_events": len(events),
        "domain_events_missing": len(missing),
        "transitions_with_two_event_ids": sum(1 for found in ids.values() if len(found) > 1),
        "transitions_with_two_event_ids_are": [key for key, found in ids.items() if len(found) > 1][:5],
        "domain_events_delivered_again": sum(n - 1 for n in deliveries.values()),
        # every flow's customer waits for a cool-off: false is wrong; unknown (null) only where a refresh stored the
        # beneficiary ACTIVE before any webhook said so
        "chargeable_said_without_cool_off": sum(1 for d in chargeable if d.get("after_cool_off") is False),
        "chargeable_cool_off_unknown": sum(1 for d in chargeable if d.get("after_cool_off") is None),
        "chargeable_unknown_without_a_refresh": sum(
            1 for d in chargeable if d.get("after_cool_off") is None and d["beneficiary_id"] not in refreshed
        ),
        "chargeable_unknown_without_a_refresh_are": [
            d["beneficiary_id"]
            for d in chargeable
            if d.get("after_cool_off") is None and d["beneficiary_id"] not in refreshed
        ][:5],
        # an erased customer's beneficiary stored ACTIVE by the refresh that raced the erasure: null is right there
        "chargeable_unknown_of_erased_customers": sum(
            1
            for e in events
            if e["detail-type"] == "Beneficiary Chargeable"
            and e["detail"]["beneficiary_id"] not in kept
            and e["detail"].get("after_cool_off") is None
        ),
        "domain_events_with_account_data": sum(
            1 for e in events if any(w in json.dumps(e) for w in ("iban", "account_number", "AE3402600"))
        ),
    }


def erasure_exempt(event: dict) -> bool:
    """The erasure's own events: `Customer Erased`, and `Payment Source Deleted` of what it had Lean delete."""
    detail = event["detail"]
    return event["detail-type"] == "Customer Erased" or detail.get("reason") == "customer_erasure"


def check_erased(stack: RunningStack, flows: list[Flow], events: list[dict], pushes: Counter[str]) -> dict[str, Any]:
    """For each erased customer: no item but the erasure's record; no push on any endpoint; one `Customer Erased`;
    no other event about them after the erasure began (by what it says happened) or put on the bus after it ended."""
    erased = {f.ids["customer_id"] for f in flows if f.erased}
    records: dict[str, dict[str, Any]] = {}
    found: list[tuple[str, dict[str, Any]]] = []
    for item in scan_table(stack):
        text = json.dumps(item)
        for cid in erased:
            if cid in text:
                plain = {k: v.get("S", v.get("N")) for k, v in item.items()}
                if item["sk"]["S"] == "ERASURE":
                    records[cid] = plain
                else:
                    found.append((cid, plain))
    # A refresh the app backend made after the erasure ended is served normally: its marker (ids and times) is new.
    after_it = [
        p
        for cid, p in found
        if p.get("entity") == "REFRESH" and p["called_at"] > str(records.get(cid, {}).get("completed_at"))
    ]
    left = [p for _, p in found if p not in after_it]
    announced: dict[str, set[str]] = {cid: set() for cid in erased}  # the event ids (a delivery may come again)
    after = 0
    for event in events:
        cid = str(event["detail"].get("customer_id"))
        if cid not in erased:
            continue
        if event["detail-type"] == "Customer Erased":
            announced[cid].add(str(event["detail"].get("event_id")))
        if erasure_exempt(event) or cid not in records:
            continue
        record = records[cid]
        began = str(record.get("started_at") or "")
        ended = str(record.get("completed_at") or "")
        put_at = str(event.get("time") or "")  # EventBridge's time of the put, whole seconds
        if str(event["detail"].get("occurred_at") or "") >= began or (ended and put_at > ended[:19] + "Z"):
            after += 1
    return {
        "erased_customers": len(erased),
        "erasures_completed": sum(1 for r in records.values() if r.get("completed_at")),
        "items_left_about_erased_customers": len(left),
        "items_left_kinds": dict(Counter(str(p.get("entity")) for p in left)),
        "refresh_markers_of_refreshes_after_an_erasure": len(after_it),
        "pushes_to_erased_customers": sum(pushes.get(cid, 0) for cid in erased),
        "erased_customers_not_announced_once": sum(1 for cid in erased if len(announced[cid]) != 1),
        "erased_customers_never_announced": sum(1 for cid in erased if not announced[cid]),
        "domain_events_after_an_erasure": after,
    }


def scan_table(stack: RunningStack) -> list[dict[str, Any]]:
    """Every item of the local stack's table (DynamoDB Local)."""
    import boto3

    client = boto3.session.Session().client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{stack.ports['LOCAL_DYNAMODB_PORT']}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts anything
    )
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": "lean-local-Table"}
    while True:
        page = client.scan(**kwargs)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def counted_metric(log: Path, name: str) -> int:
    """Sum of an EMF metric over the functions' log."""
    total = 0
    with log.open() as lines:
        for line in lines:
            if f'"{name}"' in line and line.startswith("{"):
                value = json.loads(line).get(name)
                total += int(sum(value) if isinstance(value, list) else value or 0)
    return total


def soak(flows: int, workers: int, seed: int, state_dir: Path, kill: float, sns_faults: float) -> dict:
    rng = random.Random(seed)
    plan = Plan.make(flows, rng)
    chaos_env = {
        "LOCAL_CHAOS_KILL_RATE": str(kill),
        "LOCAL_CHAOS_SNS_FAULT_RATE": str(sns_faults),
        "LOCAL_CHAOS_SEED": str(seed),
    }
    if kill:
        chaos_env["LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS"] = str(CHAOS_VISIBILITY_TIMEOUT_S)
    with launched_stack(state_dir, SECRET, environment=chaos_env) as stack, Progress(flows) as progress:
        # A client that gives up while its request still waits for a free local worker would retry while the first
        # try is pending: two registrations of one token racing, which makes the expected pushes unknowable. The
        # emulator answers every request (500 when its worker dies), so wait for that answer.
        stack.timeout_s = 180
        stack.add_fault(status=503, probability=0.05, count=None)
        stack.add_fault(status=429, probability=0.05, count=None)
        stack.add_fault(delay_s=6, probability=0.02, count=None)  # beyond the client's 5 s read timeout
        started = time.monotonic()

        def one(flow: Flow) -> None:
            run_flow(stack, flow)
            progress.done += 1

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, plan.flows))
        sent_s = time.monotonic() - started
        progress.phase = "draining the sync queue"
        deadline = time.monotonic() + max(300, flows * 0.5) + (CHAOS_VISIBILITY_TIMEOUT_S if kill else 0)
        while time.monotonic() < deadline and stack.queue_depths()["SyncQueue"]:
            time.sleep(2)
        progress.phase = "letting the stream deliver the last activations"
        settle_pushes(stack, deadline=time.monotonic() + max(300, flows * 0.5))
        progress.phase = "letting the bus deliver the last domain events"
        events = settle_events(stack, deadline=time.monotonic() + max(120, flows * 0.1))
        stack.clear_faults()
        wall_s = time.monotonic() - started
        statuses: Counter[str] = Counter()
        for flow in (f for f in plan.flows if not f.erased):
            ben = read_retrying(
                lambda flow=flow: stack.beneficiary(flow.ids["customer_id"], flow.ids["beneficiary_id"])
            )
            statuses[ben["status"] if ben else "MISSING"] += 1
        pushes = pushes_by_customer(stack)
        final_owner = owners(stack)
        depths = stack.queue_depths()
        chaos = stack.http.get(f"{stack.api_url}/_local/chaos", timeout=10).json()
        counted = counted_metric(stack.function_log, "PushesPossiblyDuplicated")
        erasures = check_erased(stack, plan.flows, events, pushes)
        erased_events = counted_metric(stack.function_log, "ErasedCustomerEvents")
    for flow in plan.flows:  # two registrations of one token race (a client retry after a timeout whose first
        # try was still running): the one processed last owns the phone, and that is the service being right
        flow.retook_token = flow.sharing == "changed_hands" and final_owner.get(flow.token) == flow.ids["customer_id"]
    kept = [f for f in plan.flows if not f.erased]  # erased flows are checked by `check_erased`
    lost = [f for f in kept if pushes.get(f.ids["customer_id"], 0) < f.expected_pushes]
    extra = {f.ids["customer_id"]: pushes.get(f.ids["customer_id"], 0) - f.expected_pushes for f in kept}
    duplicates = sum(n for n in extra.values() if n > 0)
    unexpected = [f for f in kept if f.expected_pushes == 0 and pushes.get(f.ids["customer_id"], 0)]
    return {
        "flows": flows,
        "chaos": {"kill_rate": kill, "sns_fault_rate": sns_faults, **chaos},
        "webhooks_sent": sum(f.webhooks for f in plan.flows),
        "requests_retried_after_5xx": sum(f.retried_5xx for f in plan.flows),
        "duplicated_flows": sum(f.duplicate for f in plan.flows),
        "reordered_flows": sum(f.reordered for f in plan.flows),
        "disabled_devices": sum(f.disabled_device for f in plan.flows),
        "reinstalled_apps": sum(f.sharing == "reinstall" for f in plan.flows),
        "phones_changed_hands": sum(f.sharing == "changed_hands" for f in plan.flows),
        "phones_retaken_by_a_late_registration": sum(f.retook_token for f in plan.flows),
        "kept_flows": len(kept),
        "stored_correctly": statuses.get(samples.ACTIVE, 0),
        "statuses": dict(statuses),
        "regressions": len(kept) - statuses.get(samples.ACTIVE, 0),
        "pushes_expected": sum(f.expected_pushes for f in kept),
        "pushes_delivered": sum(pushes.get(f.ids["customer_id"], 0) for f in kept),
        "lost_pushes": len(lost),
        "duplicate_pushes": duplicates,
        "duplicates_counted_as_possible": counted,
        "uncounted_duplicates": max(0, duplicates - counted),
        "pushes_to_a_device_no_longer_theirs": len(unexpected),
        "wrong_flows": [
            {
                "customer_id": f.ids["customer_id"],
                "expected": f.expected_pushes,
                "got": pushes.get(f.ids["customer_id"], 0),
                "kind": {
                    "sharing": f.sharing,
                    "duplicate": f.duplicate,
                    "reordered": f.reordered,
                    "disabled_device": f.disabled_device,
                },
            }
            for f in (lost + unexpected)[:10]
        ],
        "refreshed_flows": dict(Counter(f.refreshed for f in plan.flows if f.refreshed)),
        **check_events(kept, events),
        **erasures,
        "late_events_about_erased_customers_counted": erased_events,
        "left_in_queues": depths,
        "send_s": round(sent_s, 1),
        "wall_s": round(wall_s, 1),
    }


def chaos_landed(report: dict) -> bool:
    """The chaos asked for really happened (a soak whose kills never landed proves nothing about them)."""
    chaos = report["chaos"]
    kills_ok = not chaos["kill_rate"] or sum(chaos["kills"].values()) > 0
    sns_ok = not chaos["sns_fault_rate"] or (chaos["sns"].get("answer_lost", 0) and chaos["sns"].get("refused", 0))
    return bool(kills_ok and sns_ok)


def passed(report: dict) -> bool:
    return (
        chaos_landed(report)
        and report["stored_correctly"] == report["kept_flows"]
        and report["erasures_completed"] == report["erased_customers"]
        and report["items_left_about_erased_customers"] == 0
        and report["pushes_to_erased_customers"] == 0
        and report["erased_customers_not_announced_once"] == 0
        and report["domain_events_after_an_erasure"] == 0
        and report["lost_pushes"] == 0
        and report["uncounted_duplicates"] == 0
        and report["pushes_to_a_device_no_longer_theirs"] == 0
        and report["domain_events_missing"] == 0
        and report["transitions_with_two_event_ids"] == 0
        and report["chargeable_said_without_cool_off"] == 0
        and report["chargeable_unknown_without_a_refresh"] == 0
        and report["domain_events_with_account_data"] == 0
        and not any(report["left_in_queues"].values())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill", type=float, default=0.0, help="share of invocations killed mid-way (e.g. 0.02)")
    parser.add_argument("--sns-faults", type=float, default=0.0, help="share of SNS publishes that fail (e.g. 0.05)")
    parser.add_argument("--keep", type=Path, help="keep the stack's logs in this directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        report = soak(args.flows, args.workers, args.seed, args.keep or Path(tmp), args.kill, args.sns_faults)
    for name, value in report.items():
        print(f"{name:>36}: {value}")
    out = Path(__file__).parent / "results" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    ok = passed(report)
    print("SOAK PASSED: 100% correct" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
