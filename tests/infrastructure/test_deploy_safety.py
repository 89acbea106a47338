"""The usual SAM habits stop with a message that names the fix, and the app backend can live in any account: the
template's Rules and the cross-account role, read from the template as the SAM translator hands it to CloudFormation."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from local.aws import template as tpl
from tests.infrastructure.test_deploy_overrides import sam_parse
from tests.infrastructure.test_template import ENV, ROOT, SAM

PRINCIPALS = "111122223333,arn:aws:iam::444455556666:role/app-backend"


@pytest.fixture(scope="module")
def cfn() -> dict:
    """template.yaml after the SAM transform (tests/infrastructure/sam_transform.py, the SAM CLI's translator)."""
    result = subprocess.run(
        [str(Path(SAM).parent / "python"), str(Path(__file__).with_name("sam_transform.py")), "template.yaml"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def first_create_values(cfn: dict, config_env: str, **given: str) -> dict[str, str]:
    """The parameter values of a first `sam deploy --config-env <env>`: samconfig's overrides, read by SAM CLI's
    parser, over the template defaults (a new stack has no previous values)."""
    text = tomllib.loads((ROOT / "samconfig.toml").read_text())[config_env]["deploy"]["parameters"]
    overrides = sam_parse({"config": text["parameter_overrides"]})
    return {**{k: str(v.get("Default", "")) for k, v in cfn["Parameters"].items()}, **overrides, **given}


def failed_assertions(cfn: dict, values: dict[str, str]) -> list[str]:
    """The AssertDescription of every rule assertion CloudFormation would find false for these values."""
    failed = []
    for rule in cfn["Rules"].values():
        probe = {**cfn, "Conditions": {**cfn.get("Conditions", {}), "_when": rule.get("RuleCondition", {})}}
        if "RuleCondition" in rule and not tpl.condition("_when", values, probe):
            continue
        for assertion in rule["Assertions"]:
            probe["Conditions"]["_assert"] = assertion["Assert"]
            if not tpl.condition("_assert", values, probe):
                failed.append(assertion["AssertDescription"])
    return failed


def test_every_parameter_has_a_default_so_a_missing_value_reaches_the_rules(cfn):
    """A parameter without a default fails a plain deploy with CloudFormation's generic message, before any rule."""
    assert [name for name, p in cfn["Parameters"].items() if "Default" not in p] == []


@pytest.mark.parametrize("config_env", ["default", "sandbox"])
def test_a_plain_sam_deploy_without_lean_app_id_stops_with_a_message_naming_it_and_make_deploy(cfn, config_env):
    (message,) = failed_assertions(cfn, first_create_values(cfn, config_env))
    assert "LeanAppId is missing" in message and "make deploy ENV=sandbox" in message
    assert "deploy/<env>.env" in message


def test_with_lean_app_id_every_rule_holds_and_production_still_needs_its_alarm_topic(cfn):
    assert failed_assertions(cfn, first_create_values(cfn, "sandbox", LeanAppId="2c92808872")) == []
    production = first_create_values(cfn, "production", LeanAppId="2c92808872")
    assert failed_assertions(cfn, production) == [
        cfn["Rules"]["ProductionAlarmsReachSomeone"]["Assertions"][0]["AssertDescription"]
    ]
    assert failed_assertions(cfn, {**production, "AlarmTopicArn": "arn:aws:sns:me-central-1:111122223333:t"}) == []


def test_the_documented_message_is_the_templates():
    message = tpl.load()["Rules"]["LeanAppIdIsSet"]["Assertions"][0]["AssertDescription"]
    lines = (ROOT / "docs" / "operations.md").read_text().splitlines()
    assert message in " ".join(" ".join(line.removeprefix("> ") for line in lines).split())


# ----- the app backend in another account -----
def test_without_app_backend_principals_no_role_and_no_output_exist(cfn):
    values = {k: str(v.get("Default", "")) for k, v in cfn["Parameters"].items()}
    assert cfn["Resources"]["AppBackendRole"]["Condition"] == "HasAppBackendPrincipals"
    assert cfn["Outputs"]["AppBackendRoleArn"]["Condition"] == "HasAppBackendPrincipals"
    assert not tpl.condition("HasAppBackendPrincipals", values, cfn)


def test_named_principals_may_assume_a_role_that_carries_only_the_invoke_policy(cfn):
    values = {k: str(v.get("Default", "")) for k, v in cfn["Parameters"].items()} | {"AppBackendPrincipals": PRINCIPALS}
    assert tpl.condition("HasAppBackendPrincipals", values, cfn)
    role = cfn["Resources"]["AppBackendRole"]["Properties"]
    (statement,) = tpl.resolve(role["AssumeRolePolicyDocument"], values, cfn)["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/app-backend"]},
        "Action": "sts:AssumeRole",
    }
    assert role["ManagedPolicyArns"] == [{"Ref": "CustomerApiInvokePolicy"}] and "Policies" not in role
    assert cfn["Outputs"]["AppBackendRoleArn"]["Value"] == {"Fn::GetAtt": ["AppBackendRole", "Arn"]}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("111122223333", True),
        (PRINCIPALS, True),
        ("arn:aws:iam::111122223333:root", True),
        ("*", False),  # anyone
        ("111122223333, 444455556666", False),  # a space
        ("arn:aws:iam::111122223333:user/someone", False),
        ("11112222333", False),
    ],
)
def test_app_backend_principals_accepts_only_account_ids_and_role_arns(value, accepted):
    pattern = tpl.load()["Parameters"]["AppBackendPrincipals"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted
