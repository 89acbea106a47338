"""Field types shared by the Lean models."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

ACTIVE = "ACTIVE"
AWAITING_COOL_OFF = "AWAITING_BENEFICIARY_COOL_OFF"


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

_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?(?P<tz>[Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(value: object) -> datetime:
    """Parse an RFC 3339 timestamp with up to 9 fraction digits (Python keeps 6) into an aware UTC datetime."""
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
    return datetime.fromisoformat(f"{match['base'].upper()}.{frac}{tz}").astimezone(UTC)


Rfc3339 = Annotated[datetime, BeforeValidator(parse_rfc3339)]
OptionalRfc3339 = Annotated[datetime | None, BeforeValidator(lambda v: None if v in (None, "") else parse_rfc3339(v))]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
