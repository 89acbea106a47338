"""The functions' JSON log lines, as a test reads them."""

from __future__ import annotations

import io
import json
from typing import Any


def log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"level"')]


class Captured:
    """The functions' JSON log lines (the logger writes to the stream it was created with: swap it)."""

    def __init__(self, monkeypatch: Any):
        from lean_webhooks.runtime.observability import logger

        self.stream = io.StringIO()
        monkeypatch.setattr(logger.registered_handler, "stream", self.stream)

    def readouterr(self) -> Any:
        text, self.out = self.stream.getvalue(), None
        self.stream.seek(0)
        self.stream.truncate()
        return type("Out", (), {"out": text})()
