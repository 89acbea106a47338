"""Functions that need only the table, or the table and the sync queue."""

from __future__ import annotations

from dataclasses import dataclass

from lean_webhooks.runtime.config import required


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
