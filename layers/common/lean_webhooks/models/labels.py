"""External strings fit for log lines and failure reasons: a safe alphabet and a bounded length."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def safe_label(value: object, limit: int = 64) -> str:
    """Keep letters, digits and `_ . : -`, at most `limit` characters (Lean's error `status`, an event `type`)."""
    return _UNSAFE.sub("", str(value))[:limit]
