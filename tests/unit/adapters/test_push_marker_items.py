"""What a push marker item holds: readers (the reconciler, operators) and DynamoDB's TTL rely on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lean_webhooks.adapters.dynamodb.keys import customer_pk, push_sk
from lean_webhooks.adapters.dynamodb.push_markers import DynamoPushMarkers
from lean_webhooks.adapters.dynamodb.table import Table, from_item, key
from lean_webhooks.models.push import Claim
from lean_webhooks.models.timestamps import iso

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_a_claim_writes_a_marker_that_expires_after_thirty_days_with_a_fresh_claim_id(aws):
    markers = DynamoPushMarkers(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    first = markers.claim("c1", "b1", "phone", NOW, timedelta(seconds=35))
    item = from_item(
        aws["clients"]["dynamodb"].get_item(
            TableName=aws["refs"]["Table"], Key=key(customer_pk("c1"), push_sk("b1", "phone")), ConsistentRead=True
        )["Item"]
    )
    assert item["entity"] == "PUSH" and item["state"] == "CLAIMED" and item["claimed_at"] == iso(NOW)
    assert item["expires_at"] == int((NOW + timedelta(days=30)).timestamp())
    assert item["claim_id"] == first.claim_id and len(first.claim_id) == 36
    later = NOW + timedelta(seconds=36)  # the lease ran out: taken over with another claim id
    second = markers.claim("c1", "b1", "phone", later, timedelta(seconds=35))
    assert second.claim is Claim.RECLAIMED and second.claim_id not in (None, first.claim_id)


def test_a_marker_written_before_leases_reads_as_sent_and_is_never_taken_over(aws):
    """The first version's markers were CLAIMED with no lease once published (or maybe published)."""
    table = Table(aws["refs"]["Table"], aws["clients"]["dynamodb"])
    aws["clients"]["dynamodb"].put_item(
        TableName=table.name,
        Item={
            **key(customer_pk("c1"), push_sk("b1", "phone")),
            "entity": {"S": "PUSH"},
            "state": {"S": "CLAIMED"},
            "claimed_at": {"S": iso(NOW - timedelta(days=2))},
        },
    )
    result = DynamoPushMarkers(table).claim("c1", "b1", "phone", NOW, timedelta(seconds=35))
    assert result.claim is Claim.SENT and not result.held


def item_of(aws) -> dict:
    return from_item(
        aws["clients"]["dynamodb"].get_item(
            TableName=aws["refs"]["Table"], Key=key(customer_pk("c1"), push_sk("b1", "phone")), ConsistentRead=True
        )["Item"]
    )


def test_a_lost_answer_ends_the_lease_at_once_and_marks_the_claim(aws):
    markers = DynamoPushMarkers(Table(aws["refs"]["Table"], aws["clients"]["dynamodb"]))
    first = markers.claim("c1", "b1", "phone", NOW, timedelta(seconds=35))
    assert markers.outcome_unknown("c1", "b1", "phone", first.claim_id, NOW)
    assert item_of(aws)["outcome_unknown"] is True  # for whoever reads the marker: this publish may have landed
    # A delivery at that very instant takes the claim over: the lease ends before `now`, not at it.
    again = markers.claim("c1", "b1", "phone", NOW, timedelta(seconds=35))
    assert again.claim is Claim.RECLAIMED


def test_a_lost_claim_reads_the_winning_marker_with_a_strongly_consistent_read(aws):
    """An eventually consistent read could return the marker as it was before the winner's write."""
    dynamodb = aws["clients"]["dynamodb"]
    reads: list[dict] = []

    class Recording:
        def __getattr__(self, name):
            return getattr(dynamodb, name)

        def get_item(self, **kwargs):
            reads.append(kwargs)
            return dynamodb.get_item(**kwargs)

    markers = DynamoPushMarkers(Table(aws["refs"]["Table"], Recording()))
    markers.claim("c1", "b1", "phone", NOW, timedelta(seconds=35))
    assert markers.claim("c1", "b1", "phone", NOW, timedelta(seconds=35)).claim is Claim.IN_FLIGHT
    assert reads and all(read["ConsistentRead"] is True for read in reads)
