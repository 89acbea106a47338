"""Create the template's tables, queues and secrets (plus SNS platform applications, which CloudFormation
cannot create) on any AWS-compatible endpoint: moto in-process for unit tests, the local stack otherwise."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from lean_webhooks.models.domain_events import SOURCE
from local.aws import template as tpl

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Lean app ids are opaque strings (32 hex in Lean's own example), not UUIDs; OAuth's client_id is the app id.
DEFAULT_APP_ID = "4f1d2c9e8b7a40c3a5e6d7f8091a2b3c"
LOCAL_WEBHOOK_SECRET = "local-webhook-secret"  # noqa: S105 - the documented local default (LEAN_WEBHOOK_SECRET)
LOCAL_CLIENT_SECRET = "local-client-secret"  # noqa: S105 - the simulator's OAuth secret, not a real credential


@dataclass(frozen=True)
class LocalSettings:
    """Values the local stack gives to template parameters and secrets."""

    prefix: str = "lean-local"
    webhook_secret: str = LOCAL_WEBHOOK_SECRET
    lean_base_url: str = ""
    app_id: str = field(default_factory=lambda: local_app_id())
    # LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: the soak's kills would otherwise park a crashed batch for the
    # template's 18 minutes; any value above the sync function's timeout keeps the arithmetic's point.
    visibility_timeout_s: int | None = field(
        default_factory=lambda: (
            int(os.environ["LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS"])
            if os.environ.get("LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS")
            else None
        )
    )


def local_app_id() -> str:
    """The local stack's Lean app id: `LEAN_APP_ID` from the environment, else the opaque default."""
    return os.environ.get("LEAN_APP_ID", "").strip() or DEFAULT_APP_ID


def _table_kwargs(name: str, props: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return kwargs


def create_all(clients: dict[str, Any], settings: LocalSettings = LocalSettings()) -> dict[str, Any]:
    """Create every resource; returns the reference table (logical id / parameter -> local value)."""
    refs: dict[str, Any] = {
        **tpl.parameter_defaults(),
        "AWS::StackName": settings.prefix,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "LeanAppId": settings.app_id,
        "LeanApiBaseUrl": settings.lean_base_url,
        "LeanAuthBaseUrl": settings.lean_base_url,
    }
    ddb, sqs, secrets, sns = clients["dynamodb"], clients["sqs"], clients["secretsmanager"], clients["sns"]

    for logical_id, res in tpl.of_type("AWS::DynamoDB::Table").items():
        name = f"{settings.prefix}-{logical_id}"
        props = res["Properties"]
        description = ddb.create_table(**_table_kwargs(name, props))["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        refs[logical_id] = name
        refs[f"{logical_id}.Arn"] = description["TableArn"]
        refs[f"{logical_id}.StreamArn"] = description.get("LatestStreamArn", "")

    queues = tpl.of_type("AWS::SQS::Queue")
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q]["Properties"]):
        props = queues[logical_id]["Properties"]
        name = f"{settings.prefix}-{logical_id}"
        attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props}
        if settings.visibility_timeout_s and "VisibilityTimeout" in attributes:
            attributes["VisibilityTimeout"] = str(settings.visibility_timeout_s)
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(tpl.resolve(props["RedrivePolicy"], refs))
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        refs[logical_id] = url
        refs[f"{logical_id}.QueueName"] = name
        refs[f"{logical_id}.Arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    values = {
        "WebhookSecret": {"current": settings.webhook_secret, "previous": ""},
        "LeanCredentialsSecret": {"client_id": settings.app_id, "client_secret": LOCAL_CLIENT_SECRET, "app_token": ""},
    }
    for logical_id, res in tpl.of_type("AWS::SecretsManager::Secret").items():
        name = tpl.resolve(res["Properties"]["Name"], refs)
        refs[logical_id] = secrets.create_secret(Name=name, SecretString=json.dumps(values[logical_id]))["ARN"]

    if "events" in clients:
        refs.update(create_event_bus(clients, refs, settings))
    if "cloudwatch" in clients:
        refs.update(create_alarms(clients["cloudwatch"], refs, settings))

    for platform, parameter in (
        ("GCM", "GcmPlatformApplicationArn"),
        ("APNS", "ApnsPlatformApplicationArn"),
        ("APNS_SANDBOX", "ApnsSandboxPlatformApplicationArn"),
    ):
        refs[parameter] = sns.create_platform_application(
            Name=f"{settings.prefix}-{platform.lower()}",
            Platform=platform,
            Attributes={"PlatformCredential": "local", "PlatformPrincipal": "local"},
        )["PlatformApplicationArn"]
    return refs


TAP = "DomainEventsTap"  # a local-only queue that receives every domain event, as a rule's SQS target would


def create_event_bus(clients: dict[str, Any], refs: dict[str, Any], settings: LocalSettings) -> dict[str, Any]:
    """The domain events' bus as the template makes it (or names it), and a rule that copies every event put on it
    to a local queue (`/_local/domain-events` reads it)."""
    events, sqs = clients["events"], clients["sqs"]
    found: dict[str, Any] = {}
    if tpl.condition("CreatesEventBus", refs):
        name = tpl.resolve(tpl.resources()["EventBus"]["Properties"]["Name"], refs)
        found["EventBus"] = name
        found["EventBus.Arn"] = events.create_event_bus(Name=name)["EventBusArn"]
    else:
        name = refs["EventBusName"]
    queue_name = f"{settings.prefix}-{TAP}"
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"
    rule = f"{settings.prefix}-domain-events-tap"
    pattern = {"source": [SOURCE]}
    events.put_rule(Name=rule, EventBusName=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=rule, EventBusName=name, Targets=[{"Id": "tap", "Arn": arn}])
    found[TAP] = url
    return found


ALARM_PROPERTIES = (
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
)


def create_alarms(cloudwatch: Any, refs: dict[str, Any], settings: LocalSettings) -> dict[str, Any]:
    """The template's alarms (without actions), named `<prefix>-<logical id>`: the smoke check reads their state."""
    found = {}
    names = {**{name: name for name in tpl.functions()}, "HttpApi": "local", **refs}  # a function's name: its id
    for logical_id, res in tpl.of_type("AWS::CloudWatch::Alarm").items():
        props = tpl.resolve({k: v for k, v in res["Properties"].items() if k in ALARM_PROPERTIES}, names)
        name = f"{settings.prefix}-{logical_id}"
        cloudwatch.put_metric_alarm(AlarmName=name, **props)
        found[logical_id] = name
    return found


def function_environment(spec: tpl.FunctionSpec, refs: dict[str, Any]) -> dict[str, str]:
    """The function's environment variables with references resolved to local values."""
    return {k: str(tpl.resolve(v, refs)) for k, v in spec.environment.items()}
