"""`sam deploy` for one config environment with the parameter overrides merged, not replaced.

    python scripts/deploy.py sandbox|production [--dry-run] [--env-file PATH] [-- <extra sam deploy flags>]

`sam deploy --parameter-overrides "..."` replaces the config environment's overrides, and SAM sends every template
parameter it is not given as `UsePreviousValue`: on an update the stack keeps that setting's previous value (on the
first create, the template default applies). `--guided` also rewrites the committed `samconfig.toml`. This script
instead merges, in order: the environment's `parameter_overrides` in `samconfig.toml` (committed, no account values),
then `deploy/<env>.env` (git-ignored `Name=value` lines: your `LeanAppId`, `AlarmTopicArn`, platform applications),
checks that every value the template requires is there, and calls `sam deploy --config-env <env>` with each value
quoted as SAM CLI's parser reads it (`Name="rate(5 minutes)"`, `Name=""`).

In `deploy/<env>.env`:
- `Name=value` sets a setting; the value is everything after `=`, spaces included (`rate(5 minutes)`); one pair of
  surrounding quotes is dropped.
- `Name=` (nothing after `=`) clears it: CloudFormation gets the empty string.
- no line (or a `#` comment) leaves it alone: CloudFormation keeps the stack's previous value on an update.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from local.aws import template as tpl

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"sandbox": ("LeanAppId",), "production": ("LeanAppId", "AlarmTopicArn")}
REQUIRED_NAMES = {name for names in REQUIRED.values() for name in names}  # their emptiness is reported below
# CloudFormation parameter names are alphanumeric; SAM CLI's parser cannot carry a `"` or `\` inside a value whole.
NAME = re.compile(r"^[A-Za-z0-9]+$")
UNSAFE = ('"', "\\")


def parse_overrides(text: str) -> dict[str, str]:
    """`Name=value Name2="a b"` (samconfig.toml's format) as a dict."""
    return dict(part.split("=", 1) for part in shlex.split(text) if "=" in part)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def local_values(path: Path) -> dict[str, str]:
    """`Name=value` lines of a git-ignored file (comments and blank lines skipped; `Name=` is an empty value)."""
    if not path.exists():
        return {}
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise SystemExit(f"{path}:{number}: expected Name=value, got {line!r}")
        name, value = line.split("=", 1)
        values[name.strip()] = _unquote(value.strip())
    return values


def check(overrides: dict[str, str], parameters: dict[str, dict], source: str) -> None:
    """Stop on a name the template does not declare or a value SAM CLI would not pass whole."""
    for name, value in overrides.items():
        if not NAME.match(name) or name not in parameters:
            raise SystemExit(f"{source}: {name!r} is not a parameter of template.yaml")
        default = str(parameters[name].get("Default", ""))
        if value == "" and default != "" and name not in REQUIRED_NAMES:
            raise SystemExit(f"{source}: {name} cannot be empty; its template default is {name}={default}")
        if any(char in value for char in UNSAFE):
            raise SystemExit(f"{source}: {name}: a value with {' or '.join(UNSAFE)} cannot pass through sam deploy")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def merged_overrides(env: str, samconfig: Path, local_file: Path) -> dict[str, str]:
    config = tomllib.loads(samconfig.read_text())
    if env not in config:
        raise SystemExit(f"{samconfig} has no [{env}] environment (have: {', '.join(sorted(config))})")
    base = config[env].get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    mine = local_values(local_file)
    check(mine, tpl.load()["Parameters"], str(local_file))
    merged = {**parse_overrides(base), **mine}
    missing = [name for name in REQUIRED[env] if not merged.get(name) or merged[name].startswith("<")]
    if missing:
        raise SystemExit(
            f"{env}: {', '.join(missing)} missing: put them in {_shown(local_file)} "
            f"(copy {local_file.name}.example) as Name=value lines"
        )
    return merged


def override_args(overrides: dict[str, str]) -> list[str]:
    """One `Name="value"` argument each: SAM CLI's parser keeps a quoted value whole and reads `""` as empty."""
    return [f'{name}="{value}"' for name, value in overrides.items()]


def summary(overrides: dict[str, str]) -> str:
    """What CloudFormation gets, and which settings keep their previous value."""
    kept = sorted(set(tpl.load()["Parameters"]) - set(overrides))
    lines = ["CloudFormation gets:"] + [f"  {name} = {value!r}" for name, value in overrides.items()]
    lines.append("Previous value on an update (template default on the first create): " + ", ".join(kept))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env", choices=sorted(REQUIRED))
    parser.add_argument("--dry-run", action="store_true", help="print the sam deploy command only")
    parser.add_argument("--env-file", type=Path, help="the Name=value file (default deploy/<env>.env)")
    argv = sys.argv[1:] if argv is None else argv
    ours, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = parser.parse_args(ours)
    env_file = args.env_file or ROOT / "deploy" / f"{args.env}.env"
    overrides = merged_overrides(args.env, ROOT / "samconfig.toml", env_file)
    sam = os.environ.get("SAM") or str(ROOT / ".venv-sam" / "bin" / "sam")
    command = [sam, "deploy", "--config-env", args.env, "--parameter-overrides", *override_args(overrides)]
    command += extra
    print(summary(overrides))
    print(" ".join(shlex.quote(part) for part in command))
    if args.dry_run:
        return 0
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
