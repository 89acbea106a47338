"""scripts/deploy.py: samconfig's overrides and the git-ignored local values are merged, never replaced, and a
deploy without the values the template requires stops before calling SAM."""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest

from local.aws.template import ROOT

spec = importlib.util.spec_from_file_location("deploy", ROOT / "scripts" / "deploy.py")
deploy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(deploy)


def test_local_values_are_merged_over_samconfig_not_in_place_of_it(tmp_path):
    local = tmp_path / "production.env"
    local.write_text("# mine\nLeanAppId=2c9280887230f322017231b408cf0007\nAlarmTopicArn=arn:aws:sns:me-central-1:1:t\n")
    merged = deploy.merged_overrides("production", ROOT / "samconfig.toml", local)
    assert merged["LogRetentionDays"] == "90"  # from samconfig.toml, kept
    assert merged["LeanEnvironment"] == "production"
    assert merged["LeanAppId"] == "2c9280887230f322017231b408cf0007"


@pytest.mark.parametrize(
    ("env", "content", "missing"),
    [
        ("sandbox", "", "LeanAppId"),
        ("production", "LeanAppId=abc\n", "AlarmTopicArn"),
        ("production", "LeanAppId=<your Lean application id>\nAlarmTopicArn=arn:x\n", "LeanAppId"),  # placeholder
        ("production", "LeanAppId=abc\nAlarmTopicArn=\n", "AlarmTopicArn"),  # cleared, but production needs it
    ],
)
def test_a_deploy_without_required_values_stops_with_a_clear_message(tmp_path, env, content, missing):
    local = tmp_path / f"{env}.env"
    local.write_text(content)
    with pytest.raises(SystemExit, match=missing):
        deploy.merged_overrides(env, ROOT / "samconfig.toml", local)


def test_the_examples_name_what_each_environment_requires():
    for env, required in deploy.REQUIRED.items():
        example = (ROOT / "deploy" / f"{env}.env.example").read_text()
        assert all(f"\n{name}=" in "\n" + example for name in required), env
    assert "deploy/*.env" in (ROOT / ".gitignore").read_text()


def test_an_emptied_line_clears_a_setting_and_a_missing_line_leaves_it_alone(tmp_path):
    local = tmp_path / "sandbox.env"
    local.write_text('LeanAppId=abc\nKmsKeyArn=\nAlarmTopicArn=""\nPushReconcileSchedule= rate(5 minutes) \n')
    merged = deploy.merged_overrides("sandbox", ROOT / "samconfig.toml", local)
    assert merged["KmsKeyArn"] == "" and merged["AlarmTopicArn"] == ""
    assert merged["PushReconcileSchedule"] == "rate(5 minutes)"
    assert "GcmPlatformApplicationArn" not in merged
    assert deploy.override_args({"KmsKeyArn": "", "S": "rate(5 minutes)"}) == ['KmsKeyArn=""', 'S="rate(5 minutes)"']


def test_the_summary_names_what_cloudformation_gets_and_what_keeps_its_previous_value():
    text = deploy.summary({"LeanAppId": "abc", "KmsKeyArn": ""})
    assert "  LeanAppId = 'abc'" in text and "  KmsKeyArn = ''" in text
    kept = text.splitlines()[-1]
    assert kept.startswith("Previous value on an update") and "AlarmTopicArn" in kept and "LeanAppId" not in kept


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("LeanAppID=abc", "not a parameter"),  # a typo would otherwise be sent and refused by CloudFormation
        ("Lean-App=abc", "not a parameter"),
        ('AllowedSourceCidrs=a"b', "cannot pass"),
        ("AllowedSourceCidrs=a\\b", "cannot pass"),
        ("LogRetentionDays=", "template default is LogRetentionDays=30"),  # CloudFormation would refuse ""
    ],
)
def test_a_name_the_template_lacks_or_a_value_sam_cannot_carry_stops_the_deploy(tmp_path, line, reason):
    local = tmp_path / "sandbox.env"
    local.write_text(f"LeanAppId=abc\n{line}\n")
    with pytest.raises(SystemExit, match=reason):
        deploy.merged_overrides("sandbox", ROOT / "samconfig.toml", local)


def test_the_printed_command_quotes_every_value_and_keeps_flags_after_the_overrides(tmp_path, capsys):
    local = tmp_path / "sandbox.env"
    local.write_text("LeanAppId=abc\nPushReconcileSchedule=rate(5 minutes)\n")
    assert deploy.main(["sandbox", "--dry-run", "--env-file", str(local), "--", "--no-confirm-changeset"]) == 0
    command = shlex.split(capsys.readouterr().out.strip().splitlines()[-1])
    assert command[1:5] == ["deploy", "--config-env", "sandbox", "--parameter-overrides"]
    assert 'PushReconcileSchedule="rate(5 minutes)"' in command and command[-1] == "--no-confirm-changeset"


def _documents() -> dict[str, str]:
    paths = [ROOT / "README.md", ROOT / "template.yaml", *(ROOT / "docs").glob("*.md")]
    paths += (ROOT / "layers" / "common").rglob("*.py")
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def test_lean_retry_span_is_one_figure_from_leans_webhooks_page_everywhere():
    """Lean retries 1, 2, 5, 10, 60 and 180 minutes after the first attempt (docs.leantech.me/docs/webhooks)."""
    other_figures = re.compile(r"4\.3 ?h|about 4 ?h|~ ?4 ?h|\b4 hours|retr\w* for about", re.IGNORECASE)
    assert {
        path: other_figures.findall(text) for path, text in _documents().items() if other_figures.search(text)
    } == {}
    contract = (ROOT / "docs" / "lean-contract.md").read_text()
    row = next(line for line in contract.splitlines() if "180 minutes" in line)
    assert "1, 2, 5, 10, 60 and 180 minutes after the first attempt" in row and "[W]" in row
    assert "<https://docs.leantech.me/docs/webhooks>" in contract


def test_every_source_of_the_lean_contract_is_public_or_marked_unconfirmed():
    contract = (ROOT / "docs" / "lean-contract.md").read_text()
    sources_part = contract[contract.index("Sources:") : contract.index("## Webhooks")]
    defined = dict(re.findall(r"^- \*\*\[(\w)\]\*\* (.*?)(?=^- \*\*|\Z)", sources_part, re.MULTILINE | re.DOTALL))
    assert "U" in defined and "nconfirmed" in defined["U"]
    for marker, text in defined.items():
        public = "<https://" in text or re.search(r"public .*?`[\w.-]+/[\w.-]+`", text, re.DOTALL)  # a URL or a repo
        assert marker == "U" or public, marker
    cited = set(re.findall(r"\[(\w)\]", contract[contract.index("## Webhooks") :]))
    assert cited <= set(defined), cited - set(defined)
    assert "outside this repository" not in contract and "design specification" not in contract
