"""Pydantic field types shared by the Lean models: ids, app ids, statuses, timestamps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from lean_webhooks.models.timestamps import lenient_rfc3339, parse_rfc3339


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

Rfc3339 = Annotated[datetime, BeforeValidator(parse_rfc3339)]
LenientRfc3339 = Annotated[datetime | None, BeforeValidator(lenient_rfc3339)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=256)]
