"""The check fails when a grant the recorded calls need is gone: the same recorded calls held to a copy of the
template with one grant removed, in memory. Each removal fails exactly the requests that needed it."""

from __future__ import annotations

from tests.support.iam_policy import EXAMPLE_KEY_ARN, check, local_parameters, remove_action, sam_template

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/lean-local-Table"
SYNC_QUEUE = "arn:aws:sqs:us-east-1:123456789012:lean-local-SyncQueue"


def denied(report) -> set[tuple[str, str, str]]:
    return {(function, call.action, call.resource) for function, found in report.denied.items() for call in found}


def test_without_the_cool_off_recoverys_get_item_its_recorded_reads_are_refused(calls):
    """A grant only a rare path needs: the recovery reads an item only when a recheck finds one overdue."""
    sam = remove_action(sam_template(), "RecoverCoolOffFunction", "dynamodb:GetItem")
    report = check(calls, sam=sam)
    assert not report.problems, report.text()
    assert denied(report) == {("RecoverCoolOffFunction", "dynamodb:GetItem", TABLE)}, report.text()


def test_without_the_webhooks_generate_data_key_its_sends_to_the_encrypted_queue_are_refused(calls):
    sam = remove_action(sam_template(), "WebhookFunction", "kms:GenerateDataKey")
    assert check(calls, sam=sam).ok  # without a customer managed key, the grant is not there at all
    report = check(calls, local_parameters(KmsKeyArn=EXAMPLE_KEY_ARN), sam=sam)
    assert not report.problems, report.text()
    assert denied(report) == {("WebhookFunction", "kms:GenerateDataKey", EXAMPLE_KEY_ARN)}, report.text()
    [context] = {call.context for call in report.denied["WebhookFunction"]}
    assert context == (("kms:ViaService", ("sqs.us-east-1.amazonaws.com",)),)


def test_without_the_endpoint_partitions_the_customer_apis_endpoint_owner_items_are_refused(calls):
    """The LeadingKeys condition is evaluated: only the calls on ENDPOINT# partitions lose their grant."""
    sam = sam_template()
    [statement] = [
        s
        for s in sam["Resources"]["CustomerApiFunction"]["Properties"]["Policies"][0]["Statement"]
        if isinstance(s, dict) and s.get("Sid") == "CustomersAndEndpointOwners"
    ]
    statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] = ["CUSTOMER#*"]
    report = check(calls, sam=sam)
    refused = report.denied["CustomerApiFunction"]
    assert refused and set(report.denied) == {"CustomerApiFunction"}, report.text()
    for call in refused:
        [(_, keys)] = call.context
        assert any(key.startswith("ENDPOINT#") for key in keys), call.describe()


def test_without_the_sync_queue_read_grant_its_event_source_mapping_is_refused(calls):
    sam = remove_action(sam_template(), "SyncPaymentSourceFunction", "sqs:ReceiveMessage", sid="ReadSyncQueue")
    report = check(calls, sam=sam)
    assert denied(report) == {("SyncPaymentSourceFunction", "sqs:ReceiveMessage", SYNC_QUEUE)}, report.text()
    [call] = report.denied["SyncPaymentSourceFunction"]
    assert call.source.startswith("event source mapping SyncQueueMapping")
