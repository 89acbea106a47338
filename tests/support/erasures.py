"""A customer with something to erase, and what an auditor's scan finds of it afterwards: for the erasure's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lean_webhooks.adapters.dynamodb.push_markers import DynamoPushMarkers
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.models.beneficiary import BeneficiaryActivation, BeneficiaryIdentity
from lean_webhooks.models.push import Claim
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.customer_api import call
from tests.support.wired import activation_push, wired_as

TOKEN = "fcm-erase:" + "E" * 140
RECORD = {"pk", "sk", "entity", "customer_id", "erasure_id", "started_at", "completed_at", "expires_at"}


def items_of(aws: dict[str, Any], customer_id: str) -> list[dict]:
    """Every item that names the customer, whatever its key: a scan, as an auditor would look."""
    found = aws["clients"]["dynamodb"].scan(TableName=aws["refs"]["Table"])["Items"]
    return [i for i in found if customer_id in str(i)]


def erased(aws: dict[str, Any], customer_id: str) -> bool:
    """Nothing of the customer is left but the erasure's record, finished, with ids and times only."""
    left = items_of(aws, customer_id)
    return len(left) == 1 and left[0]["sk"]["S"] == "ERASURE" and set(left[0]) == RECORD


def endpoints_of(customer_id: str) -> list:
    """moto's SNS platform endpoints whose user data names the customer."""
    from moto.sns.models import sns_backends

    found = sns_backends["123456789012"]["us-east-1"].platform_endpoints.values()
    return [e for e in found if e.attributes.get("CustomUserData", e.custom_user_data).startswith(customer_id)]


def onboarded(aws: dict[str, Any], api: Any) -> dict:
    """A customer with two devices and a payment source (registered and refreshed through the customer API's
    handler `api`), an activation pushed to both devices by the notifier's use case as it is wired (its push
    markers), and a claim left in flight for another activation on one device."""
    flow = samples.ids()
    customer = flow["customer_id"]
    aws["sim"].state.payment_sources[(customer, flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.AWAITING
    )
    for device in ("phone", "tablet"):
        body = {"platform": "GCM", "token": f"{TOKEN}{device}{customer[:8]}"}
        assert call(api, "PUT", f"/customers/{customer}/devices/{device}", body)[0] == 200
    assert call(api, "POST", f"/customers/{customer}/payment-sources/refresh")[0] == 200
    activation = BeneficiaryActivation(BeneficiaryIdentity(customer, "p1", "b1"), "ENBD_UAE")
    outcome = wired_as("NotifyActiveFunction", aws, lambda: activation_push().push(activation))
    assert outcome.sent == 2
    markers = DynamoPushMarkers(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    held = markers.claim(customer, "b9", "tablet", datetime.now(UTC), timedelta(seconds=60))
    assert held.claim is Claim.CLAIMED
    return flow
