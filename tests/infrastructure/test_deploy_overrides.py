"""`make deploy` hands CloudFormation the settings of `deploy/<env>.env` whole: the command scripts/deploy.py
prints is read back with SAM CLI's own parser (the SAM CLI that `make deploy` runs)."""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.infrastructure.test_template import ENV, ROOT, SAM

spec = importlib.util.spec_from_file_location("deploy", ROOT / "scripts" / "deploy.py")
deploy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(deploy)

APP_ID = "2c9280887230f322017231b408cf0007"


def sam_parse(request: dict) -> dict[str, str]:
    """The parameter overrides SAM CLI reads from `request` (tests/infrastructure/sam_overrides.py)."""
    result = subprocess.run(
        [str(Path(SAM).parent / "python"), str(Path(__file__).with_name("sam_overrides.py"))],
        input=json.dumps(request),
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def produced_command(env: str, env_file: Path, capsys) -> list[str]:
    """The `sam deploy` argv `make deploy ENV=<env>` runs, as scripts/deploy.py prints it (last line)."""
    assert deploy.main([env, "--dry-run", "--env-file", str(env_file), "--", "--no-confirm-changeset"]) == 0
    command = shlex.split(capsys.readouterr().out.strip().splitlines()[-1])
    assert command[1:4] == ["deploy", "--config-env", env]
    return command[2:]


def test_a_copied_example_with_a_spaced_schedule_and_cleared_settings_reaches_cloudformation_whole(tmp_path, capsys):
    example = (ROOT / "deploy" / "sandbox.env.example").read_text()
    env_file = tmp_path / "sandbox.env"
    env_file.write_text(
        example.replace(
            next(line for line in example.splitlines() if line.startswith("LeanAppId=")), f"LeanAppId={APP_ID}"
        )
        + "PushReconcileSchedule=rate(5 minutes)\n"
        + 'EventsReconcileSchedule="cron(0 */2 * * ? *)"\n'
        + "KmsKeyArn=\n"
        + 'AlarmTopicArn=""\n'
        + "AllowedSourceCidrs=203.0.113.0/24,198.51.100.7/32\n"
    )
    parsed = sam_parse({"argv": produced_command("sandbox", env_file, capsys)})
    assert parsed == {
        "LeanEnvironment": "sandbox",  # samconfig.toml's [sandbox], kept
        "LeanRegion": "uae",
        "LeanAuthMode": "oauth",
        "LogRetentionDays": "14",
        "LeanAppId": APP_ID,
        "PushReconcileSchedule": "rate(5 minutes)",
        "EventsReconcileSchedule": "cron(0 */2 * * ? *)",
        "KmsKeyArn": "",  # cleared: CloudFormation gets the empty string
        "AlarmTopicArn": "",
        "AllowedSourceCidrs": "203.0.113.0/24,198.51.100.7/32",
    }
    # Settings without a line are not sent: SAM passes them as UsePreviousValue (kept on an update).
    assert "GcmPlatformApplicationArn" not in parsed


@pytest.mark.parametrize("env", ["default", "sandbox", "production"])
def test_samconfig_overrides_read_the_same_by_sam_and_by_the_script(env):
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    text = config[env]["deploy"]["parameters"]["parameter_overrides"]
    assert sam_parse({"config": text}) == deploy.parse_overrides(text)


def test_ci_takes_every_deploy_setting_from_repository_variables(tmp_path, capsys):
    """The deploy job writes deploy/sandbox.env from repository variables only; run its lines (all but `make`) with
    LEAN_APP_ID and a multi-line DEPLOY_SETTINGS, and the settings reach SAM CLI's parser whole."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["deploy-sandbox"]["steps"] if "make deploy" in s.get("run", "")]
    assert all(v.startswith(("${{ vars.", "${{ secrets.")) for v in step["env"].values()), step["env"]
    script = "\n".join(line for line in step["run"].splitlines() if not line.startswith("make "))
    (tmp_path / "deploy").mkdir()
    settings = "PushReconcileSchedule=rate(5 minutes)\nKmsKeyArn=\nAppBackendPrincipals=111122223333"
    env = {"PATH": "/usr/bin:/bin", "LEAN_APP_ID": APP_ID, "DEPLOY_SETTINGS": settings}
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, check=True)
    parsed = sam_parse({"argv": produced_command("sandbox", tmp_path / "deploy" / "sandbox.env", capsys)})
    assert parsed["LeanAppId"] == APP_ID and parsed["PushReconcileSchedule"] == "rate(5 minutes)"
    assert parsed["KmsKeyArn"] == "" and parsed["AppBackendPrincipals"] == "111122223333"
