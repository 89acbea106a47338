"""Hold the AWS calls the functions made in the tests (recorded by `local.aws.aws_calls` under IAM_CALLS) to each
function's role as CloudFormation gets it: template.yaml through the SAM transform (samtranslator), its intrinsic
functions resolved for given parameter values with the local stack's names and ARNs.

A call is allowed when an Allow statement of the function's role matches its action (IAM wildcards, any case), its
resource (ARN wildcards; `*`) and every condition the statement sets (`dynamodb:LeadingKeys` against the partition
keys the call touched; `kms:ViaService` for the key uses derived from a call), and no Deny statement matches.
Besides the recorded calls, each event source mapping's function role must hold what AWS documents for its source
(the local pollers make those calls, not the functions), and, with `KmsKeyArn` set, every call on a resource
encrypted with the key brings the key uses of `CUSTOMER_MANAGED_KEY_USES`.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from local.aws import aws_calls
from local.aws import template as tpl
from local.aws.resources import ACCOUNT_ID, REGION, LocalSettings, local_app_id

EXAMPLE_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
STREAM_LABEL = "2026-01-01T00:00:00.000"  # any stream of the table: policies name `<table arn>/stream/*`
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# The one managed policy a function role may have, with its document (AWS managed policy reference).
MANAGED_POLICIES = {
    BASIC_EXECUTION: [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ]
}

SQS_KEYS = (
    "SQS developer guide, Key management "
    "(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html)"
)
SECRETS_KEYS = (
    "Secrets Manager user guide, Secret encryption and decryption "
    "(https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html)"
)
DYNAMODB_KEYS = (
    "DynamoDB developer guide, Encryption at rest usage notes "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html)"
)
EVENTBRIDGE_KEYS = (
    "EventBridge user guide, Authorizing EventBridge to use a customer managed key "
    "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html)"
)
LAMBDA_SQS = (
    "Lambda developer guide, Using Lambda with Amazon SQS: execution role permissions "
    "(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)"
)
LAMBDA_DYNAMODB = (
    "Lambda developer guide, Using Lambda with DynamoDB: execution role permissions; DynamoDB developer guide, "
    "IAM policy to allow a Lambda function to access DynamoDB stream records "
    "(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)"
)
LAMBDA_ON_FAILURE = (
    "Lambda developer guide, on-failure destinations of stream event source mappings: sent with the function's "
    "execution role (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)"
)


@dataclass(frozen=True)
class KeyUse:
    """What the caller of `actions` (a service's IAM actions) on a resource encrypted with a customer managed key
    must be allowed on that key, through `service` (kms:ViaService), per `source`."""

    service: str
    actions: frozenset[str]
    kms_actions: tuple[str, ...]
    source: str


# The one place that says which key uses a call on a key-encrypted resource brings. A call on such a resource whose
# action is in no row fails the check (add its row, with the page that says so).
DYNAMODB_DATA = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query", "Scan"}
CUSTOMER_MANAGED_KEY_USES = (
    # Producers (SendMessage, also a mapping's on-failure destination): GenerateDataKey and Decrypt.
    KeyUse("sqs", frozenset({"SendMessage"}), ("kms:GenerateDataKey", "kms:Decrypt"), SQS_KEYS),
    # Consumers (ReceiveMessage, by the SQS event source mapping): Decrypt.
    KeyUse("sqs", frozenset({"ReceiveMessage"}), ("kms:Decrypt",), SQS_KEYS),
    # No message body is read or written: the page names only producers' and consumers' key permissions.
    KeyUse("sqs", frozenset({"DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes"}), (), SQS_KEYS),
    KeyUse("secretsmanager", frozenset({"GetSecretValue"}), ("kms:Decrypt",), SECRETS_KEYS),
    # Items and stream records: DynamoDB calls kms:Decrypt as the principal that accesses the table.
    KeyUse(
        "dynamodb",
        frozenset(DYNAMODB_DATA | {"BatchGetItem", "BatchWriteItem", "GetRecords"}),
        ("kms:Decrypt",),
        DYNAMODB_KEYS,
    ),
    KeyUse(
        "dynamodb", frozenset({"DescribeStream", "GetShardIterator", "ListStreams", "DescribeTable"}), (), DYNAMODB_KEYS
    ),
    # EventBridge encrypts with the key under the key policy; the caller of PutEvents needs no right on it.
    KeyUse("events", frozenset({"PutEvents"}), (), EVENTBRIDGE_KEYS),
)

# CloudWatch Logs uses a log group's key under the key policy (the logs service principal), not the writer's role.
KEY_USED_BY_THEIR_SERVICE = {"AWS::Logs::LogGroup"}

UNKNOWN = object()  # a condition key the call cannot tell (a Scan's partition keys): no condition on it holds


@dataclass(frozen=True)
class Call:
    """One IAM request of a function: recorded, or required by its event source mapping or by a key."""

    function: str
    action: str
    resource: str
    context: tuple[tuple[str, tuple[str, ...] | None], ...] = ()  # condition keys and their values (None: unknown)
    source: str = field(default="recorded", compare=False)
    test: str | None = field(default=None, compare=False)

    def condition_keys(self) -> dict[str, Any]:
        return {key.lower(): UNKNOWN if values is None else list(values) for key, values in self.context}

    def describe(self) -> str:
        extra = "".join(f" {key}={list(values) if values is not None else '?'}" for key, values in self.context)
        where = self.test or self.source
        return f"{self.action} on {self.resource}{extra} ({where})"


# ---------- recorded calls ----------


def calls_directory() -> Path:
    """IAM_CALLS, or the Makefile's default (.iam-calls)."""
    return aws_calls.directory() or tpl.ROOT / ".iam-calls"


def load_calls(directory: Path) -> list[Call]:
    """Every call recorded under `directory`: one Call per distinct request, with the first test that made it (for a
    worker process's call, the test that ran then, from tests-*.jsonl)."""
    calls: dict[Call, Call] = {}
    for path in sorted(directory.glob("calls-*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number} is not a JSON line: {exc}") from None
            context = ()
            if "leading_keys" in record:
                keys = record["leading_keys"]
                context = (("dynamodb:LeadingKeys", None if keys is None else tuple(keys)),)
            test = record.get("test") or _test_running_at(directory, record["at"])
            call = Call(record["function"], record["action"], record["resource"], context, test=test)
            calls.setdefault(call, call)
    return list(calls.values())


def _test_running_at(directory: Path, at: float) -> str | None:
    during = [run["test"] for run in _test_runs(directory) if run["start"] <= at <= run["end"]]
    return f"{during[-1]} (then running)" if during else None


@cache
def _test_runs(directory: Path) -> list[dict[str, Any]]:
    """Each test's start and end (tests-*.jsonl, written by tests/unit/conftest_iam.py under IAM_CALLS)."""
    runs = []
    for path in directory.glob("tests-*.jsonl"):
        runs += [json.loads(line) for line in path.read_text().splitlines()]
    return runs


# ---------- the template as CloudFormation gets it, resolved locally ----------


@cache
def _sam_template_text() -> str:
    return tpl.TEMPLATE.read_text()


def sam_template() -> dict[str, Any]:
    """template.yaml as samtranslator reads it (a fresh copy: callers may change it)."""
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(_sam_template_text())


@contextmanager
def _region(name: str) -> Iterator[None]:
    before = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = name  # samtranslator's partition comes from the session's region
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = before


def transform(sam: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation template of the SAM template `sam` (code locations replaced, as `sam package` would)."""
    from samtranslator.translator.transform import transform as sam_transform

    sam = copy.deepcopy(sam)
    for logical_id, resource in sam["Resources"].items():
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(
            resource["Type"]
        )
        if key:
            resource["Properties"][key] = f"s3://placeholder/{logical_id}.zip"
    with _region(REGION):
        return sam_transform(sam, dict(parameters), None)


def local_parameters(**overrides: str) -> dict[str, str]:
    """Parameter values as the local stack runs the template: its app id and its SNS platform applications."""
    prefix = LocalSettings().prefix
    platform_app = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:app/{{}}/{prefix}-{{}}"
    return {
        "LeanAppId": local_app_id(),
        "GcmPlatformApplicationArn": platform_app.format("GCM", "gcm"),
        "ApnsPlatformApplicationArn": platform_app.format("APNS", "apns"),
        "ApnsSandboxPlatformApplicationArn": platform_app.format("APNS_SANDBOX", "apns_sandbox"),
        **overrides,
    }


def local_values(cfn: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """Ref / GetAtt values of the transformed template's resources, named as the local stack and the unit tests' moto
    name them (`<prefix>-<logical id>`, local.aws.resources), in this stack's region and account."""
    prefix = LocalSettings().prefix
    values: dict[str, Any] = {
        **{name: str(p.get("Default", "")) for name, p in cfn.get("Parameters", {}).items()},
        **parameters,
        "AWS::StackName": prefix,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    for logical_id, resource in cfn["Resources"].items():
        if not _exists(resource, values, cfn):
            continue
        kind, props, name = resource["Type"], resource.get("Properties", {}), f"{prefix}-{logical_id}"
        arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT_ID}:{{}}"
        if kind == "AWS::DynamoDB::Table":
            values[logical_id] = name
            values[f"{logical_id}.Arn"] = arn.format("dynamodb", f"table/{name}")
            values[f"{logical_id}.StreamArn"] = f"{values[f'{logical_id}.Arn']}/stream/{STREAM_LABEL}"
        elif kind == "AWS::SQS::Queue":
            values[logical_id] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            values[f"{logical_id}.QueueName"] = name
            values[f"{logical_id}.Arn"] = arn.format("sqs", name)
        elif kind == "AWS::SecretsManager::Secret":
            # AWS (and moto) add "-" and 6 random characters to the name: one `?` each
            secret_name = tpl.resolve(props["Name"], values, cfn) if "Name" in props else name
            values[logical_id] = arn.format("secretsmanager", f"secret:{secret_name}-??????")
        elif kind == "AWS::Events::EventBus":
            values[logical_id] = tpl.resolve(props["Name"], values, cfn)
            values[f"{logical_id}.Arn"] = arn.format("events", f"event-bus/{values[logical_id]}")
        elif kind == "AWS::Lambda::Function":
            values[logical_id] = logical_id  # the local functions' names are their logical ids
            values[f"{logical_id}.Arn"] = arn.format("lambda", f"function:{logical_id}")
        elif kind == "AWS::IAM::Role":
            values[logical_id] = name
            values[f"{logical_id}.Arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        else:
            values[logical_id] = name
    return values


def resolve(value: Any, values: dict[str, Any], cfn: dict[str, Any]) -> Any:
    """Ref, Fn::GetAtt, Fn::Sub, Fn::If (with Conditions), Fn::Select, Fn::Split resolved (local.aws.template)."""
    return tpl.resolve(value, values, cfn)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class Roles:
    """Each function's statements (inline policies, attached policies, allowed managed policies) and what is wrong
    with its role itself (a managed policy other than AWSLambdaBasicExecutionRole)."""

    statements: dict[str, list[dict[str, Any]]]
    problems: list[str]


def function_roles(cfn: dict[str, Any], values: dict[str, Any]) -> Roles:
    resources = cfn["Resources"]
    statements: dict[str, list[dict[str, Any]]] = {}
    problems: list[str] = []
    for function, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
            problems.append(f"{function}: its role is not a role of the template ({role_ref})")
            continue
        role_id = role_ref["Fn::GetAtt"][0]
        role = resources[role_id]["Properties"]
        found = []
        for policy in resolve(role.get("Policies", []), values, cfn):
            found += _as_list(policy["PolicyDocument"].get("Statement", []))
        for arn in resolve(role.get("ManagedPolicyArns", []), values, cfn):
            if arn in MANAGED_POLICIES:
                found += MANAGED_POLICIES[arn]
            else:
                problems.append(f"{function}: managed policy {arn} (only AWSLambdaBasicExecutionRole is allowed)")
        for other in resources.values():  # policies attached to the role from outside it
            if other["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and {"Ref": role_id} in other.get(
                "Properties", {}
            ).get("Roles", []):
                found += _as_list(resolve(other["Properties"]["PolicyDocument"], values, cfn).get("Statement", []))
        statements[function] = found
    return Roles(statements, problems)


# ---------- IAM evaluation ----------


def _glob(pattern: str, text: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM's ARN matching: each of the first five segments on its own, the resource part (which may hold `:` and
    `/`) as a whole; `*` alone matches anything. A call whose resource could not be derived ("*") matches only "*"."""
    if pattern == "*":
        return True
    if resource == "*":
        return False
    wanted, given = pattern.split(":", 5), resource.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return _glob(pattern, resource)
    return all(_glob(w, g) for w, g in zip(wanted, given, strict=True))


def _string_like(value: str, expected: str) -> bool:
    return _glob(expected, value)


_OPERATORS = {
    "StringEquals": (lambda v, e: v == e, False),
    "StringNotEquals": (lambda v, e: v == e, True),
    "StringEqualsIgnoreCase": (lambda v, e: v.lower() == e.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, e: v.lower() == e.lower(), True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (lambda v, e: v == e, False),
    "ArnNotEquals": (lambda v, e: v == e, True),
    "ArnLike": (lambda v, e: resource_matches(e, v), False),
    "ArnNotLike": (lambda v, e: resource_matches(e, v), True),
    "Bool": (lambda v, e: str(v).lower() == str(e).lower(), False),
}


def conditions_hold(block: dict[str, Any], context: dict[str, Any]) -> bool:
    """Every condition of a statement holds for a request with `context` (condition key, lower case -> values).
    IAM's rules: ForAllValues holds when the key is absent or every value matches; ForAnyValue needs a matching value;
    a plain operator needs the key (unless ...IfExists). An operator this evaluator does not know raises."""
    for operator, keys in block.items():
        qualifier, _, base = operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        if base not in _OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise ValueError(f"condition operator {operator} is not evaluated here: add it to tests/support/iam_policy")
        test, negated = _OPERATORS[base]
        for key, expected in keys.items():
            expected = [str(e) for e in _as_list(expected)]
            present = key.lower() in context
            values = context.get(key.lower())
            if values is UNKNOWN:
                return False

            matched = [any(test(str(v), e) for e in expected) != negated for v in values or []]
            if qualifier == "ForAllValues":
                holds = not present or all(matched)
            elif qualifier == "ForAnyValue":
                holds = present and any(matched)
            else:
                holds = if_exists if not present else bool(matched) and all(matched)
            if not holds:
                return False
    return True


def statement_applies(statement: dict[str, Any], call: Call) -> bool:
    if "Action" in statement:
        if not any(action_matches(a, call.action) for a in _as_list(statement["Action"])):
            return False
    elif any(action_matches(a, call.action) for a in _as_list(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(resource_matches(r, call.resource) for r in _as_list(statement["Resource"])):
            return False
    elif any(resource_matches(r, call.resource) for r in _as_list(statement.get("NotResource", []))):
        return False
    return conditions_hold(statement.get("Condition", {}), call.condition_keys())


def allowed(statements: list[dict[str, Any]], call: Call) -> bool:
    """An Allow statement applies to the call and no Deny statement does."""
    effects = {statement["Effect"] for statement in statements if statement_applies(statement, call)}
    return "Allow" in effects and "Deny" not in effects


# ---------- what the mappings and a customer managed key add ----------


def event_source_calls(cfn: dict[str, Any], values: dict[str, Any]) -> list[Call]:
    """The requests each event source mapping makes with its function's role (what AWS documents for its source)."""
    calls = []
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        props = resource["Properties"]
        function = _function_of(props["FunctionName"])
        source = str(resolve(props["EventSourceArn"], values, cfn))
        where = f"event source mapping {logical_id}"
        if source.startswith("arn:aws:sqs:"):
            actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
            calls += [Call(function, a, source, source=f"{where}, {LAMBDA_SQS}") for a in actions]
        elif source.startswith("arn:aws:dynamodb:") and "/stream/" in source:
            actions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
            calls += [Call(function, a, source, source=f"{where}, {LAMBDA_DYNAMODB}") for a in actions]
            calls.append(Call(function, "dynamodb:ListStreams", "*", source=f"{where}, {LAMBDA_DYNAMODB}"))
        else:
            raise ValueError(f"{logical_id}: event source {source} is not SQS or a DynamoDB stream: say what it needs")
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is not None:
            queue = str(resolve(destination, values, cfn))
            if not queue.startswith("arn:aws:sqs:"):
                raise ValueError(f"{logical_id}: on-failure destination {queue} is not a queue: say what it needs")
            calls.append(Call(function, "sqs:SendMessage", queue, source=f"{where} on-failure, {LAMBDA_ON_FAILURE}"))
    return calls


def _function_of(target: Any) -> str:
    if isinstance(target, dict) and "Ref" in target:
        return target["Ref"]
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        return target["Fn::GetAtt"][0]
    raise ValueError(f"event source mapping of {target}: not a function of the template")


def _exists(resource: dict[str, Any], values: dict[str, Any], cfn: dict[str, Any]) -> bool:
    return "Condition" not in resource or tpl.condition(resource["Condition"], values, cfn)


def _encrypts_with(value: Any, key_arn: str) -> bool:
    """A property named for a KMS key (KmsKeyId, KMSMasterKeyId, KmsKeyIdentifier, ...) holds `key_arn`."""
    if isinstance(value, dict):
        return any(
            ("kms" in name.lower() and item == key_arn) or _encrypts_with(item, key_arn) for name, item in value.items()
        )
    if isinstance(value, list):
        return any(_encrypts_with(item, key_arn) for item in value)
    return False


def key_encrypted_resources(cfn: dict[str, Any], values: dict[str, Any], key_arn: str) -> tuple[list[str], list[str]]:
    """ARN patterns of the resources the template encrypts with `key_arn` (a table with its indexes and streams), and
    the resources encrypted with it whose calls this check does not know how to name."""
    patterns, unknown = [], []
    for logical_id, resource in cfn["Resources"].items():
        kind = resource["Type"]
        if kind in KEY_USED_BY_THEIR_SERVICE or not _exists(resource, values, cfn):
            continue
        try:
            properties = resolve(resource.get("Properties", {}), values, cfn)
        except KeyError:  # refers to what the local values do not name (versions, stages): none of ours
            continue
        if not _encrypts_with(properties, key_arn):
            continue
        if kind == "AWS::DynamoDB::Table":
            patterns += [values[f"{logical_id}.Arn"], values[f"{logical_id}.Arn"] + "/*"]
        elif kind == "AWS::SecretsManager::Secret":
            patterns.append(values[logical_id])
        elif kind in ("AWS::SQS::Queue", "AWS::Events::EventBus"):
            patterns.append(values[f"{logical_id}.Arn"])
        else:
            unknown.append(f"{logical_id} ({kind}) is encrypted with the key: say which calls use it")
    return patterns, unknown


def key_uses(calls: Iterable[Call], encrypted: list[str], key_arn: str) -> tuple[list[Call], list[str]]:
    """The kms requests the calls on key-encrypted resources bring (CUSTOMER_MANAGED_KEY_USES), and the calls on such
    resources that no row covers."""
    uses, unknown = [], []
    for call in calls:
        if not any(resource_matches(pattern, call.resource) for pattern in encrypted):
            continue
        service, _, action = call.action.partition(":")
        rows = [row for row in CUSTOMER_MANAGED_KEY_USES if row.service == service and action in row.actions]
        if not rows:
            unknown.append(f"{call.function}: {call.describe()}: no row of CUSTOMER_MANAGED_KEY_USES says its key use")
        for row in rows:
            via = (("kms:ViaService", (f"{service}.{REGION}.amazonaws.com",)),)
            for kms_action in row.kms_actions:
                source = f"for {call.action} on {call.resource} ({call.test or call.source}); {row.source}"
                uses.append(Call(call.function, kms_action, key_arn, via, source=source))
    return list(dict.fromkeys(uses)), unknown


# ---------- the check ----------


@dataclass
class Report:
    """Every request not allowed, per function, and what else keeps the check from passing."""

    denied: dict[str, list[Call]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)
    checked: int = 0
    key_uses: list[Call] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.denied and not self.problems

    def text(self) -> str:
        lines = list(self.problems)
        for function in sorted(self.denied):
            lines.append(f"{function}: its role does not allow")
            lines += [f"  {call.describe()}" for call in sorted(self.denied[function], key=Call.describe)]
        return "\n".join(lines)


def check(
    calls: list[Call],
    parameters: dict[str, str] | None = None,
    sam: dict[str, Any] | None = None,
    require_every_function: bool = True,
) -> Report:
    """Hold `calls` (and the mappings' requests, and with `KmsKeyArn` set the key uses) to the roles of the SAM
    template `sam` (template.yaml by default) transformed for `parameters` (the local stack's by default)."""
    parameters = parameters if parameters is not None else local_parameters()
    cfn = transform(sam if sam is not None else sam_template(), parameters)
    values = local_values(cfn, parameters)
    roles = function_roles(cfn, values)
    report = Report(problems=list(roles.problems))
    functions = set(roles.statements)
    if not calls:
        report.problems.append("no call was recorded: run the unit and integration tests with IAM_CALLS set first")
    for function in sorted({c.function for c in calls} - functions):
        report.problems.append(f"calls recorded for {function}, which is not a function of the template")
    if require_every_function:
        for function in sorted(functions - {c.function for c in calls}):
            report.problems.append(f"{function} made no recorded call: no test ran it (the check would pass vacuously)")
    required = list(calls) + event_source_calls(cfn, values)
    key_arn = str(values.get("KmsKeyArn") or "")
    if key_arn:
        encrypted, unnamed = key_encrypted_resources(cfn, values, key_arn)
        derived, unknown = key_uses(required, encrypted, key_arn)
        required += derived
        report.key_uses = derived
        report.problems += unnamed + unknown
    for call in required:
        report.checked += 1
        if call.function not in roles.statements:
            report.problems.append(f"{call.function} has no role in the template, for {call.describe()}")
        elif not allowed(roles.statements[call.function], call):
            report.denied[call.function].append(call)
    return report


def remove_action(sam: dict[str, Any], function: str, action: str, sid: str | None = None) -> dict[str, Any]:
    """A copy of the SAM template without `action` in `function`'s statements (only statement `sid` when given; the
    statement goes when it had no other action). The statement may sit in an Fn::If."""
    sam = copy.deepcopy(sam)
    removed = 0
    for policy in sam["Resources"][function]["Properties"]["Policies"]:
        if not isinstance(policy, dict) or "Statement" not in policy:
            continue
        kept = []
        for statement in policy["Statement"]:
            inner = statement["Fn::If"][1] if isinstance(statement, dict) and "Fn::If" in statement else statement
            if isinstance(inner, dict) and "Action" in inner and (sid is None or inner.get("Sid") == sid):
                actions = _as_list(inner["Action"])
                if action in actions:
                    removed += 1
                    inner["Action"] = [a for a in actions if a != action]
                    if not inner["Action"]:
                        continue
            kept.append(statement)
        policy["Statement"] = kept
    if not removed:
        raise ValueError(f"{function} has no statement granting {action}")
    return sam
