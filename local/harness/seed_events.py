"""Write `events/`: the seed's three webhooks as HTTP API v2 events, and `events/env.json` for
`sam local invoke --env-vars` (which needs Docker, and reads the webhook secret from your AWS account).

    python -m local.harness.seed_events                          # committed copies: local secret, fixed time
    python -m local.harness.seed_events --secret S --fresh       # make events: your secret, timestamps of now
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from local.aws.lambda_events import http_api_event
from local.aws.resources import LOCAL_WEBHOOK_SECRET
from local.aws.template import ROOT
from local.harness import samples

FLOW = samples.ids("events")
WHEN = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)  # events older than the replay window get 400
EVENT_IDS = (
    "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
    "3c4d5e6f-7081-4293-a4b5-c6d7e8f90a12",
    "4d5e6f70-8192-43a4-b5c6-d7e8f90a1b23",
)


# `sam local invoke WebhookFunction --env-vars events/env.json`: the values the template would give, to fill in.
ENV_VARS = {
    "WebhookFunction": {
        "WEBHOOK_SECRET_ID": "<stack>/lean-webhook-secret",
        "SYNC_QUEUE_URL": "<the stack's SyncQueueUrl output>",
        "REPLAY_WINDOW_SECONDS": "21600",
        "MAX_BODY_BYTES": "65536",
        "ALLOWED_SOURCE_CIDRS": "",
    }
}


def webhook_event(envelope: dict, secret: str = LOCAL_WEBHOOK_SECRET) -> dict:
    body, headers = samples.signed(envelope, secret)
    return http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", default=LOCAL_WEBHOOK_SECRET, help="sign with this webhook secret")
    parser.add_argument("--fresh", action="store_true", help="timestamps and event ids of now (else fixed ones)")
    args = parser.parse_args(argv)
    when = datetime.now(UTC) if args.fresh else WHEN
    ids = (None, None, None) if args.fresh else EVENT_IDS
    out = ROOT / "events"
    out.mkdir(exist_ok=True)
    created = samples.payment_source_created_webhook(FLOW, event_id=ids[0])
    created["timestamp"] = samples.lean_timestamp(when)
    ben_created = samples.beneficiary_webhook(FLOW, "created", samples.AWAITING, event_id=ids[1], when=when)
    ben_updated = samples.beneficiary_webhook(FLOW, "updated", samples.ACTIVE, event_id=ids[2], when=when)
    files = {
        "webhook_payment_source_created.json": webhook_event(created, args.secret),
        "webhook_beneficiary_created.json": webhook_event(ben_created, args.secret),
        "webhook_beneficiary_updated.json": webhook_event(ben_updated, args.secret),
    }
    for name, event in files.items():
        if not args.fresh:
            event["requestContext"]["time"], event["requestContext"]["timeEpoch"] = "15/Jan/2026:09:30:00 +0000", 0
        event["requestContext"]["requestId"] = "local-" + name.removesuffix(".json")
        (out / name).write_text(json.dumps(event, indent=2) + "\n")
    (out / "env.json").write_text(json.dumps(ENV_VARS, indent=2) + "\n")
    print(f"wrote {len(files)} events ({'fresh, ' if args.fresh else 'fixed time, '}signed) and env.json to {out}")


if __name__ == "__main__":
    main()
