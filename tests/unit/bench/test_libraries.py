"""`make bench` checks each function's rest (its cold start over the floor less its libraries) against 0.15x, and
names the libraries, and by how much, where they alone take more than the target leaves them."""

from __future__ import annotations

from bench.libraries import REST_TARGET, rest_lines, shares

LIBRARY_MS = {"pydantic": 50.0, "Powertools Batch": 25.0}


def cold_start(ratio: float, target: float, libraries: list[str]) -> dict:
    return {"function": "F", "floor_ms": 250.0, "ratio": ratio, "target": target, "libraries": libraries}


def test_the_rest_is_checked_against_its_target() -> None:
    assert REST_TARGET == 0.15
    (row,) = shares([cold_start(1.30, 1.5, ["pydantic"])], LIBRARY_MS)  # libraries 0.20x, rest 0.10x
    assert row["rest_over_floor"] == 0.10
    assert rest_lines([row]) == ["F: rest 0.10x (<= 0.15x): met"]
    (row,) = shares([cold_start(1.45, 1.5, ["pydantic"])], LIBRARY_MS)  # rest 0.25x
    assert rest_lines([row]) == ["F: rest 0.25x (<= 0.15x): not met, by 0.10x"]


def test_libraries_beyond_what_the_target_leaves_them_are_named_with_their_shares() -> None:
    (row,) = shares([cold_start(1.40, 1.35, ["pydantic", "Powertools Batch"])], LIBRARY_MS)  # 0.30x of 0.20x
    assert row["libraries_room"] == 0.20
    assert row["libraries_excess"] == 0.10
    (line,) = rest_lines([row])
    assert "over by 0.10x: pydantic 0.20x, Powertools Batch 0.10x" in line
