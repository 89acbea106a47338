"""Settings read from the Lambda environment, one small frozen dataclass per function or concern. Every value is
read here and nowhere else: a missing or malformed one is a `ConfigError` that names the variable and what it
must be, raised when the function starts."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field


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


# (region, environment, auth mode) -> (API host, OAuth host), as Lean publishes them (docs/lean-contract.md):
# production calls with OAuth bearer tokens go to api2.*, legacy lean-app-token calls (mTLS) to api.*.
LEAN_HOSTS = {
    ("uae", "sandbox", "oauth"): ("https://sandbox.leantech.me", "https://auth.sandbox.leantech.me"),
    ("uae", "sandbox", "app_token"): ("https://sandbox.leantech.me", "https://auth.sandbox.leantech.me"),
    ("uae", "production", "oauth"): ("https://api2.leantech.me", "https://auth.leantech.me"),
    ("uae", "production", "app_token"): ("https://api.leantech.me", "https://auth.leantech.me"),
    ("ksa", "sandbox", "oauth"): ("https://sandbox.sa.leantech.me", "https://auth.sandbox.sa.leantech.me"),
    ("ksa", "sandbox", "app_token"): ("https://sandbox.sa.leantech.me", "https://auth.sandbox.sa.leantech.me"),
    ("ksa", "production", "oauth"): ("https://api2.sa.leantech.me", "https://auth.sa.leantech.me"),
    ("ksa", "production", "app_token"): ("https://api.sa.leantech.me", "https://auth.sa.leantech.me"),
}
AUTH_MODES = ("oauth", "app_token")


@dataclass(frozen=True)
class LeanSettings:
    """How to reach Lean's API."""

    api_base_url: str
    auth_base_url: str
    credentials_secret_id: str
    auth_mode: str = "oauth"
    app_id: str = ""
    environment: str = "sandbox"
    connect_timeout_s: float = 3.05
    read_timeout_s: float = 8.0
    call_deadline_s: float = 20.0  # one exchange with Lean, retries and Retry-After waits included
    max_retries: int = 2
    backoff_s: float = 0.5
    secret_max_age_s: int = 300

    @property
    def needs_client_certificate(self) -> bool:
        """Lean's production hosts take the legacy app token only over mTLS."""
        return self.environment == "production" and self.auth_mode == "app_token"

    @classmethod
    def from_env(cls) -> LeanSettings:
        region = optional("LEAN_REGION", "uae").lower()
        environment = optional("LEAN_ENVIRONMENT", "sandbox").lower()
        auth_mode = optional("LEAN_AUTH_MODE", "oauth").lower()
        if auth_mode not in AUTH_MODES:
            raise ConfigError("LEAN_AUTH_MODE must be 'oauth' or 'app_token'")
        if (region, environment, auth_mode) not in LEAN_HOSTS:
            raise ConfigError(
                f"LEAN_REGION and LEAN_ENVIRONMENT must be uae|ksa and sandbox|production, got {region}/{environment}"
            )
        api, auth = LEAN_HOSTS[(region, environment, auth_mode)]
        return cls(
            api_base_url=optional("LEAN_API_BASE_URL", api),
            auth_base_url=optional("LEAN_AUTH_BASE_URL", auth),
            credentials_secret_id=required("LEAN_CREDENTIALS_SECRET_ID"),
            auth_mode=auth_mode,
            app_id=required("LEAN_APP_ID"),
            environment=environment,
            connect_timeout_s=env_float("LEAN_CONNECT_TIMEOUT_SECONDS", 3.05, minimum=0.1),
            read_timeout_s=env_float("LEAN_READ_TIMEOUT_SECONDS", 8, minimum=0.1),
            call_deadline_s=env_float("LEAN_CALL_DEADLINE_SECONDS", 20, minimum=1),
            max_retries=env_int("LEAN_MAX_RETRIES", 2),
            backoff_s=env_float("LEAN_BACKOFF_SECONDS", 0.5),
            secret_max_age_s=env_int("SECRET_CACHE_SECONDS", 300),
        )


