"""`make bench`: cold start, warm handling, AWS requests per flow, end to end, cost, layer size and build time.
Prints one table and writes it as JSON to bench/results/latest.json. Every speed figure is a ratio against a
floor measured in the same run; targets are read from this output, never enforced by a test."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import coldstart, cost, e2e, inprocess, layer, libraries, memory
from local.aws.template import ROOT

RESULTS_DIR = "bench/results/"
RESULTS = ROOT / RESULTS_DIR / "latest.json"


def _sam_build(out: Path) -> float:
    sam = os.environ.get("SAM") or str(ROOT / ".venv-sam" / "bin" / "sam")
    started = time.perf_counter()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # sam needs python3.13
    result = subprocess.run(
        [sam, "build", "--build-dir", str(out), "--parallel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": path},
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"sam build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def revision(root: Path = ROOT) -> dict[str, Any]:
    """The commit the run measures and whether the tree differs from it (`git status --porcelain` not empty),
    bench/results/ left out: it holds this run's output, not code it measures. None when git cannot tell."""
    try:
        commit = _git(root, "rev-parse", "HEAD").strip()
        changes = [
            line
            for line in _git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
            if RESULTS_DIR not in line
        ]
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted_changes": None}
    return {"commit": commit, "uncommitted_changes": bool(changes), "changed_paths": [c[3:] for c in changes][:20]}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def write(report: dict[str, Any], path: Path = RESULTS, measured: dict[str, Any] | None = None) -> None:
    """The results file: the report and the revision it measured (taken when the run started)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"revision": measured or revision(), **report}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=PHASES,
        help="run only these phases and print their JSON; bench/results/latest.json is written by a full run only",
    )
    args = parser.parse_args(argv)
    if args.only:
        return _partial(args.only)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    measured = revision()  # before anything runs: what the figures describe
    report: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp_path = Path(tmp)
        print("sam build ...", flush=True)
        build_s = _sam_build(tmp_path / "sam")
        shipped_mb = layer.size_mb(tmp_path / "sam" / "CommonLayer")
        report["layer"] = {"unzipped_mb": round(shipped_mb, 1), "target_mb": 15, "sam_build_s": round(build_s, 1)}
        print("cold starts: init + first request, 21 interleaved pairs per function ...", flush=True)
        shipped = layer.build_shipped(tmp_path / "shipped")
        report["cold_start"] = coldstart.measure(shipped, progress=lambda line: print(line, flush=True))
        print("what the libraries cost by themselves ...", flush=True)
        library_ms = libraries.import_ms(shipped)
        by_function = libraries.shares(report["cold_start"], library_ms)
        report["libraries"] = {"import_ms": library_ms, "by_function": by_function}
        print("warm webhook handling ...", flush=True)
        report["warm_webhook"] = inprocess.warm_webhook()
        print("AWS requests per flow ...", flush=True)
        flow = inprocess.requests_per_flow()
        report["requests_per_flow"] = flow
        init_ms = {c["function"]: c["init_and_first_request_ms"] for c in report["cold_start"]}
        report["cost"] = cost.per_million(flow, init_ms)
        print("memory of the customer API over a refresh ...", flush=True)
        report["memory"] = memory.measure(shipped)
        print("end to end through the local stack ...", flush=True)
        report["end_to_end"] = e2e.measure(tmp_path / "stack")
    write(report, RESULTS, measured)
    print(render({"revision": measured, **report}))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


PHASES = ("libraries", "flow", "memory")  # the phases `--only` runs by themselves


def _partial(phases: list[str]) -> int:
    """Run some phases by themselves; what they need from others (cold starts for the cost) comes from the last
    full run's bench/results/latest.json, and the printout says so."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    last = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    out: dict[str, Any] = {"revision": revision()}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        shipped = layer.build_shipped(Path(tmp) / "shipped") if {"libraries", "memory"} & set(phases) else None
        if "libraries" in phases:
            library_ms = libraries.import_ms(shipped)
            out["libraries"] = {
                "import_ms": library_ms,
                "by_function": libraries.shares(last["cold_start"], library_ms),
            }
            out["rest"] = libraries.rest_lines(out["libraries"]["by_function"])
        if "flow" in phases:
            flow = inprocess.requests_per_flow()
            init_ms = {c["function"]: c["init_and_first_request_ms"] for c in last.get("cold_start", [])}
            out["requests_per_flow"] = flow
            out["cost"] = cost.per_million(flow, init_ms)
            out["cost"]["cold_starts_from"] = f"{RESULTS.relative_to(ROOT)} ({last.get('when')})"
        if "memory" in phases:
            out["memory"] = memory.measure(shipped)
    print(json.dumps(out, indent=2))
    return 0


