"""The calls recorded while the unit and integration suites ran (IAM_CALLS, `make test-unit` and
`make test-integration`), read once."""

from __future__ import annotations

import pytest

from tests.support.iam_policy import Call, calls_directory, load_calls


@pytest.fixture(scope="session")
def calls() -> list[Call]:
    directory = calls_directory()
    return load_calls(directory) if directory.is_dir() else []


FIGURES = pytest.StashKey[dict[str, int]]()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, int]:
    """What the checks counted, printed at the end of the run (docs/testing.md quotes it)."""
    return request.config.stash.setdefault(FIGURES, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    counted = config.stash.get(FIGURES, {})
    if counted:
        terminalreporter.write_line("IAM check: " + ", ".join(f"{name} {value}" for name, value in counted.items()))
