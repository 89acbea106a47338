"""Write `events/`: the seed's three webhooks as HTTP API v2 events signed with the local secret, usable with
`sam local invoke -e` (regenerate: python -m local.harness.seed_events)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from local.aws.lambda_events import http_api_event
from local.aws.resources import LOCAL_WEBHOOK_SECRET
from local.aws.template import ROOT
from local.harness import samples

FLOW = samples.ids("events")
WHEN = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)  # events older than the replay window get 400


def webhook_event(envelope: dict) -> dict:
    body, headers = samples.signed(envelope, LOCAL_WEBHOOK_SECRET)
    return http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")


def main() -> None:
    out = ROOT / "events"
    out.mkdir(exist_ok=True)
    created = samples.payment_source_created_webhook(FLOW, event_id="2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901")
    created["timestamp"] = samples.lean_timestamp(WHEN)
    ben_created = samples.beneficiary_webhook(
        FLOW, "created", samples.AWAITING, event_id="3c4d5e6f-7081-4293-a4b5-c6d7e8f90a12", when=WHEN
    )
    ben_updated = samples.beneficiary_webhook(
        FLOW, "updated", samples.ACTIVE, event_id="4d5e6f70-8192-43a4-b5c6-d7e8f90a1b23", when=WHEN
    )
    files = {
        "webhook_payment_source_created.json": webhook_event(created),
        "webhook_beneficiary_created.json": webhook_event(ben_created),
        "webhook_beneficiary_updated.json": webhook_event(ben_updated),
    }
    for name, event in files.items():
        event["requestContext"]["time"], event["requestContext"]["timeEpoch"] = "15/Jan/2026:09:30:00 +0000", 0
        event["requestContext"]["requestId"] = "local-" + name.removesuffix(".json")
        (out / name).write_text(json.dumps(event, indent=2) + "\n")
    (out / "README.md").write_text(
        "# Sample events\n\n"
        "HTTP API (payload 2.0) events of Lean's three Payment Source webhooks, signed with the local secret\n"
        f"`{LOCAL_WEBHOOK_SECRET}`. Their timestamp is fixed, so the webhook function answers them 400 `stale_event`\n"
        "unless `REPLAY_WINDOW_SECONDS` is raised: that is the replay protection working. Regenerate with\n"
        "`.venv/bin/python -m local.harness.seed_events`.\n"
    )


if __name__ == "__main__":
    main()
