"""Activations stored as the sync stores them, the index that holds the unsettled ones, and what moto's SNS was sent:
for the notifier's and the push reconciler's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
from lean_webhooks.adapters.dynamodb.table import Table
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite, StatusDecision
from tests.support.streams import stream_record
from tests.support.wired import ScriptedSns


def stored(aws: dict[str, Any], customer: str, beneficiary_id: str) -> dict:
    """The beneficiary's item (of payment source p1) as the table holds it."""
    return aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"],
        Key={"pk": {"S": f"CUSTOMER#{customer}"}, "sk": {"S": f"PAYMENT_SOURCE#p1#BENEFICIARY#{beneficiary_id}"}},
    )["Item"]


def activate(
    aws: dict[str, Any], customer: str, beneficiary_id: str, cool_off_seen: bool, at: datetime | None = None
) -> dict:
    """Store an activation as the sync would (at `at`, by default now), and return the stream record it makes."""
    store = DynamoPaymentSources(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    identity = BeneficiaryIdentity(customer, "p1", beneficiary_id)
    store.apply_beneficiary(
        BeneficiaryWrite(
            identity, StatusDecision("ACTIVE", cool_off_seen), "e1", "payment_source.beneficiary.updated", None
        ),
        at or datetime.now(UTC),
    )
    return stream_record(None, stored(aws, customer, beneficiary_id))


def index_key(aws: dict[str, Any], customer: str, beneficiary_id: str) -> str | None:
    """The activation's place in the index of unsettled activations (None once settled)."""
    return stored(aws, customer, beneficiary_id).get("gsi2sk", {}).get("S")


def pushes(aws: dict[str, Any]) -> int:
    """Every message moto's SNS holds, over every platform endpoint."""
    from moto.sns.models import sns_backends

    return sum(len(e.messages) for e in sns_backends["123456789012"]["us-east-1"].platform_endpoints.values())


def sns_down(aws: dict[str, Any]) -> ScriptedSns:
    """An SNS client whose every publish fails until its `publish_with` is reset."""
    from botocore.exceptions import ClientError

    def down(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "SNS is down"}}, "Publish")

    sns = ScriptedSns(aws["clients"]["sns"])
    sns.publish_with = down
    return sns
