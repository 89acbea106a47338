"""The calls recorded while the unit and integration suites ran (IAM_CALLS, `make test-unit` and
`make test-integration`), read once."""

from __future__ import annotations

import pytest

from tests.support.iam_policy import Call, calls_directory, load_calls


@pytest.fixture(scope="session")
def calls() -> list[Call]:
    directory = calls_directory()
    return load_calls(directory) if directory.is_dir() else []
