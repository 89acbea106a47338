"""scripts/deploy.py: samconfig's overrides and the git-ignored local values are merged, never replaced, and a
deploy without the values the template requires stops before calling SAM."""

from __future__ import annotations

import importlib.util

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
    ],
)
def test_a_deploy_without_required_values_stops_with_a_clear_message(tmp_path, monkeypatch, env, content, missing):
    local = tmp_path / "deploy" / f"{env}.env"
    local.parent.mkdir()
    local.write_text(content)
    monkeypatch.setattr(deploy, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match=missing):
        deploy.merged_overrides(env, ROOT / "samconfig.toml", local)


def test_the_examples_name_what_each_environment_requires():
    for env, required in deploy.REQUIRED.items():
        example = (ROOT / "deploy" / f"{env}.env.example").read_text()
        assert all(f"\n{name}=" in "\n" + example for name in required), env
    assert "deploy/*.env" in (ROOT / ".gitignore").read_text()
