"""How to reach Lean's API: hosts by region, environment and auth mode, timeouts, retries."""

from __future__ import annotations

from dataclasses import dataclass

from lean_webhooks.runtime.config import ConfigError, env_float, env_int, optional, required

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
