"""The sync function's settings besides Lean."""

from __future__ import annotations

from dataclasses import dataclass

from lean_webhooks.runtime.config import env_int, required


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
