"""Plugins of every suite: the test timeline the IAM coverage check reads (tests/unit/conftest_iam.py), and the
shifted process clock of `make test-future` (TEST_CLOCK_SHIFT_DAYS)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

pytest_plugins = ["tests.unit.conftest_iam"]

CLOCK_SHIFT = "TEST_CLOCK_SHIFT_DAYS"


def pytest_configure(config: pytest.Config) -> None:
    """With TEST_CLOCK_SHIFT_DAYS=N every clock of the process (datetime.now, time.time, ...) runs N days ahead, still
    ticking: a test that wrote today's date where it meant "now" fails."""
    days = os.environ.get(CLOCK_SHIFT)
    if not days:
        return
    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    days = os.environ.get(CLOCK_SHIFT)
    return f"process clock shifted {days} days ahead: now {datetime.now(UTC).isoformat()}" if days else None
