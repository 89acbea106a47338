"""The current Lambda invocation, for the time it has left (record handlers get no context of their own)."""

from __future__ import annotations

from typing import Any


class Invocation:
    def __init__(self) -> None:
        self._context: Any = None

    def start(self, context: Any) -> None:
        self._context = context

    def seconds_left(self) -> float:
        """Seconds before the function times out; unbounded outside Lambda (no context)."""
        return self._context.get_remaining_time_in_millis() / 1000 if self._context else float("inf")
