"""Reading settings from the Lambda environment. The settings themselves are one small frozen dataclass per
function or concern in `runtime/settings/`, so that a function loads only its own. Every value is read through
these readers: a missing or malformed one is a `ConfigError` that names the variable and what it must be, raised
when the function starts."""

from __future__ import annotations

import os


class ConfigError(RuntimeError):
    """A required setting is missing or malformed: a deployment fault, never the caller's."""


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def optional(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """An integer setting of at least `minimum`; `default` when unset, a ConfigError when malformed."""
    return _number(name, default, minimum, int, "an integer")


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    """A number (of seconds, mostly) of at least `minimum`; `default` when unset, a ConfigError when malformed."""
    return _number(name, default, minimum, float, "a number")


def _number[N: (int, float)](name: str, default: N, minimum: N, parse: type[N], kind: str) -> N:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be {kind}, got {raw!r}") from exc
    if not value >= minimum:  # also refuses nan
        raise ConfigError(f"environment variable {name} must be at least {minimum}, got {raw!r}")
    return value
