"""How a fintech's app backend calls the customer API: every request signed with SigV4 (botocore's signer),
with the credentials of a role that has the stack's `CustomerApiInvokePolicyArn` policy attached.

    python examples/app_backend_client.py --api-url <ApiUrl output> --customer-id <Lean customer id> \\
        [--region <the stack's region>] [--device-id phone-1 --platform GCM --token <FCM token> --locale ar] \\
        [--refresh] [--erase]

It registers the device (if a token is given), refreshes the payment sources from Lean (`--refresh`: what to call
when the LinkSDK reports success), lists the customer's devices and reads the payment sources page by page,
printing what a backend would act on (chargeable beneficiaries); `--erase` then erases the customer.

The region is the stack's: `--region`, else AWS_REGION, else your AWS configuration's (AWS_DEFAULT_REGION, the
profile's `region`). With none, it stops rather than guess: a signature scoped to another region gets 403.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any
from urllib.parse import urlencode

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


class CustomerApi:
    """A SigV4-signing client for the customer API (service `execute-api`)."""

    def __init__(self, api_url: str, region: str, session: Any = None, timeout_s: float = 15):
        if not region:
            raise ValueError("no AWS region: the signature must be scoped to the stack's region")
        self.api_url, self.region, self.timeout_s = api_url.rstrip("/"), region, timeout_s
        self.credentials = (session or boto3.session.Session()).get_credentials()
        if self.credentials is None:
            raise SystemExit("no AWS credentials: the customer API only answers SigV4-signed requests")
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> tuple[int, Any]:
        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"} if data is not None else {}
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        response = self.http.request(
            method, url, data=data, headers=dict(request.headers.items()), timeout=self.timeout_s
        )
        return response.status_code, response.json() if response.content else None

    def register_device(self, customer_id: str, device_id: str, platform: str, token: str, locale: str = "en"):
        body = {"platform": platform, "token": token, "locale": locale}
        return self.call("PUT", f"/customers/{customer_id}/devices/{device_id}", body)

    def devices(self, customer_id: str):
        return self.call("GET", f"/customers/{customer_id}/devices")

    def refresh(self, customer_id: str, limit: int = 50) -> tuple[int, Any]:
        """Lean's payment sources of the customer, stored and answered (the first page); 503: retry after the
        answer's Retry-After seconds."""
        return self.call("POST", f"/customers/{customer_id}/payment-sources/refresh", query={"limit": limit})

    def erase(self, customer_id: str) -> tuple[int, Any]:
        """Everything stored for the customer deleted (and at Lean, what is still active there)."""
        return self.call("DELETE", f"/customers/{customer_id}")

    def payment_sources(self, customer_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Every stored payment source, following `next_token` page by page."""
        found, token = [], None
        while True:
            query = {"limit": limit, **({"next_token": token} if token else {})}
            status, page = self.call("GET", f"/customers/{customer_id}/payment-sources", query=query)
            if status != 200:
                raise RuntimeError(f"payment sources answered {status}: {page}")
            found += page["payment_sources"]
            token = page.get("next_token")
            if not token:
                return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-url", required=True, help="the stack's ApiUrl output")
    parser.add_argument("--customer-id", required=True)
    parser.add_argument("--region", default=None, help="the stack's region (else your AWS configuration's)")
    parser.add_argument("--device-id")
    parser.add_argument("--platform", choices=("GCM", "APNS", "APNS_SANDBOX"), default="GCM")
    parser.add_argument("--token", help="the device's push token (registers the device when given)")
    parser.add_argument("--locale", choices=("en", "ar"), default="en")
    parser.add_argument("--refresh", action="store_true", help="refresh from Lean first (after the SDK's success)")
    parser.add_argument("--erase", action="store_true", help="erase the customer at the end")
    args = parser.parse_args(argv)
    session = boto3.session.Session()
    region = args.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        parser.error("no AWS region: pass --region or configure one (AWS_REGION, AWS_DEFAULT_REGION, a profile)")
    api = CustomerApi(args.api_url, region, session)
    if args.token:
        status, device = api.register_device(
            args.customer_id, args.device_id or "device-1", args.platform, args.token, args.locale
        )
        print(f"register device: {status} {json.dumps(device)}")
    if args.refresh:
        status, page = api.refresh(args.customer_id)
        print(f"refresh: {status} {len((page or {}).get('payment_sources', []))} payment source(s)")
    status, devices = api.devices(args.customer_id)
    print(f"devices: {status} {json.dumps(devices)}")
    for source in api.payment_sources(args.customer_id):
        chargeable = [b["id"] for b in source["beneficiaries"] if b["chargeable"]]
        print(f"payment source {source['id']} ({source['bank_identifier']}): chargeable beneficiaries {chargeable}")
    if args.erase:
        status, erased = api.erase(args.customer_id)
        print(f"erase: {status} {json.dumps(erased)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
