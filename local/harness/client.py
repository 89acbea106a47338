"""HTTP client of the running local stack, used by the demo story, the integration tests and the soak."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from local.harness import samples
from local.harness.signing import SigV4


class StackClient:
    """Webhooks in, read API and pushes out, Lean simulator controls: all over HTTP. Calls to the customer API
    are SigV4-signed with the local credentials (`signer`), as the emulator requires on its IAM routes."""

    def __init__(
        self,
        api_url: str,
        moto_url: str,
        lean_url: str,
        webhook_secret: str,
        timeout_s: float = 15,
        signer: SigV4 | None = None,
    ):
        self.api_url, self.moto_url, self.lean_url = api_url, moto_url, lean_url
        self.webhook_secret = webhook_secret
        self.http = requests.Session()
        self.timeout_s = timeout_s
        self.signer = signer or SigV4()

    # ----- webhooks -----
    def post_webhook(self, envelope: dict[str, Any], secret: str | None = None) -> requests.Response:
        body, headers = samples.signed(envelope, secret or self.webhook_secret)
        return self.post_raw(body, headers)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.api_url}/webhooks/lean", data=body, headers=headers, timeout=self.timeout_s)

    # ----- customer API (SigV4-signed) -----
    def customer_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call to the customer API (`path` starts with `/customers/`), signed unless `auth` says otherwise
        (None: unsigned); `kwargs` go to requests."""
        kwargs.setdefault("auth", self.signer)
        return self.http.request(method, f"{self.api_url}{path}", timeout=self.timeout_s, **kwargs)

    def register_device(self, customer_id: str, device_id: str, platform: str, token: str) -> requests.Response:
        body = {"platform": platform, "token": token}
        return self.customer_api("PUT", f"/customers/{customer_id}/devices/{device_id}", json=body)

    def payment_sources(self, customer_id: str) -> dict[str, Any]:
        response = self.customer_api("GET", f"/customers/{customer_id}/payment-sources")
        response.raise_for_status()
        return response.json()

    def refresh(self, customer_id: str) -> requests.Response:
        """`POST /customers/{customer_id}/payment-sources/refresh`: what the app backend calls on the SDK's success."""
        return self.customer_api("POST", f"/customers/{customer_id}/payment-sources/refresh")

    def erase(self, customer_id: str) -> requests.Response:
        """`DELETE /customers/{customer_id}`: erase everything stored for the customer."""
        return self.customer_api("DELETE", f"/customers/{customer_id}")

    def domain_events(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Every domain event put on the bus so far, as EventBridge delivers it to a target, oldest first."""
        params = {"detail_type": detail_type} if detail_type else None
        response = self.http.get(f"{self.api_url}/_local/domain-events", params=params, timeout=self.timeout_s)
        response.raise_for_status()
        return response.json()

    def beneficiary(self, customer_id: str, beneficiary_id: str) -> dict[str, Any] | None:
        for source in self.payment_sources(customer_id)["payment_sources"]:
            for ben in source["beneficiaries"]:
                if ben["id"] == beneficiary_id.lower():
                    return ben
        return None

    # ----- Lean simulator -----
    def set_payment_source(self, customer_id: str, payment_source_id: str, source: dict[str, Any]) -> None:
        url = f"{self.lean_url}/_sim/customers/{customer_id}/payment-sources/{payment_source_id}"
        self.http.put(url, json=source, timeout=self.timeout_s).raise_for_status()

    def lean_webhook(self, envelope: dict[str, Any], lost: bool = False) -> dict[str, Any]:
        """Make Lean create an event of `envelope`'s type and payload, record it for `/events/v1`, and deliver
        it signed to the webhook URL unless `lost`; returns Lean's envelope and the delivery's status."""
        body = {"type": envelope["type"], "payload": envelope["payload"], "lost": lost}
        response = self.http.post(f"{self.lean_url}/_sim/webhooks", json=body, timeout=self.timeout_s)
        response.raise_for_status()
        return response.json()

    def delete_payment_source(self, customer_id: str, payment_source_id: str) -> requests.Response:
        return self.customer_api("DELETE", f"/customers/{customer_id}/payment-sources/{payment_source_id}")

    def run_schedule(self, logical_id: str) -> dict[str, Any]:
        """Run a scheduled function now (the local API emulator's `/_local/schedules/<id>`); returns its result."""
        response = self.http.post(f"{self.api_url}/_local/schedules/{logical_id}", timeout=120)
        response.raise_for_status()
        return response.json()["result"]

    def add_fault(self, **fault: Any) -> None:
        self.http.post(f"{self.lean_url}/_sim/faults", json=fault, timeout=self.timeout_s).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete(f"{self.lean_url}/_sim/faults", timeout=self.timeout_s).raise_for_status()

    def set_events_form(self, form: str) -> None:
        """How Lean's `/events/v1` serves its items: "bare" envelopes or "wrapped" as Lean's early samples."""
        url = f"{self.lean_url}/_sim/events-api"
        self.http.put(url, json={"form": form}, timeout=self.timeout_s).raise_for_status()

    def lean_stats(self) -> dict[str, int]:
        return self.http.get(f"{self.lean_url}/_sim/stats", timeout=self.timeout_s).json()

    # ----- pushes and queues (moto) -----
    def endpoints(self) -> list[dict[str, Any]]:
        data = self.http.get(f"{self.moto_url}/moto-api/data.json", timeout=self.timeout_s).json()
        return data.get("sns", {}).get("PlatformEndpoint", [])

    def pushes(self, customer_id: str, device_id: str | None = None) -> list[dict[str, Any]]:
        """Messages published to the customer's endpoints (SNS user data is `customer_id/device_id`)."""
        found = []
        for endpoint in self.endpoints():
            owner, _, device = _user_data(endpoint).partition("/")
            if owner == customer_id and (device_id is None or device == device_id):
                found += [json.loads(m) for m in endpoint.get("messages", {}).values()]
        return found

    def aws(self, service: str) -> Any:
        """A boto3 client of the stack's moto server."""
        import boto3

        return boto3.session.Session().client(
            service,
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts anything
        )

    def queue_depths(self, prefix: str = "lean-local") -> dict[str, int]:
        """Visible + in-flight messages of the sync queue, its DLQ and the two stream readers' failure queues."""
        sqs = self.aws("sqs")
        depths = {}
        for name in ("SyncQueue", "SyncDeadLetterQueue", "NotifyFailureQueue", "DomainEventsFailureQueue"):
            url = sqs.get_queue_url(QueueName=f"{prefix}-{name}")["QueueUrl"]
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            depths[name] = int(attrs["ApproximateNumberOfMessages"]) + int(
                attrs["ApproximateNumberOfMessagesNotVisible"]
            )
        return depths

    def set_endpoint_enabled(self, customer_id: str, device_id: str, enabled: bool) -> None:
        """Enable or disable the device's SNS endpoint, as the platform would; LookupError when the device holds
        no endpoint (a caller naming the wrong device must not silently disable nothing)."""
        sns = self.aws("sns")
        matching = [e for e in self.endpoints() if _user_data(e) == f"{customer_id}/{device_id}"]
        if not matching:
            raise LookupError(f"no SNS endpoint belongs to device {device_id!r} of customer {customer_id}")
        for endpoint in matching:
            sns.set_endpoint_attributes(EndpointArn=endpoint["arn"], Attributes={"Enabled": str(enabled).lower()})


def _user_data(endpoint: dict[str, Any]) -> str:
    """The endpoint's current `customer_id/device_id` (moto keeps updates in `attributes`)."""
    attributes = endpoint.get("attributes") or {}
    return str(attributes.get("CustomUserData") or endpoint.get("custom_user_data") or "")


def wait_for(condition: Callable[[], Any], timeout_s: float = 30, interval_s: float = 0.2, what: str = "") -> Any:
    """Poll `condition` until it returns something truthy; raise TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what or condition}")
        time.sleep(interval_s)