def render(r: dict) -> str:
    rows = [("measure", "value", "floor / target", "ratio")]
    shares = {row["function"]: row for row in r["libraries"]["by_function"]}
    for c in r["cold_start"]:
        rows.append(
            (
                f"cold start + first request {c['function']}",
                f"{c['init_and_first_request_ms']} ms",
                f"{c['floor_ms']} ms / <= {c['target']}x",
                f"{c['ratio']}x (median of {c['pairs']} pair ratios)",
            )
        )
        row = shares[c["function"]]
        names = " + ".join(f"{name} {ms}" for name, ms in row["libraries"].items()) or "none"
        rows.append(
            (
                f"  of which libraries: {names} ms",
                f"{row['libraries_ms']} ms",
                f"target allows {row['allowance_over_floor']}x over the floor",
                f"{row['libraries_over_floor']}x, the rest {row['rest_over_floor']}x",
            )
        )
    w = r["warm_webhook"]
    rows.append(
        ("warm webhook request (median)", f"{w['ours_ms']} ms", f"{w['floor_ms']} ms / <= 1.2x", f"{w['ratio']}x")
    )
    for name, entry in r["requests_per_flow"]["per_function"].items():
        measured = ", ".join(f"{k} {v}" for k, v in sorted(entry["measured"].items()))
        minimum = ", ".join(f"{k} {v}" for k, v in sorted(entry["minimum"].items()))
        rows.append(
            (
                f"AWS requests {name}",
                measured,
                f"minimum: {minimum}",
                "extra: " + (str(entry["extra"]) or "none") if entry["extra"] else "at minimum",
            )
        )
    e = r["end_to_end"]
    rows.append(
        (
            f"webhooks/s at concurrency {e['concurrency']}",
            str(e["webhooks_per_s"]),
            f"{e['floor_requests_per_s']} req/s (no function)",
            f"{e['throughput_ratio']}x",
        )
    )
    rows.append(("webhook ack latency p50 / p99", f"{e['ack_p50_ms']} / {e['ack_p99_ms']} ms", "", ""))
    rows.append(
        (
            "beneficiary.updated -> push p50 / max",
            f"{e['updated_to_push_p50_ms']} / {e['updated_to_push_max_ms']} ms",
            "",
            "",
        )
    )
    rows.append(("cost per million flows", f"${r['cost']['usd_per_million_flows']}", "", ""))
    if "memory" in r:
        m = r["memory"]
        rows.append(
            (
                "customer API peak RSS over a refresh (max)",
                f"{m['peak_rss_mb_max']} MB",
                f"MemorySize {m['memory_size_mb']} MB",
                f"{m['headroom']}x headroom",
            )
        )
    rows.append(("layer unzipped", f"{r['layer']['unzipped_mb']} MB", "<= 15 MB", ""))
    rows.append(("sam build", f"{r['layer']['sam_build_s']} s", "", ""))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = ["  ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", "cost arithmetic:"] + [f"  {line}" for line in r["cost"]["arithmetic"]]
    lines += [f"  breakdown (USD per million flows): {r['cost']['breakdown_usd']}"]
    lines += [f"  fixed (USD per month, any traffic): {r['cost']['fixed_usd_per_month']}"]
    lines += [f"  monthly (USD): {r['cost'].get('monthly_usd', {})}"]
    lines += [f"  KMS when KmsKeyArn is set: {r['cost'].get('kms_when_key_set', {})}"]
    lines += ["", "own code over the library floor (the rest; target <= 0.15x):"]
    lines += [f"  {line}" for line in libraries.rest_lines(r["libraries"]["by_function"])]
    rev = r.get("revision", {})
    lines += ["", f"measured revision {rev.get('commit')}, uncommitted changes: {rev.get('uncommitted_changes')}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
