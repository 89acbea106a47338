"""The evaluator itself, on requests written here (no recorded calls needed): IAM's wildcards, ARN matching and the
condition operators the template uses."""

from __future__ import annotations

import pytest

from local.aws import aws_calls
from tests.support.iam_policy import (
    Call,
    action_matches,
    allowed,
    check,
    conditions_hold,
    resource_matches,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/lean-local-Table"


def item_call(function: str, action: str, keys: tuple[str, ...] | None, resource: str = TABLE) -> Call:
    return Call(function, action, resource, (("dynamodb:LeadingKeys", keys),))


def test_actions_match_iam_wildcards_in_any_case():
    assert action_matches("sqs:SendMessage*", "sqs:SendMessage")
    assert action_matches("SQS:sendmessage", "sqs:SendMessage")
    assert not action_matches("sqs:SendMessage", "sqs:SendMessageBatch")
    assert action_matches("dynamodb:*Item", "dynamodb:GetItem") and not action_matches(
        "dynamodb:*Item", "dynamodb:Query"
    )


def test_resources_match_segment_by_segment():
    assert resource_matches("*", "anything")
    assert resource_matches(f"{TABLE}/stream/*", f"{TABLE}/stream/2026-01-01T00:00:00.000")
    assert not resource_matches(TABLE, f"{TABLE}/index/RecentActivations")
    assert not resource_matches(f"{TABLE}/index/AwaitingCoolOff", f"{TABLE}/index/RecentActivations")
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lean-local/lean-webhook-secret-??????"
    assert resource_matches(secret, secret.replace("??????", "AbCdEf"))
    assert not resource_matches(secret, secret.replace("??????", "AbCdE"))
    assert not resource_matches("arn:aws:sqs:*:123456789012:q", "arn:aws:sqs:us-east-1:999999999999:q")
    assert not resource_matches(TABLE, "*")  # a resource the recorder could not name needs a grant on "*"


def test_leading_keys_conditions_follow_iams_for_all_values_rules():
    condition = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CUSTOMER#*", "ENDPOINT#*"]}}
    assert conditions_hold(condition, {"dynamodb:leadingkeys": ["CUSTOMER#1", "ENDPOINT#arn:x"]})
    assert not conditions_hold(condition, {"dynamodb:leadingkeys": ["CUSTOMER#1", "EVENT#e1"]})
    assert conditions_hold(condition, {})  # absent key: ForAllValues holds (a DescribeTable has no partition keys)
    assert not conditions_hold({"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}, {})
    with pytest.raises(ValueError, match="NumericLessThan"):
        conditions_hold({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:multifactorauthage": ["1"]})


def test_a_call_is_allowed_only_by_a_matching_allow_and_never_against_a_deny():
    statements = [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": TABLE,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["CUSTOMER#*"]}},
        }
    ]
    assert allowed(statements, item_call("F", "dynamodb:GetItem", ("CUSTOMER#1",)))
    assert not allowed(statements, item_call("F", "dynamodb:GetItem", ("EVENT#1",)))
    assert not allowed(statements, item_call("F", "dynamodb:GetItem", None))  # a Scan's keys are unknown
    assert not allowed(statements, item_call("F", "dynamodb:PutItem", ("CUSTOMER#1",)))
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
    assert not allowed([*statements, deny], item_call("F", "dynamodb:GetItem", ("CUSTOMER#1",)))


def test_the_recorder_names_calls_as_the_template_names_their_resources():
    transact = aws_calls.describe(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"ConditionCheck": {"TableName": "lean-local-Table", "Key": {"pk": {"S": "ENDPOINT#e"}}}},
                {"Delete": {"TableName": "lean-local-Table", "Key": {"pk": {"S": "CUSTOMER#c"}, "sk": {"S": "D"}}}},
            ]
        },
    )
    assert [(action, resource, keys) for action, resource, keys in transact] == [
        ("dynamodb:ConditionCheckItem", TABLE, ["ENDPOINT#e"]),
        ("dynamodb:DeleteItem", TABLE, ["CUSTOMER#c"]),
    ]
    [(_, index, keys)] = aws_calls.describe(
        "dynamodb",
        "Query",
        {
            "TableName": "lean-local-Table",
            "IndexName": "RecentActivations",
            "KeyConditionExpression": "#p = :pk AND gsi2sk BETWEEN :a AND :b",
            "ExpressionAttributeNames": {"#p": "gsi2pk"},
            "ExpressionAttributeValues": {":pk": {"S": "ACTIVATED#2026-01-01"}, ":a": {"S": "a"}, ":b": {"S": "b"}},
        },
    )
    assert (index, keys) == (f"{TABLE}/index/RecentActivations", ["ACTIVATED#2026-01-01"])
    [(action, queue, _)] = aws_calls.describe(
        "sqs", "SendMessageBatch", {"QueueUrl": "http://127.0.0.1:5000/123456789012/lean-local-SyncQueue"}
    )
    assert (action, queue) == ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:lean-local-SyncQueue")
    [(_, bus, _)] = aws_calls.describe(
        "events", "PutEvents", {"Entries": [{"EventBusName": "lean-local-payment-sources"}]}
    )
    assert bus == "arn:aws:events:us-east-1:123456789012:event-bus/lean-local-payment-sources"


def test_no_recorded_call_or_a_silent_function_fails_the_check():
    assert "no call was recorded" in check([]).text()
    one = Call("WebhookFunction", "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:lean-local-SyncQueue")
    report = check([one])
    assert "NotifyActiveFunction made no recorded call" in report.text() and not report.denied


def test_the_evaluators_local_names_are_the_ones_the_local_stack_creates(monkeypatch):
    """local.aws.resources makes the unit tests' (moto) and the local stack's resources; the check names the template's
    resources the same way, and the recorder names a call's resource as the check does."""
    import boto3
    from moto import mock_aws

    from local.aws.resources import LocalSettings, create_all
    from tests.support.iam_policy import local_parameters, local_values, sam_template, transform

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    parameters = local_parameters()
    values = local_values(transform(sam_template(), parameters), parameters)
    with mock_aws():
        clients = {
            name: boto3.client(name, region_name="us-east-1")
            for name in ("dynamodb", "dynamodbstreams", "sqs", "secretsmanager", "sns", "events")
        }
        refs = create_all(clients, LocalSettings(lean_base_url="http://127.0.0.1:9"))
    assert values["Table.Arn"] == refs["Table.Arn"] == aws_calls.table_arn(refs["Table"])
    assert refs["Table.StreamArn"].startswith(values["Table.Arn"] + "/stream/")
    for queue in ("SyncQueue", "SyncDeadLetterQueue", "NotifyFailureQueue", "DomainEventsFailureQueue"):
        assert values[f"{queue}.Arn"] == refs[f"{queue}.Arn"] == aws_calls.queue_arn(refs[queue])
    for secret in ("WebhookSecret", "LeanCredentialsSecret"):
        assert resource_matches(values[secret], refs[secret])
    assert values["EventBus.Arn"] == refs["EventBus.Arn"] == aws_calls.event_bus_arn(refs["EventBus"])
    for parameter in ("GcmPlatformApplicationArn", "ApnsPlatformApplicationArn", "ApnsSandboxPlatformApplicationArn"):
        assert parameters[parameter] == refs[parameter]
