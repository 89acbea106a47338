"""The customer API's settings."""

from __future__ import annotations

from dataclasses import dataclass

from lean_webhooks.runtime.config import env_float, env_int
from lean_webhooks.runtime.settings.push import PushSettings


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
