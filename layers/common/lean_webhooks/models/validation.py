"""What a pydantic ValidationError says, in words safe to answer and log: field paths, never values."""

from __future__ import annotations

from pydantic import ValidationError


def invalid_fields(exc: ValidationError) -> list[str]:
    """The sorted, distinct dotted paths of the invalid fields (`body` for the top level)."""
    return sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()})


def invalid_details(exc: ValidationError, limit: int = 10) -> list[str]:
    """`path: message` for each problem, at most `limit` (pydantic's messages name no values)."""
    problems = {f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()}
    return sorted(problems)[:limit]
