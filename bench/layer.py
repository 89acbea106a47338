"""Build x86_64 replicas of the Lambda layer (this machine cannot import the arm64 build) to measure cold
starts with the layer exactly as `sam build` ships it, and as SAM's default pip build would (no bytecode)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from local.aws.template import ROOT

LAYER_SRC = ROOT / "layers" / "common"
X86 = "manylinux2014_x86_64"


def build_shipped(out: Path) -> Path:
    """The layer's own Makefile (bytecode, unchecked hashes), for x86_64."""
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(LAYER_SRC),
            "build-CommonLayer",
            f"ARTIFACTS_DIR={out}",
            f"PLATFORM={X86}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out / "python"


def build_sources_only(out: Path) -> Path:
    """What SAM's default python builder ships: sources, no bytecode (recompiled at every cold start)."""
    target = out / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "-r",
            str(LAYER_SRC / "requirements.txt"),
            "--platform",
            X86,
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            "--only-binary=:all:",
            "--target",
            str(target),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    shutil.copytree(LAYER_SRC / "lean_webhooks", target / "lean_webhooks", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
