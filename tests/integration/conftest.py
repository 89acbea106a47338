"""Start the real local stack (DynamoDB Local + moto server + Lean simulator + API emulator + pollers) once
for the integration tests, on free ports, and stop it afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.harness.launcher import RunningStack, launched_stack
from tests.support.constants import INTEGRATION_SECRET as SECRET


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    try:
        with launched_stack(tmp_path_factory.mktemp("local-stack"), SECRET) as running:
            yield running
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(autouse=True)
def _no_faults_left(stack: RunningStack) -> Iterator[None]:
    stack.clear_faults()
    yield
    stack.clear_faults()
