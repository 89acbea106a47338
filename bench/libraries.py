"""What the stack's libraries cost a cold start by themselves, set beside each function's target.

Each library is imported from the shipped layer in a fresh interpreter that has already imported boto3 (every
function and every floor does) and the libraries listed before it (LIBRARIES), so the modules they share are
charged once. Which libraries a function loads is read from its own cold-start process after its first request
(`bench.coldstart`).
Dividing a library's time by the function's floor says how much of the target's allowance over the floor
(e.g. 0.4 for 1.4x) that library takes before any of our code runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.stats import median

# name -> (module whose presence in sys.modules means the function loaded it, the import a function makes), in
# the order they are measured: each after boto3 and every library above it, so that what two of them share is
# charged once (the Event Handler's validation imports pydantic), and a sum over one function's libraries does
# not count a module twice. It can only undercount. Batch comes before pydantic, as in the functions: imported
# after pydantic, it loads every parser model.
LIBRARIES: dict[str, tuple[str, str]] = {
    "Powertools Logger + Metrics": (
        "aws_lambda_powertools.logging",
        "from aws_lambda_powertools import Logger, Metrics",
    ),
    "Powertools Batch": (
        "aws_lambda_powertools.utilities.batch",
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response",
    ),
    "pydantic": ("pydantic.main", "from pydantic import BaseModel, BeforeValidator, StringConstraints, TypeAdapter"),
    "Powertools Event Handler + validation": (
        "aws_lambda_powertools.event_handler.openapi.params",
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "from aws_lambda_powertools.event_handler.openapi.params import Body",
    ),
    "requests": ("requests", "import requests"),
}
# Printed by a cold-start process (bench.coldstart) after its first request: which LIBRARIES it loaded.
PROBE = "sys.stderr.write(json.dumps([n for n, (m, _) in {libraries!r}.items() if m in sys.modules]) + '\\n')"

_SNIPPET = """
import sys, time
sys.path.insert(0, {layer!r})
import boto3, boto3.session  # before the clock: what the floor imports too
{before}
t0 = time.perf_counter()
{statement}
print(time.perf_counter() - t0)
"""


def probe_code() -> str:
    return PROBE.format(libraries=LIBRARIES)


def import_ms(shipped_layer: Path, runs: int = 11) -> dict[str, float]:
    """Median milliseconds each library's import takes, in fresh interpreters writing no bytecode."""
    times: dict[str, list[float]] = {name: [] for name in LIBRARIES}
    statements = [statement for _, statement in LIBRARIES.values()]
    for _ in range(runs):
        for i, name in enumerate(LIBRARIES):  # interleaved: machine noise spreads over all of them
            code = _SNIPPET.format(layer=str(shipped_layer), before="\n".join(statements[:i]), statement=statements[i])
            out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, check=True)
            times[name].append(float(out.stdout.strip().splitlines()[-1]))
    return {name: round(median(values) * 1000, 1) for name, values in times.items()}


REST_TARGET = 0.15  # what our own code and the first request's own work may add over the floor and the libraries


def shares(cold_start: list[dict], library_ms: dict[str, float]) -> list[dict]:
    """Per function: the libraries it loads, their time as a multiple of its floor, the target's allowance over
    the floor, and what the rest of its cold start (our code, the first request's own work) takes over it."""
    rows = []
    for c in cold_start:
        total = sum(library_ms[name] for name in c["libraries"])
        over_floor = round(total / c["floor_ms"], 2)
        allowance = round(c["target"] - 1, 2)
        room = round(allowance - REST_TARGET, 2)  # what the libraries may take with the rest at its target
        rows.append(
            {
                "function": c["function"],
                "libraries": {name: library_ms[name] for name in c["libraries"]},
                "libraries_ms": round(total, 1),
                "libraries_over_floor": over_floor,
                "allowance_over_floor": allowance,
                "rest_over_floor": round(c["ratio"] - 1 - over_floor, 2),
                "rest_target": REST_TARGET,
                "library_shares": {name: round(library_ms[name] / c["floor_ms"], 2) for name in c["libraries"]},
                "libraries_room": room,
                "libraries_excess": round(max(0.0, over_floor - room), 2),
            }
        )
    return rows


def rest_lines(rows: list[dict]) -> list[str]:
    """One line a function: its rest against REST_TARGET, and, where its libraries alone take more than the
    target leaves them (the allowance less REST_TARGET), which libraries and by how much."""
    lines = []
    for row in rows:
        rest, target = row["rest_over_floor"], row.get("rest_target", REST_TARGET)
        verdict = "met" if rest <= target else f"not met, by {rest - target:.2f}x"
        line = f"{row['function']}: rest {rest:.2f}x (<= {target:.2f}x): {verdict}"
        shares_ = row.get("library_shares") or {}
        excess = row.get("libraries_excess", 0.0)
        if excess > 0:
            named = ", ".join(f"{n} {v:.2f}x" for n, v in sorted(shares_.items(), key=lambda kv: -kv[1]))
            line += (
                f"; the libraries alone take {row['libraries_over_floor']:.2f}x of the {row['libraries_room']:.2f}x"
                f" the target leaves them ({row['allowance_over_floor']:.2f}x allowed - {target:.2f}x rest),"
                f" over by {excess:.2f}x: {named}"
            )
        lines.append(line)
    return lines
