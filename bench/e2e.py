"""End to end through the local stack over HTTP: webhook ack throughput and latency at a fixed concurrency
(against the emulator's own floor: a request that reaches no function), and time from
`beneficiary.updated` to the push."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.stats import median, percentile
from local.aws.resources import local_app_id
from local.harness import samples
from local.harness.client import wait_for
from local.harness.launcher import launched_stack

SECRET = "bench-webhook-secret"  # noqa: S105 - a local value


def _hammer(concurrency: int, jobs: list, send) -> tuple[float, list[float]]:
    """Run `send(job)` for all jobs on `concurrency` threads; (requests per second, latencies)."""
    latencies: list[float] = []

    def one(job) -> None:
        started = time.perf_counter()
        send(job)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, jobs))
    return len(jobs) / (time.perf_counter() - started), latencies


def measure(state_dir: Path, requests_count: int = 400, concurrency: int = 8, push_flows: int = 10) -> dict:
    with launched_stack(state_dir, SECRET) as stack:
        sessions = [requests.Session() for _ in range(concurrency)]

        def floor(i: int) -> None:  # routed by the emulator, reaches no function: its HTTP overhead
            sessions[i % concurrency].post(f"{stack.api_url}/no-such-route", data=b"{}", timeout=10)

        flows = [samples.ids() for _ in range(requests_count)]
        bodies = [samples.signed(samples.beneficiary_webhook(f, "created", samples.AWAITING), SECRET) for f in flows]
        for flow in flows:
            stack.set_payment_source(
                flow["customer_id"],
                flow["payment_source_id"],
                samples.payment_source(flow, local_app_id(), samples.AWAITING),
            )

        def webhook(i: int) -> None:
            body, headers = bodies[i]
            response = sessions[i % concurrency].post(
                f"{stack.api_url}/webhooks/lean", data=body, headers=headers, timeout=10
            )
            assert response.status_code == 200, response.text

        floor_rps, _ = _hammer(concurrency, list(range(requests_count)), floor)
        rps, latencies = _hammer(concurrency, list(range(requests_count)), webhook)
        wait_for(lambda: stack.queue_depths()["SyncQueue"] == 0, timeout_s=300, interval_s=0.5, what="sync backlog")
        to_push = [_time_to_push(stack) for _ in range(push_flows)]
    return {
        "concurrency": concurrency,
        "webhooks_per_s": round(rps, 1),
        "floor_requests_per_s": round(floor_rps, 1),
        "throughput_ratio": round(rps / floor_rps, 2),
        "ack_p50_ms": round(median(latencies) * 1000, 1),
        "ack_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "updated_to_push_p50_ms": round(median(to_push) * 1000, 0),
        "updated_to_push_max_ms": round(max(to_push) * 1000, 0),
    }


def _time_to_push(stack) -> float:
    flow = samples.ids()
    cid = flow["customer_id"]
    stack.register_device(cid, "phone", "GCM", f"fcm-bench-{cid}:APA91b" + "q" * 60)
    stack.set_payment_source(
        cid, flow["payment_source_id"], samples.payment_source(flow, local_app_id(), samples.ACTIVE)
    )
    started = time.perf_counter()
    stack.post_webhook(samples.beneficiary_webhook(flow, "updated", samples.ACTIVE))
    deadline = started + 30
    while not stack.pushes(cid, "phone"):
        if time.perf_counter() > deadline:
            raise TimeoutError("no push within 30 s")
        time.sleep(0.02)
    return time.perf_counter() - started
