"""adapters/dynamodb/stream.py: a stream record, in Lambda's form and in the form the local stack's poller
delivers, becomes a `StoredChange` of typed values (facts such as `activated_at`, never an index key), with an
item identity equal for every change of one item."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from lean_webhooks.adapters.dynamodb.stream import change_of
from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.models.items import StoredBeneficiary, StoredErasure, StoredPaymentSource
from lean_webhooks.models.statuses import ACTIVE
from lean_webhooks.models.timestamps import iso
from local.aws.pollers import StreamPoller
from tests.support.streams import stored_beneficiary, stream_record

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BENEFICIARY = stored_beneficiary(
    status="ACTIVE",
    cool_off_seen=True,
    bank_identifier="ENBD_UAE",
    activated_at="2026-11-25T10:00:00.000000Z",
    gsi2pk="ACTIVATED#2026-11-25",
    gsi2sk="2026-11-25T09:00:00.000000Z",  # an index key: never read as the activation's time
    last_event_id="e1",
    recheck_failures=2,
)


def test_a_beneficiary_image_becomes_a_stored_beneficiary_with_its_facts():
    change = change_of(stream_record(None, to_item(BENEFICIARY)))
    assert change.kind == "INSERT" and change.old is None
    assert change.new == StoredBeneficiary(
        "c1",
        "p1",
        "b1",
        ACTIVE,
        cool_off_seen=True,
        bank_identifier="ENBD_UAE",
        activated_at="2026-11-25T10:00:00.000000Z",
        last_event_id="e1",
        recheck_failures=2,
    )


def test_a_payment_source_comes_without_its_accounts_and_an_erasure_marker_as_an_erasure_record():
    source = {"pk": "CUSTOMER#c1", "sk": "PAYMENT_SOURCE#p1", "entity": "PAYMENT_SOURCE", "customer_id": "c1"}
    source |= {"payment_source_id": "p1", "accounts": [{"iban": "AE340260001015528812001"}], "deleted_at": "t"}
    change = change_of(stream_record(to_item(source), to_item(source)))
    assert change.new == StoredPaymentSource("c1", "p1", deleted_at="t") and change.old == change.new
    marker = {"pk": "CUSTOMER#c1", "sk": "ERASURE", "entity": "ERASURE", "customer_id": "c1", "erasure_id": "x"}
    assert change_of(stream_record(None, to_item(marker))).new == StoredErasure("c1", "x")


def test_items_no_reader_reads_decode_to_nothing():
    for entity in ("DEVICE", "PUSH", "EVENT", "REFRESH", None):
        item = {"pk": "CUSTOMER#c1", "sk": f"{entity}#x", "entity": entity, "customer_id": "c1", "status": "ACTIVE"}
        assert change_of(stream_record(None, to_item(item))).new is None


def test_the_time_is_the_records_creation_time_or_the_clocks_when_it_has_none():
    record = stream_record(None, to_item(BENEFICIARY))
    assert change_of(record).approximate_at == "2026-01-01T00:00:00.000000Z"  # ApproximateCreationDateTime
    del record["dynamodb"]["ApproximateCreationDateTime"]
    assert change_of(record, clock=lambda: NOW).approximate_at == iso(NOW)


def test_every_change_of_one_item_has_one_identity_and_other_items_another():
    one = change_of(stream_record(None, to_item(BENEFICIARY))).item
    again = change_of(stream_record(to_item(BENEFICIARY), None)).item  # its removal: keys only in the old image
    other = change_of(stream_record(None, to_item({**BENEFICIARY, "sk": "PAYMENT_SOURCE#p1#BENEFICIARY#b2"}))).item
    same_sk_other_customer = change_of(stream_record(None, to_item({**BENEFICIARY, "pk": "CUSTOMER#c2"}))).item
    assert one == again and len({one, other, same_sk_other_customer}) == 3


class OneRecordStream:
    """GetRecords as boto3 answers it for DynamoDB Local: one record, its creation time a datetime."""

    def __init__(self, record: dict[str, Any]):
        self.records = [record]

    def describe_stream(self, StreamArn: str) -> dict:
        return {"StreamDescription": {"Shards": [{"ShardId": "s1"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, **kw: Any) -> dict:
        return {"ShardIterator": "it"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict:
        records, self.records = self.records, []
        return {"Records": records, "NextShardIterator": None}


class Recording:
    """A function as the local poller calls it: records each event."""

    name = "recording"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"batchItemFailures": []}


def test_a_record_as_the_local_poller_delivers_it_decodes_the_same():
    lambda_form = stream_record(None, to_item(BENEFICIARY))
    from_get_records = {**lambda_form, "dynamodb": {**lambda_form["dynamodb"], "ApproximateCreationDateTime": NOW}}
    function = Recording()
    StreamPoller(OneRecordStream(from_get_records), "arn:stream", function, {}, None, None).poll_once()
    (delivered,) = function.events[0]["Records"]
    assert change_of(delivered) == replace(change_of(lambda_form), approximate_at=iso(NOW))
