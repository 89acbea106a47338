"""The webhook intake's settings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from lean_webhooks.runtime.config import ConfigError, env_int, optional, required


def parse_cidrs(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse a comma-separated CIDR list; an empty string means no allowlist."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"invalid CIDR in ALLOWED_SOURCE_CIDRS: {exc}") from exc


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook intake function needs."""

    sync_queue_url: str
    webhook_secret_id: str
    max_body_bytes: int = 65536
    replay_window_s: int = 6 * 3600
    future_skew_s: int = 300
    secret_max_age_s: int = 300
    allowed_cidrs: tuple = field(default_factory=tuple)

    @classmethod
    def from_env(cls) -> WebhookSettings:
        return cls(
            sync_queue_url=required("SYNC_QUEUE_URL"),
            webhook_secret_id=required("WEBHOOK_SECRET_ID"),
            max_body_bytes=env_int("MAX_BODY_BYTES", 65536, minimum=1),
            replay_window_s=env_int("REPLAY_WINDOW_SECONDS", 6 * 3600),
            secret_max_age_s=env_int("SECRET_CACHE_SECONDS", 300),
            allowed_cidrs=parse_cidrs(optional("ALLOWED_SOURCE_CIDRS")),
        )
