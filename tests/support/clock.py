"""The test process's clock for the processes a test starts: under `make test-future` (TEST_CLOCK_SHIFT_DAYS) they
must run as far ahead as the test that made their input, or a timestamp it wrote reads as the future."""

from __future__ import annotations

import os

from tests.conftest import CLOCK_SHIFT


def shifted_clock_prelude() -> str:
    """Python code that moves a fresh interpreter's clocks as far ahead as this process's ("" when not shifted)."""
    days = os.environ.get(CLOCK_SHIFT)
    if not days:
        return ""
    return (
        "import time_machine as _tm\nfrom datetime import UTC as _UTC, datetime as _dt, timedelta as _td\n"
        f"_tm.travel(_dt.now(_UTC) + _td(days={int(days)}), tick=True).start()\n"
    )
