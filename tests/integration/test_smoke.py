"""`make smoke URL=...`: scripts/smoke.py against the local stack passes every step and leaves nothing behind; a
non-empty DLQ stops it at its step with exit 1."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys

import pytest

from local.aws.template import ROOT
from local.harness.client import wait_for
from tests.support.constants import INTEGRATION_SECRET as SECRET

pytestmark = pytest.mark.integration
STEPS = 6
LINE = re.compile(r"^\[(\d)/6\] (ok  |FAIL) ([^:]+): ")


def smoke(stack) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/smoke.py", "--url", stack.api_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def step_lines(output: str) -> list[tuple[int, str, str]]:
    return [(int(m[1]), m[2].strip(), m[3]) for m in map(LINE.match, output.splitlines()) if m]


def dlq_url(stack) -> str:
    return stack.aws("sqs").get_queue_url(QueueName="lean-local-SyncDeadLetterQueue")["QueueUrl"]


def drain_dlq(stack) -> None:
    """Receive and delete until empty (PurgeQueue allows one call a minute)."""
    sqs, url = stack.aws("sqs"), dlq_url(stack)
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
        "Messages", []
    ):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def smoke_endpoints(stack) -> list[str]:
    """SNS endpoints that still exist for a smoke test device (user data `customer_id/smoke-...`), read through SNS's
    API (moto's /moto-api/data.json keeps deleted endpoints too)."""
    sns = stack.aws("sns")
    found = []
    for application in sns.list_platform_applications()["PlatformApplications"]:
        arn = application["PlatformApplicationArn"]
        for endpoint in sns.list_endpoints_by_platform_application(PlatformApplicationArn=arn)["Endpoints"]:
            if "/smoke-" in endpoint.get("Attributes", {}).get("CustomUserData", ""):
                found.append(endpoint["EndpointArn"])
    return found


def test_every_step_passes_against_the_local_stack_and_leaves_nothing_behind(stack):
    # What earlier tests left in the sync queue settles first (some of it dead-letters on purpose; if it is still
    # retrying after a minute, so be it: the check only prints the sync queue's depth) ...
    with contextlib.suppress(TimeoutError):
        wait_for(lambda: stack.queue_depths()["SyncQueue"] == 0, timeout_s=60, what="the sync queue to drain")
    drain_dlq(stack)  # ... and the DLQ is emptied: the earlier tests have checked their dead letters
    result = smoke(stack)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = step_lines(result.stdout)
    assert [(n, verdict) for n, verdict, _ in lines] == [(n, "ok") for n in range(1, STEPS + 1)], result.stdout
    assert [what for *_, what in lines] == [
        "find the stack",
        "signed test webhook",
        "customer API (SigV4)",
        "scheduled functions",
        "queues",
        "alarms",
    ]
    assert "device registered (GCM)" in result.stdout  # the local stack configures every platform
    assert "cleanup" not in result.stdout  # the steps themselves deleted the device and erased the customer
    assert SECRET not in result.stdout + result.stderr
    assert not smoke_endpoints(stack)


def test_a_dead_lettered_message_fails_the_queue_step_and_stops_the_check(stack):
    drain_dlq(stack)
    stack.aws("sqs").send_message(QueueUrl=dlq_url(stack), MessageBody='{"event_id": "smoke-test"}')
    try:
        result = smoke(stack)
    finally:
        drain_dlq(stack)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = step_lines(result.stdout)
    assert [(n, verdict) for n, verdict, _ in lines] == [(1, "ok"), (2, "ok"), (3, "ok"), (4, "ok"), (5, "FAIL")]
    fail = next(line for line in result.stdout.splitlines() if line.startswith("[5/6] FAIL"))
    assert "DLQ 1 waiting" in fail and "make redrive DRY_RUN=1" in fail, fail
    assert not smoke_endpoints(stack)
