"""Build x86_64 replicas of the Lambda layer (this machine cannot import the arm64 build) to measure cold
starts with the layer exactly as `sam build` ships it, and as SAM's default pip build would (no bytecode)."""

from __future__ import annotations

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


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
