"""template.yaml checked by AWS's own tools (sam validate --lint, cfn-lint, sam build, checkov) and by rules
of this service that the tools do not know."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from local.aws import template as tpl

ROOT = tpl.ROOT
SAM = os.environ.get("SAM") or shutil.which("sam") or str(ROOT / ".venv-sam" / "bin" / "sam")
CHECKOV = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")
ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0", "BC_SKIP_MAPPING": "TRUE"}


def run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def test_sam_validate_lint():
    run(SAM, "validate", "--lint", "--template-file", "template.yaml")


def test_cfn_lint():
    run(str(ROOT / ".venv" / "bin" / "cfn-lint"), "template.yaml")


def test_checkov_has_no_failed_checks_and_every_skip_is_justified():
    result = run(
        CHECKOV, "-f", "template.yaml", "--framework", "cloudformation", "--skip-download", "--compact", "-o", "json"
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["passed"] > 0
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 20, skipped["check_id"]


def test_sam_build(tmp_path):
    assert shutil.which("python3.13", path=ENV["PATH"]), "sam build needs python3.13 on PATH"
    run(SAM, "build", "--template-file", "template.yaml", "--build-dir", str(tmp_path / "build"), "--parallel")
    layer = tmp_path / "build" / "CommonLayer" / "python"
    assert (layer / "lean_webhooks" / "core" / "signature.py").exists()
    assert list(layer.glob("pydantic_core/*aarch64*.so")), "layer must hold arm64 binaries"
    for name in FUNCTIONS:
        assert (tmp_path / "build" / name / "app.py").exists()


# The one managed policy SAM may attach: log writing (its own log group's streams).
ALLOWED_MANAGED_POLICIES = {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
# Actions for which AWS's Service Authorization Reference lists no resource type a policy can name ("you must
# specify all resources ("*")"): the only actions granted on "*", each cited beside its grant in the template.
DOCUMENTED_WILDCARDS = {
    "sns:CreatePlatformEndpoint",
    "sns:GetEndpointAttributes",
    "sns:SetEndpointAttributes",
    "sns:DeleteEndpoint",
    "sns:Publish",  # to a platform endpoint: the reference lists only topics for it
    "dynamodb:ListStreams",
}


def wildcard_grants(statements: list[dict]) -> set[str]:
    """The actions granted on "*" by these statements."""
    found: set[str] = set()
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Resource"] == "*" or (isinstance(statement["Resource"], list) and "*" in statement["Resource"]):
            found |= set(actions)
    return found


@pytest.fixture(scope="module")
def transformed() -> dict:
    """The template after the SAM transform, as CloudFormation deploys it."""
    python = str(Path(SAM).parent / "python")
    result = run(python, str(Path(__file__).with_name("sam_transform.py")), "template.yaml")
    return json.loads(result.stdout)


def test_transformed_roles_attach_no_managed_policy_that_reaches_other_resources(transformed):
    roles = {k: v for k, v in transformed["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    roles.pop("AppBackendRole")  # the app backend's, not a function's (test_deploy_safety.py)
    assert len(roles) == len(FUNCTIONS)
    for name, role in roles.items():
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name
        for policy in role["Properties"].get("Policies", []):
            statements = [st.get("Fn::If", [None, st])[1] for st in policy["PolicyDocument"]["Statement"]]
            statements = [st for st in statements if isinstance(st, dict) and "Action" in st]
            assert wildcard_grants(statements) <= DOCUMENTED_WILDCARDS, (name, policy["PolicyName"])


def test_queues_and_streams_are_read_only_by_the_function_they_feed(transformed):
    readers: dict[str, set[str]] = {}
    for name, role in transformed["Resources"].items():
        if role["Type"] != "AWS::IAM::Role":
            continue
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                statement = statement.get("Fn::If", [None, statement])[1]
                actions = statement.get("Action", [])
                if {"sqs:ReceiveMessage", "sqs:DeleteMessage", "dynamodb:GetRecords"} & set(actions):
                    readers.setdefault(json.dumps(statement["Resource"]), set()).add(name)
    assert readers == {  # the stream has two readers, AWS's advice for a shard's most
        json.dumps({"Fn::GetAtt": ["SyncQueue", "Arn"]}): {"SyncPaymentSourceFunctionRole"},
        json.dumps({"Fn::Sub": "${Table.Arn}/stream/*"}): {
            "NotifyActiveFunctionRole",
            "PublishDomainEventsFunctionRole",
        },
    }
    mappings = {k: v["Properties"] for k, v in transformed["Resources"].items() if v["Type"].endswith("Mapping")}
    fed = {m["FunctionName"]["Ref"] for m in mappings.values()}
    assert fed == {"SyncPaymentSourceFunction", "NotifyActiveFunction", "PublishDomainEventsFunction"}


# ----- rules the tools do not know -----
RESOURCES = tpl.resources()
FUNCTIONS = tpl.of_type("AWS::Serverless::Function")


def test_functions_run_python313_on_arm64_without_paid_tracing():
    glob = tpl.load()["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13" and glob["Architectures"] == ["arm64"] and "Tracing" not in glob
    for name, res in FUNCTIONS.items():
        assert res["Properties"]["Handler"] == "app.lambda_handler", name
        log_group = res["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert RESOURCES[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_webhook_route_is_throttled_and_customer_routes_need_iam():
    api = RESOURCES["HttpApi"]["Properties"]
    assert "POST /webhooks/lean" in api["RouteSettings"] and api["DefaultRouteSettings"]["ThrottlingRateLimit"]
    routes = {(r.method, r.path): r.iam_auth for r in tpl.http_routes()}
    assert routes == {
        ("POST", "/webhooks/lean"): False,
        ("PUT", "/customers/{customer_id}/devices/{device_id}"): True,
        ("DELETE", "/customers/{customer_id}/devices/{device_id}"): True,
        ("GET", "/customers/{customer_id}/devices"): True,
        ("GET", "/customers/{customer_id}/payment-sources"): True,
        ("POST", "/customers/{customer_id}/payment-sources/refresh"): True,
        ("DELETE", "/customers/{customer_id}/payment-sources/{payment_source_id}"): True,
        ("DELETE", "/customers/{customer_id}"): True,
    }


def test_table_streams_both_images_with_pitr_and_encryption():
    props = RESOURCES["Table"]["Properties"]
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    condition, with_key, without_key = props["SSESpecification"]["Fn::If"]
    assert condition == "HasKmsKey" and with_key["SSEEnabled"] is True and without_key == {"SSEEnabled": True}


def test_sync_queue_has_dlq_encryption_and_a_visibility_timeout_of_six_function_timeouts():
    queue = RESOURCES["SyncQueue"]["Properties"]
    sync = FUNCTIONS["SyncPaymentSourceFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * sync["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]}
    for name in tpl.of_type("AWS::SQS::Queue"):  # SQS-managed encryption, or the customer managed key
        props = RESOURCES[name]["Properties"]
        assert props["SqsManagedSseEnabled"] == {"Fn::If": ["UsesAwsManagedKeys", True, False]}, name
        assert props["KmsMasterKeyId"] == {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "AWS::NoValue"}]}
    assert tpl.event_source("SyncPaymentSourceFunction", "SQS")["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_replay_window_outlasts_lean_retries_and_dedupe_outlasts_the_window():
    params = tpl.load()["Parameters"]
    lean_retry_span_s = (1 + 2 + 5 + 10 + 60 + 180) * 60
    assert params["ReplayWindowSeconds"]["Default"] > lean_retry_span_s
    assert params["ReplayWindowSeconds"]["MinValue"] > lean_retry_span_s
    from lean_webhooks.adapters.dynamodb.keys import LEDGER_TTL  # the dedupe: the event ledger

    assert LEDGER_TTL.total_seconds() > params["ReplayWindowSeconds"]["MaxValue"]


def test_stream_mapping_filters_bisects_and_has_an_on_failure_destination():
    props = tpl.event_source("NotifyActiveFunction", "DynamoDB")
    assert props["BisectBatchOnFunctionError"] is True and 0 < props["MaximumRetryAttempts"] <= 10
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["NotifyFailureQueue", "Arn"]}
    assert len(tpl.filter_patterns("NotifyActiveFunction")) == 3


def _statements(function: str) -> list[dict]:
    """The function's own policy statements; a conditional one (`Fn::If`) counts as its true branch."""
    found = []
    for policy in FUNCTIONS[function]["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found += [st["Fn::If"][1] if "Fn::If" in st else st for st in policy["Statement"]]
    return found


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_least_privilege_no_wildcard_actions_or_resources(function):
    for statement in _statements(function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), (function, actions)
    assert wildcard_grants(_statements(function)) <= DOCUMENTED_WILDCARDS, function


def test_secrets_are_not_in_environment_variables():
    for name, res in FUNCTIONS.items():
        env = res["Properties"].get("Environment", {}).get("Variables", {})
        for key in env:
            assert not any(word in key for word in ("SECRET_VALUE", "PASSWORD", "TOKEN", "CLIENT_SECRET")), (name, key)
    assert "WEBHOOK_SECRET_ID" in FUNCTIONS["WebhookFunction"]["Properties"]["Environment"]["Variables"]


def test_recovery_runs_on_a_schedule_and_finds_work_through_the_index_not_a_scan():
    props = FUNCTIONS["RecoverCoolOffFunction"]["Properties"]
    assert props["Events"]["Every15Minutes"]["Type"] == "Schedule"
    queries = [s["Resource"] for s in _statements("RecoverCoolOffFunction") if "dynamodb:Query" in s["Action"]]
    assert {"Fn::Sub": "${Table.Arn}/index/AwaitingCoolOff"} in queries
    assert not any("dynamodb:Scan" in s["Action"] for f in FUNCTIONS for s in _statements(f))


def test_the_sync_functions_time_arithmetic_holds_for_the_template():
    from lean_webhooks.runtime.sync_budget import SyncBudget

    props = FUNCTIONS["SyncPaymentSourceFunction"]["Properties"]
    env = tpl.functions()["SyncPaymentSourceFunction"].environment  # its own and the global variables
    event = tpl.event_source("SyncPaymentSourceFunction", "SQS")
    queue = RESOURCES["SyncQueue"]["Properties"]
    budget = SyncBudget(
        lean_call_deadline_s=float(env["LEAN_CALL_DEADLINE_SECONDS"]),
        function_timeout_s=props["Timeout"],
        batch_size=event["BatchSize"],
        visibility_timeout_s=queue["VisibilityTimeout"],
        max_receive_count=int(env["MAX_RECEIVE_COUNT"]),
        redrive_max_receive_count=queue["RedrivePolicy"]["maxReceiveCount"],
        retry_max_delay_s=int(env.get("RETRY_MAX_DELAY_SECONDS", 900)),
    )
    assert budget.problems() == []
    assert float(env["LEAN_READ_TIMEOUT_SECONDS"]) < budget.lean_call_deadline_s
    broken = SyncBudget(lean_call_deadline_s=100, function_timeout_s=180, visibility_timeout_s=900)
    assert len(broken.problems()) == 2  # the check itself can fail


def test_push_reconciliation_reads_the_sparse_activations_index_on_a_schedule():
    indexes = {i["IndexName"]: i for i in RESOURCES["Table"]["Properties"]["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in indexes["RecentActivations"]["KeySchema"]] == ["gsi2pk", "gsi2sk"]
    props = FUNCTIONS["ReconcilePushesFunction"]["Properties"]
    assert props["Events"]["Reconcile"]["Properties"]["Schedule"] == {"Ref": "PushReconcileSchedule"}
    queries = [s["Resource"] for s in _statements("ReconcilePushesFunction") if "dynamodb:Query" in s["Action"]]
    assert {"Fn::Sub": "${Table.Arn}/index/RecentActivations"} in queries
    lease = int(props["Environment"]["Variables"]["PUSH_LEASE_SECONDS"])
    assert lease > props["Timeout"]  # a claim outlives the function that made it
    notify = FUNCTIONS["NotifyActiveFunction"]["Properties"]
    assert int(notify["Environment"]["Variables"]["PUSH_LEASE_SECONDS"]) > notify["Timeout"]


def test_events_reconciliation_is_scheduled_by_a_parameter_and_scoped():
    props = FUNCTIONS["ReconcileEventsFunction"]["Properties"]
    schedule = props["Events"]["Reconcile"]
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"] == {"Ref": "EventsReconcileSchedule"}
    assert tpl.load()["Parameters"]["EventsReconcileSchedule"]["Default"] == "rate(1 hour)"
    assert props["Environment"]["Variables"]["SYNC_QUEUE_URL"] == {"Ref": "SyncQueue"}
    table_actions = {
        a
        for s in _statements("ReconcileEventsFunction")
        if s["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
        for a in s["Action"]
    }
    assert table_actions == {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem"}


def test_alarms_cover_dlqs_errors_throttles_and_iterator_age():
    alarms = tpl.of_type("AWS::CloudWatch::Alarm")
    metrics = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"]))
        for a in alarms.values()
        if "MetricName" in a["Properties"]  # metric-math alarms are checked on their own
    }
    names = {m for m, _ in metrics}
    assert {"ApproximateNumberOfMessagesVisible", "Errors", "Throttles", "IteratorAge"} <= names
    for function in FUNCTIONS:
        for metric in ("Errors", "Throttles"):
            assert any(m == metric and function in d for m, d in metrics), (function, metric)


def test_push_and_stream_grants_are_written_as_aws_documents_them():
    """The SNS endpoint and publish actions and dynamodb:ListStreams take no resource AWS evaluates: "*", only
    when a platform is configured, and each grant cites its page in the template."""
    text = (ROOT / "template.yaml").read_text()
    for function, actions in (
        ("NotifyActiveFunction", {"sns:Publish"}),
        ("ReconcilePushesFunction", {"sns:Publish"}),
        ("CustomerApiFunction", {"sns:CreatePlatformEndpoint", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"}),
    ):
        sns = [st for st in _statements(function) if any(a.startswith("sns:") for a in st["Action"])]
        assert actions <= {a for st in sns for a in st["Action"]} and all(st["Resource"] == "*" for st in sns)
        conditional = [
            st["Fn::If"][0]
            for policy in FUNCTIONS[function]["Properties"]["Policies"]
            for st in policy.get("Statement", [])
            if "Fn::If" in st and isinstance(st["Fn::If"][1], dict) and "sns:" in json.dumps(st["Fn::If"][1])
        ]
        assert conditional and set(conditional) == {"HasPushPlatform"}, function
    for function in ("NotifyActiveFunction", "PublishDomainEventsFunction"):
        stream = {
            a
            for st in _statements(function)
            if st["Resource"] == {"Fn::Sub": "${Table.Arn}/stream/*"}
            for a in st["Action"]
        }
        assert stream == {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}, function
        assert "dynamodb:ListStreams" in wildcard_grants(_statements(function)), function
    for citation in (
        "Service Authorization Reference",
        "Using identity-based policies with Amazon",
        "Using Lambda with",
    ):
        assert citation in text, citation


def test_the_customer_api_writes_only_customer_and_endpoint_partitions():
    [table] = [st for st in _statements("CustomerApiFunction") if st.get("Sid") == "CustomersAndEndpointOwners"]
    keys = table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert keys == ["CUSTOMER#*", "ENDPOINT#*"]


def test_reserved_concurrency_is_a_parameter_off_by_default():
    assert tpl.load()["Parameters"]["ReserveConcurrency"]["Default"] == "false"
    for name, res in FUNCTIONS.items():
        reserved = res["Properties"]["ReservedConcurrentExecutions"]
        assert reserved["Fn::If"][0] == "ReservesConcurrency" and reserved["Fn::If"][2] == {"Ref": "AWS::NoValue"}, name


def test_the_invoke_policy_grants_exactly_the_iam_routes():
    statement = RESOURCES["CustomerApiInvokePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [grant] = statement
    assert grant["Action"] == "execute-api:Invoke" and grant["Effect"] == "Allow"
    granted = {r["Fn::Sub"].split("${HttpApi}/*/", 1)[1] for r in grant["Resource"]}
    routes = {f"{r.method}{re.sub(r'{[^}]+}', '*', r.path)}" for r in tpl.http_routes() if r.iam_auth}
    assert granted == routes, (granted, routes)
    outputs = tpl.load()["Outputs"]
    assert outputs["CustomerApiInvokePolicyArn"]["Value"] == {"Ref": "CustomerApiInvokePolicy"}
    assert "${HttpApi}" in outputs["CustomerApiExecuteArn"]["Value"]["Fn::Sub"]


def test_alarms_on_what_loses_webhooks():
    alarms = tpl.of_type("AWS::CloudWatch::Alarm")
    failed = alarms["WebhooksFailedAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("LeanWebhooks", "WebhooksFailed")
    assert failed["Dimensions"] == [{"Name": "service", "Value": "webhook"}]
    api = alarms["HttpApi5xxAlarm"]["Properties"]
    assert (api["Namespace"], api["MetricName"], api["Dimensions"][0]["Name"]) == ("AWS/ApiGateway", "5xx", "ApiId")
    share = alarms["WebhooksRejectedShareAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in share["Metrics"] if "MetricStat" in m}
    assert stats == {"rejected": "WebhooksRejected", "accepted": "WebhooksQueued", "ignored": "WebhooksIgnored"}
    assert share["Threshold"] == 0.5 and share["ComparisonOperator"] == "GreaterThanThreshold"
    rule = tpl.load()["Rules"]["ProductionAlarmsReachSomeone"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "LeanEnvironment"}, "production"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}


def test_samconfig_has_sandbox_and_production_with_valid_parameters():
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    params = tpl.load()["Parameters"]
    for env, lean_env in (("sandbox", "sandbox"), ("production", "production")):
        deploy = config[env]["deploy"]["parameters"]
        overrides = dict(p.split("=", 1) for p in deploy["parameter_overrides"].split())
        assert overrides["LeanEnvironment"] == lean_env
        for name, value in overrides.items():
            assert name in params, name
            allowed = params[name].get("AllowedValues")
            assert allowed is None or value in [str(a) for a in allowed], (name, value)


def test_the_dlq_arn_is_an_output_for_sqs_own_redrive():
    outputs = tpl.load()["Outputs"]
    assert outputs["SyncDeadLetterQueueArn"]["Value"] == {"Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]}
    assert RESOURCES["SyncQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["SyncDeadLetterQueue", "Arn"]
    }  # StartMessageMoveTask needs the DLQ to be a source queue's dead-letter queue


# ----- the CI workflow (it cannot run here: actionlint checks it) -----
ACTIONLINT = str(ROOT / ".venv" / "bin" / "actionlint")


def test_the_github_workflow_passes_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    run(ACTIONLINT, *map(str, workflows))


def test_actionlint_fails_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.x }\n"
    )
    result = subprocess.run([ACTIONLINT, str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "expression" in result.stdout


def test_the_workflow_tests_pull_requests_and_deploys_main_to_sandbox_with_oidc():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    deploy = workflow["jobs"]["deploy-sandbox"]
    assert deploy["needs"] == "test" and deploy["permissions"]["id-token"] == "write"
    assert workflow["permissions"] == {"contents": "read"}
    steps = " ".join(str(step) for step in deploy["steps"])
    assert "configure-aws-credentials" in steps and "role-to-assume" in steps and "make deploy ENV=sandbox" in steps
    assert any("make test" in str(step.get("run", "")) for step in workflow["jobs"]["test"]["steps"])


# ----- the operator's dashboard -----
def emitted_metrics() -> set[str]:
    """Every custom metric name the functions and the layer emit (`name="X"`, `name="X" if ... else "Y"`)."""
    names: set[str] = set()
    emit = re.compile(r'(?:add_metric\(name=|count_now\()("\w+"(?: if [^\n]+? else "\w+")?)')
    for path in [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "common").rglob("*.py")]:
        for call in emit.findall(path.read_text()):
            names |= set(re.findall(r'"(\w+)"', call))
    return names


def dashboard() -> dict:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", body))  # ${WebhookFunction} -> WebhookFunction


def test_the_dashboard_shows_every_metric_the_code_emits():
    names = emitted_metrics()
    assert {"WebhooksQueued", "WebhooksIgnored", "PushesPossiblyDuplicated", "MessagesDeadLettered"} <= names
    shown = {m[1] for widget in dashboard()["widgets"] for m in widget["properties"].get("metrics", [])}
    assert names <= shown, names - shown


def test_the_dashboard_shows_queue_depths_errors_throttles_durations_and_iterator_age():
    shown = {(m[0], m[1]) for widget in dashboard()["widgets"] for m in widget["properties"].get("metrics", [])}
    for metric in ("Errors", "Throttles", "Duration", "IteratorAge"):
        assert ("AWS/Lambda", metric) in shown
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in shown and ("AWS/ApiGateway", "5xx") in shown
    functions_shown = {
        m[3] for w in dashboard()["widgets"] for m in w["properties"].get("metrics", []) if m[1] == "Errors"
    }
    assert len(functions_shown) == len(FUNCTIONS)
    assert "DashboardUrl" in tpl.load()["Outputs"]


def test_the_runbook_names_every_alarm_and_metric():
    operations = (ROOT / "docs" / "operations.md").read_text()
    runbook = operations[operations.index("### Runbook") :]
    for alarm in tpl.of_type("AWS::CloudWatch::Alarm"):
        assert f"`{alarm}`" in runbook, alarm
    for name in emitted_metrics():
        assert f"`{name}`" in operations, name


def test_snapstart_is_an_option_of_the_synchronous_functions_invoked_through_their_alias(transformed):
    param = tpl.load()["Parameters"]["SnapStart"]
    assert param["Default"] == "None" and set(param["AllowedValues"]) == {"None", "PublishedVersions"}
    synchronous = {"WebhookFunction", "CustomerApiFunction"}
    for name in tpl.functions():
        props = RESOURCES[name]["Properties"]
        if name in synchronous:  # SnapStart applies to published versions only: the API must call the alias
            assert props["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}} and props["AutoPublishAlias"] == "live"
        else:  # queue, stream and schedule consumers: a cold start there delays no caller
            assert "SnapStart" not in props
    resources = transformed["Resources"]
    api = json.dumps(resources["HttpApi"]["Properties"])
    customer_routes = sum(1 for route in tpl.http_routes() if route.function == "CustomerApiFunction")
    assert api.count("WebhookFunctionAliaslive") == 1 and api.count("CustomerApiFunctionAliaslive") == customer_routes
    assert "WebhookFunction.Arn" not in api and "CustomerApiFunction.Arn" not in api
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Permission" and logical_id.startswith(tuple(synchronous)):
            assert resource["Properties"]["FunctionName"]["Ref"].endswith("Aliaslive"), logical_id


def test_every_function_logs_json_into_its_own_group_with_platform_lines_at_the_chosen_level(transformed):
    param = tpl.load()["Parameters"]["PlatformLogLevel"]
    assert param["Default"] == "WARN" and set(param["AllowedValues"]) == {"DEBUG", "INFO", "WARN"}
    functions = {k: v for k, v in transformed["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}
    assert len(functions) == len(FUNCTIONS)
    groups = set()
    for name, function in functions.items():
        config = function["Properties"]["LoggingConfig"]
        assert config["LogFormat"] == "JSON" and config["ApplicationLogLevel"] == "INFO", name
        assert config["SystemLogLevel"] == {"Ref": "PlatformLogLevel"}, name
        groups.add(config["LogGroup"]["Ref"])
    assert len(groups) == len(functions)
    assert all(transformed["Resources"][group]["Type"] == "AWS::Logs::LogGroup" for group in groups)


# ----- the customer managed key, both ways -----
KEY = "arn:aws:kms:me-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ENCRYPTED = {  # resource type -> where its key goes
    "AWS::DynamoDB::Table": ("SSESpecification", "KMSMasterKeyId"),
    "AWS::SQS::Queue": ("KmsMasterKeyId",),
    "AWS::SecretsManager::Secret": ("KmsKeyId",),
    "AWS::Logs::LogGroup": ("KmsKeyId",),
    "AWS::Events::EventBus": ("KmsKeyIdentifier",),
}


def resolved(kms_key: str) -> dict[str, dict]:
    """Every resource's properties with the template's parameters at their defaults and KmsKeyArn as given."""
    refs = {**tpl.parameter_defaults(), "KmsKeyArn": kms_key, "LeanAppId": "app", "AWS::Region": "me-central-1"}
    refs |= {"AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::StackName": "s", "AWS::URLSuffix": "x"}
    refs |= {name: f"local-{name}" for name in RESOURCES}
    refs |= {f"{name}.{a}": f"arn:local:{name}" for name in RESOURCES for a in ("Arn", "QueueName", "StreamArn")}
    wanted = {name: res for name, res in RESOURCES.items() if res["Type"] in ENCRYPTED or name in FUNCTIONS}
    return {name: tpl.resolve(res.get("Properties", {}), refs) for name, res in wanted.items()}


@pytest.mark.parametrize("kms_key", ["", KEY])
def test_a_customer_managed_key_encrypts_every_store_or_none(kms_key):
    properties = resolved(kms_key)
    for name, res in RESOURCES.items():
        where = ENCRYPTED.get(res["Type"])
        if where is None:
            continue
        value = properties[name]
        for step in where:
            value = value.get(step) if isinstance(value, dict) else None
        assert value == (kms_key or None), (name, value)
        if res["Type"] == "AWS::SQS::Queue":  # SQS-managed encryption exactly when no key is given
            assert properties[name]["SqsManagedSseEnabled"] is (not kms_key), name
        if res["Type"] == "AWS::DynamoDB::Table":
            assert properties[name]["SSESpecification"]["SSEEnabled"] is True
            assert properties[name]["SSESpecification"].get("SSEType") == ("KMS" if kms_key else None)


@pytest.mark.parametrize("kms_key", ["", KEY])
def test_each_function_is_granted_only_decrypt_and_generate_data_key_on_the_key_through_its_services(kms_key):
    properties = resolved(kms_key)
    for function in FUNCTIONS:
        statements = [s for p in properties[function]["Policies"] for s in p.get("Statement", [])]
        keys = [s for s in statements if any(a.startswith("kms:") for a in s["Action"])]
        if not kms_key:
            assert keys == [], function
            continue
        [grant] = keys
        assert grant["Resource"] == KEY and set(grant["Action"]) <= {"kms:Decrypt", "kms:GenerateDataKey"}
        services = grant["Condition"]["StringEquals"]["kms:ViaService"]
        assert services and all(s.endswith(".me-central-1.amazonaws.com") for s in services), function


def test_the_key_policy_the_key_needs_is_documented():
    operations = (ROOT / "docs" / "operations.md").read_text()
    section = operations[operations.index("## Your own KMS key") :]
    for needed in (
        "logs.<region>.amazonaws.com",
        "kms:EncryptionContext:aws:logs:arn",
        "events.amazonaws.com",
        ":root",
    ):
        assert needed in section, needed
