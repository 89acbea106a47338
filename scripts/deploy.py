"""`sam deploy` for one config environment with the parameter overrides merged, not replaced.

    python scripts/deploy.py sandbox|production [--dry-run] [-- <extra sam deploy flags>]

`sam deploy --parameter-overrides "..."` replaces the config environment's overrides (so `LogRetentionDays` would
silently go back to its default) and `--guided` rewrites the committed `samconfig.toml`. This script instead
merges, in order: the environment's `parameter_overrides` in `samconfig.toml` (committed, no account values),
then `deploy/<env>.env` (git-ignored `Name=value` lines: your `LeanAppId`, `AlarmTopicArn`, platform applications),
and checks that every value the template requires is there before calling `sam deploy --config-env <env>`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"sandbox": ("LeanAppId",), "production": ("LeanAppId", "AlarmTopicArn")}


def parse_overrides(text: str) -> dict[str, str]:
    """`Name=value Name2="a b"` (SAM's format) as a dict."""
    return dict(part.split("=", 1) for part in shlex.split(text) if "=" in part)


def local_values(path: Path) -> dict[str, str]:
    """`Name=value` lines of a git-ignored file (comments and blank lines skipped)."""
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
        values[name.strip()] = value.strip().strip('"')
    return values


def merged_overrides(env: str, samconfig: Path, local_file: Path) -> dict[str, str]:
    config = tomllib.loads(samconfig.read_text())
    if env not in config:
        raise SystemExit(f"{samconfig} has no [{env}] environment (have: {', '.join(sorted(config))})")
    base = config[env].get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    merged = {**parse_overrides(base), **local_values(local_file)}
    missing = [name for name in REQUIRED[env] if not merged.get(name) or merged[name].startswith("<")]
    if missing:
        raise SystemExit(
            f"{env}: {', '.join(missing)} missing: put them in {local_file.relative_to(ROOT)} "
            f"(copy {local_file.name}.example) as Name=value lines"
        )
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env", choices=sorted(REQUIRED))
    parser.add_argument("--dry-run", action="store_true", help="print the sam deploy command only")
    parser.add_argument("extra", nargs="*", help="more sam deploy flags, after --")
    args = parser.parse_args(argv)
    overrides = merged_overrides(args.env, ROOT / "samconfig.toml", ROOT / "deploy" / f"{args.env}.env")
    sam = os.environ.get("SAM") or str(ROOT / ".venv-sam" / "bin" / "sam")
    command = [sam, "deploy", "--config-env", args.env, "--parameter-overrides"]
    command += [f"{k}={v}" for k, v in overrides.items()] + args.extra
    print(" ".join(shlex.quote(part) for part in command))
    if args.dry_run:
        return 0
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
