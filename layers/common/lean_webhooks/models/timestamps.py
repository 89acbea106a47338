"""Timestamps: Lean's RFC 3339 stamps in, ours (ISO 8601, UTC, microseconds, `Z`) out. No pydantic."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]
"""What every use case and adapter asks for the time: `utc_now` in production, a fixed or stepped clock in tests."""


def utc_now() -> datetime:
    """The time now, aware, in UTC: the one default `Clock`."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Our stored and logged form: `2026-01-02T03:04:05.123456Z` (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    """The inverse of `iso`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>[Zz]|[+-]\d{2}:\d{2})$"
)
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?$")


def parse_rfc3339(value: object) -> datetime:
    """Parse an RFC 3339 timestamp with any number of fraction digits (Python keeps 6; Lean sends 1-9 and
    trims trailing zeros) into an aware UTC datetime. Out-of-range dates are a ValueError, never an overflow."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp must carry a time zone")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError("timestamp must be an RFC 3339 string")
    match = _RFC3339.match(value.strip())
    if not match:
        raise ValueError("timestamp must be RFC 3339, e.g. 2026-01-01T00:00:00.000000Z")
    frac = (match["frac"] or "0")[:6].ljust(6, "0")
    tz = "+00:00" if match["tz"] in ("Z", "z") else match["tz"]
    try:
        return datetime.fromisoformat(f"{match['base'].upper()}.{frac}{tz}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError("timestamp is not a valid RFC 3339 date and time") from exc


def lenient_rfc3339(value: object) -> datetime | None:
    """For informational fields of Lean's API answers: a time zone-less stamp is read as UTC, and anything
    unreadable becomes None instead of failing the whole payment source."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and _NAIVE.match(value.strip()):
        value = value.strip() + "Z"
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None
