"""Build, sign and POST one fresh Lean webhook: how to replay a Lean delivery by hand, against the local stack or
a deployed `WebhookUrl`.

    python -m local.harness.send_webhook TYPE [--url URL] [--secret SECRET] [--status STATUS]
        [--customer-id ID] [--payment-source-id ID] [--beneficiary-id ID] [--print]

TYPE: payment_source.created, payment_source.updated, payment_source.beneficiary.created,
payment_source.beneficiary.updated. Ids default to fresh UUIDs; the event id and timestamp are always fresh, and
the body is signed (`lean-signature`, HMAC-SHA512 of the exact bytes) with the secret, as Lean signs it.

Against a URL that is not this machine's, the types that change stored data (`payment_source.updated` and
`payment_source.beneficiary.*`) are refused unless `--confirm` (`make webhook CONFIRM=1`): the deployed stack asks
Lean for the made-up payment source, Lean answers 404, and after the 15-minute grace the stack records the payment
source as gone and publishes `Payment Source Deleted` on the fintech's bus. `payment_source.created` is answered 200
and ignored, so it is always allowed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from lean_webhooks.core.sync import NOT_FOUND_GRACE
from local.aws.resources import LOCAL_WEBHOOK_SECRET
from local.harness import samples

TYPES = (
    "payment_source.created",
    "payment_source.updated",
    "payment_source.beneficiary.created",
    "payment_source.beneficiary.updated",
)
LOCAL_URL = "http://127.0.0.1:3000/webhooks/lean"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
CHANGES_STORED_DATA = {t for t in TYPES if t != "payment_source.created"}


def refusal(kind: str, url: str) -> str | None:
    """Why sending `kind` to `url` needs `--confirm`, or None when it does not."""
    if kind not in CHANGES_STORED_DATA or urlsplit(url).hostname in LOCAL_HOSTS:
        return None
    minutes = NOT_FOUND_GRACE.seconds // 60
    return (
        f"refused: {kind} to {url} changes the deployed stack's data. Its ids are made up, so the stack asks Lean "
        f"for the payment source, Lean answers 404, and {minutes} minutes later the stack records the payment source "
        "as gone and publishes 'Payment Source Deleted' on your event bus. Send payment_source.created (answered 200, "
        "ignored) to check the wiring, or repeat with --confirm (make webhook ... CONFIRM=1) if that is what you want."
    )


def build(kind: str, flow: dict[str, str], status: str) -> dict[str, Any]:
    """A fresh envelope of `kind` for the flow's ids."""
    if kind == "payment_source.created":
        return samples.payment_source_created_webhook(flow)
    if kind == "payment_source.updated":
        return samples.payment_source_updated_webhook(flow)
    return samples.beneficiary_webhook(flow, kind.rsplit(".", 1)[1], status)


def main(argv: list[str] | None = None, post: Callable[..., Any] = requests.post) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("type", choices=TYPES)
    parser.add_argument("--url", default=LOCAL_URL, help=f"the stack's WebhookUrl (default {LOCAL_URL})")
    parser.add_argument("--secret", default=LOCAL_WEBHOOK_SECRET, help="the webhook secret Lean signs with")
    parser.add_argument("--status", default=None, help="beneficiary status (created: AWAITING_..., updated: ACTIVE)")
    parser.add_argument("--customer-id")
    parser.add_argument("--payment-source-id")
    parser.add_argument("--beneficiary-id")
    parser.add_argument("--print", action="store_true", help="print the signed request instead of sending it")
    parser.add_argument("--confirm", action="store_true", help="send a data-changing type to a non-local URL")
    args = parser.parse_args(argv)
    flow = samples.ids()
    for name in ("customer_id", "payment_source_id", "beneficiary_id"):
        flow[name] = getattr(args, name) or flow[name]
    default_status = samples.ACTIVE if args.type.endswith("updated") else samples.AWAITING
    envelope = build(args.type, flow, args.status or default_status)
    body, headers = samples.signed(envelope, args.secret)
    if args.print:
        print(json.dumps({"url": args.url, "headers": headers, "body": envelope}, indent=2))
        return 0
    reason = refusal(args.type, args.url)
    if reason and not args.confirm:
        print(reason, file=sys.stderr)
        return 2
    response = post(args.url, data=body, headers=headers, timeout=30)
    print(f"{response.status_code} {response.text}")
    print(json.dumps({"event_id": envelope["event_id"], **{k: flow[k] for k in ("customer_id", "payment_source_id")}}))
    return 0 if response.ok else 1


if __name__ == "__main__":
    sys.exit(main())
