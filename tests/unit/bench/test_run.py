"""`bench/results/latest.json` records the revision it measured and whether the tree had uncommitted changes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.run import revision, write


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "bench" / "results").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "code.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "code")
    return root


def test_the_results_file_records_the_commit_and_a_clean_tree(tmp_path: Path) -> None:
    root = repository(tmp_path)
    out = root / "bench" / "results" / "latest.json"
    write({"cost": {}}, out, revision(root))
    written = json.loads(out.read_text())
    assert written["revision"]["commit"] == git(root, "rev-parse", "HEAD")
    assert written["revision"]["uncommitted_changes"] is False
    assert written["cost"] == {}


def test_the_results_file_says_when_the_tree_had_uncommitted_changes(tmp_path: Path) -> None:
    root = repository(tmp_path)
    (root / "code.py").write_text("x = 2\n")
    out = root / "bench" / "results" / "latest.json"
    write({}, out, revision(root))
    assert json.loads(out.read_text())["revision"]["uncommitted_changes"] is True


def test_the_results_themselves_are_not_an_uncommitted_change(tmp_path: Path) -> None:
    root = repository(tmp_path)
    (root / "bench" / "results" / "latest.json").write_text("{}\n")  # a previous run's output
    assert revision(root)["uncommitted_changes"] is False
