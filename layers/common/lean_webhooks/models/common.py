"""Field types shared by the Lean models."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

ACTIVE = "ACTIVE"
AWAITING_COOL_OFF = "AWAITING_BENEFICIARY_COOL_OFF"
# Our own statuses (never sent by Lean): the payment source was deleted, or Lean no longer lists the beneficiary.
DELETED = "DELETED"
REMOVED = "REMOVED"


def _uuid_lower(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a UUID string")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError as exc:
        raise ValueError("must be a UUID") from exc


# Lean ids are UUIDs whose case differs between webhooks and API responses: normalise to lower case.
LeanId = Annotated[str, BeforeValidator(_uuid_lower)]

Status = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,64}$")]


def app_id_key(value: str) -> str:
    """Lean app ids are opaque strings (e.g. `2c9280887230f322017231b408cf0007`): compare them trimmed and
    case-insensitively, never as UUIDs."""
    return value.strip().casefold()


# An opaque Lean application id: trimmed, any case kept as sent; compare with `app_id_key`.
AppId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]

_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>[Zz]|[+-]\d{2}:\d{2})$"
)


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


_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?$")


Rfc3339 = Annotated[datetime, BeforeValidator(parse_rfc3339)]
LenientRfc3339 = Annotated[datetime | None, BeforeValidator(lenient_rfc3339)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=256)]