@dataclass(frozen=True)
class SyncSettings:
    """What the sync function needs besides Lean."""

    table_name: str
    queue_url: str
    dlq_url: str
    max_receive_count: int = 5
    retry_base_delay_s: int = 30
    retry_max_delay_s: int = 900

    @classmethod
    def from_env(cls) -> SyncSettings:
        return cls(
            table_name=required("TABLE_NAME"),
            queue_url=required("SYNC_QUEUE_URL"),
            dlq_url=required("SYNC_DLQ_URL"),
            max_receive_count=env_int("MAX_RECEIVE_COUNT", 5, minimum=1),
            retry_base_delay_s=env_int("RETRY_BASE_DELAY_SECONDS", 30),
            retry_max_delay_s=env_int("RETRY_MAX_DELAY_SECONDS", 900),
        )


@dataclass(frozen=True)
class PushSettings:
    """The table and SNS platform applications of devices and pushes, the push lease, and where the pushes'
    texts may be overridden (an SSM parameter, a file)."""

    table_name: str
    platform_applications: dict = field(default_factory=dict)
    push_lease_s: int = 60
    texts_parameter: str = ""
    texts_file: str = ""

    @classmethod
    def from_env(cls) -> PushSettings:
        from lean_webhooks.models.push import PLATFORMS  # the push vocabulary, for the functions that push only

        apps = {platform: optional(f"{platform}_PLATFORM_APPLICATION_ARN") for platform in PLATFORMS}
        return cls(
            table_name=required("TABLE_NAME"),
            platform_applications={k: v for k, v in apps.items() if v},
            push_lease_s=env_int("PUSH_LEASE_SECONDS", 60, minimum=1),
            texts_parameter=optional("PUSH_TEXTS_PARAMETER"),
            texts_file=optional("PUSH_TEXTS_FILE"),
        )


@dataclass(frozen=True)
class PushReconcileSettings:
    """The push reconciler: pushes, plus how long it leaves a fresh activation to the stream path."""

    push: PushSettings
    grace_s: int = 300

    @classmethod
    def from_env(cls) -> PushReconcileSettings:
        return cls(push=PushSettings.from_env(), grace_s=env_int("PUSH_RECONCILE_GRACE_SECONDS", 300))


@dataclass(frozen=True)
class TableSettings:
    """Functions that need only the table (the cool-off recovery, besides Lean)."""

    table_name: str

    @classmethod
    def from_env(cls) -> TableSettings:
        return cls(table_name=required("TABLE_NAME"))


@dataclass(frozen=True)
class ReconcileSettings:
    """The Events API reconciliation: the table (ledger, checkpoint) and the sync queue it refills."""

    table_name: str
    sync_queue_url: str

    @classmethod
    def from_env(cls) -> ReconcileSettings:
        return cls(table_name=required("TABLE_NAME"), sync_queue_url=required("SYNC_QUEUE_URL"))


@dataclass(frozen=True)
class CustomerApiSettings:
    """The customer API: pushes (device registration), refreshes and erasures against Lean."""

    push: PushSettings
    refresh_min_interval_s: int = 10
    lean_budget_s: float = 8.0  # every Lean exchange of one request, in total: well under API Gateway's 30 s
    erasure_hold_days: int = 35  # ErasureHoldDays: how long an erasure's record outlives it

    @classmethod
    def from_env(cls) -> CustomerApiSettings:
        return cls(
            push=PushSettings.from_env(),
            refresh_min_interval_s=env_int("REFRESH_MIN_INTERVAL_SECONDS", 10),
            lean_budget_s=env_float("LEAN_REQUEST_BUDGET_SECONDS", 8.0, minimum=1),
            erasure_hold_days=env_int("ERASURE_HOLD_DAYS", 35, minimum=1),
        )


@dataclass(frozen=True)
class PublisherSettings:
    """The domain events' publisher: the bus it puts events on, and the table of customers' erasure records."""

    event_bus_name: str
    table_name: str | None = None

    @classmethod
    def from_env(cls) -> PublisherSettings:
        return cls(event_bus_name=required("EVENT_BUS_NAME"), table_name=required("TABLE_NAME"))
