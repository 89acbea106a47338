"""Chaos soak: N onboarding flows through the local stack with duplicates, reordering, Lean faults and
disabled device endpoints; then checks that every activation was stored and pushed exactly once.

    python -m bench.soak [--flows 2000] [--workers 8] [--seed 7]

Exit status 0 only when everything is 100% correct.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from local.aws.resources import local_app_id
from local.harness import samples
from local.harness.launcher import RunningStack, launched_stack

SECRET = "soak-webhook-secret"  # noqa: S105 - a local value


@dataclass
class Flow:
    ids: dict[str, str]
    duplicate: bool
    reordered: bool
    disabled_device: bool
    webhooks: int = 0


@dataclass
class Plan:
    flows: list[Flow] = field(default_factory=list)

    @classmethod
    def make(cls, count: int, rng: random.Random) -> Plan:
        return cls(
            [Flow(samples.ids(), rng.random() < 0.2, rng.random() < 0.2, rng.random() < 0.05) for _ in range(count)]
        )


def run_flow(stack: RunningStack, flow: Flow) -> None:
    """Device registration, then the three webhooks (with the flow's chaos) as Lean would send them."""
    cid, psid = flow.ids["customer_id"], flow.ids["payment_source_id"]
    token = f"fcm-soak-{cid}:APA91b" + "s" * 60
    response = stack.register_device(cid, "phone", "GCM", token)
    if response.status_code != 200:
        raise RuntimeError(f"device registration answered {response.status_code}: {response.text}")
    if flow.disabled_device:
        stack.set_endpoint_enabled(cid, "phone", False)
    created = samples.beneficiary_webhook(flow.ids, "created", samples.AWAITING)
    updated = samples.beneficiary_webhook(flow.ids, "updated", samples.ACTIVE)
    sends = [samples.payment_source_created_webhook(flow.ids), created, updated]
    if flow.reordered:
        sends = [sends[0], updated, created]
    stack.set_payment_source(cid, psid, samples.payment_source(flow.ids, local_app_id(), samples.AWAITING))
    for envelope in sends:
        if envelope is updated:
            stack.set_payment_source(cid, psid, samples.payment_source(flow.ids, local_app_id(), samples.ACTIVE))
        for _ in range(2 if flow.duplicate else 1):
            response = stack.post_webhook(envelope)
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")
            flow.webhooks += 1


def soak(flows: int, workers: int, seed: int, state_dir: Path) -> dict:
    rng = random.Random(seed)
    plan = Plan.make(flows, rng)
    with launched_stack(state_dir, SECRET) as stack:
        stack.add_fault(status=503, probability=0.05, count=None)
        stack.add_fault(status=429, probability=0.05, count=None)
        stack.add_fault(delay_s=6, probability=0.02, count=None)  # beyond the client's 5 s read timeout
        started = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda f: run_flow(stack, f), plan.flows))
        sent_s = time.monotonic() - started
        deadline = time.monotonic() + max(300, flows * 0.5)
        while time.monotonic() < deadline:
            depths = stack.queue_depths()
            if depths["SyncQueue"] == 0:
                break
            time.sleep(2)
        time.sleep(5)  # let the stream poller deliver the last activations
        stack.clear_faults()
        wall_s = time.monotonic() - started
        statuses = Counter()
        for flow in plan.flows:
            ben = stack.beneficiary(flow.ids["customer_id"], flow.ids["beneficiary_id"])
            statuses[ben["status"] if ben else "MISSING"] += 1
        pushes = Counter()
        for endpoint in stack.endpoints():
            pushes[(endpoint.get("custom_user_data") or "").partition("/")[0]] += len(endpoint.get("messages", {}))
        depths = stack.queue_depths()
    expected = {f.ids["customer_id"]: 0 if f.disabled_device else 1 for f in plan.flows}
    wrong = [f for f in plan.flows if pushes.get(f.ids["customer_id"], 0) != expected[f.ids["customer_id"]]]
    wrong_pushes = len(wrong)
    return {
        "flows": flows,
        "webhooks_sent": sum(f.webhooks for f in plan.flows),
        "duplicated_flows": sum(f.duplicate for f in plan.flows),
        "reordered_flows": sum(f.reordered for f in plan.flows),
        "disabled_devices": sum(f.disabled_device for f in plan.flows),
        "stored_correctly": statuses.get(samples.ACTIVE, 0),
        "statuses": dict(statuses),
        "pushes_sent": sum(pushes.get(cid, 0) for cid in expected),
        "pushes_expected": sum(expected.values()),
        "flows_with_wrong_push_count": wrong_pushes,
        "wrong_flows": [
            {
                "customer_id": f.ids["customer_id"],
                "expected": expected[f.ids["customer_id"]],
                "got": pushes.get(f.ids["customer_id"], 0),
                "duplicate": f.duplicate,
                "reordered": f.reordered,
                "disabled_device": f.disabled_device,
            }
            for f in wrong[:10]
        ],
        "regressions": flows - statuses.get(samples.ACTIVE, 0),
        "left_in_queues": depths,
        "send_s": round(sent_s, 1),
        "wall_s": round(wall_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the stack's logs in this directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        report = soak(args.flows, args.workers, args.seed, args.keep or Path(tmp))
    for name, value in report.items():
        print(f"{name:>28}: {value}")
    out = Path(__file__).parent / "results" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    ok = (
        report["stored_correctly"] == report["flows"]
        and report["pushes_sent"] == report["pushes_expected"]
        and report["flows_with_wrong_push_count"] == 0
        and not any(report["left_in_queues"].values())
    )
    print("SOAK PASSED: 100% correct" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
