"""Devices and pushes: the notifier's and the push reconciler's settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from lean_webhooks.runtime.config import env_int, optional, required


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
