"""The sync function's time arithmetic in one place: Lean's per-call deadline, what one record can take, the
batch, the function timeout, the queue's visibility timeout and the receive counts. A test holds the template
to it (tests/infrastructure)."""

from __future__ import annotations

from dataclasses import dataclass

LEAN_CALLS_PER_RECORD = 2  # an OAuth token (at most hourly) and the payment source GET
RECORD_MARGIN_S = 5.0  # DynamoDB reads and writes (the event ledger's included), SQS calls


@dataclass(frozen=True)
class SyncBudget:
    lean_call_deadline_s: float
    function_timeout_s: int = 180
    batch_size: int = 5
    visibility_timeout_s: int = 1080
    max_receive_count: int = 5
    redrive_max_receive_count: int = 6
    retry_max_delay_s: int = 900

    @property
    def record_worst_case_s(self) -> float:
        """The longest one record can take: each Lean call to its deadline, plus the writes."""
        return LEAN_CALLS_PER_RECORD * self.lean_call_deadline_s + RECORD_MARGIN_S

    def problems(self) -> list[str]:
        """Every way the numbers do not fit together (empty when they do)."""
        found = []
        if self.function_timeout_s < self.record_worst_case_s:
            found.append("the function timeout cannot fit one record's worst case")
        if self.visibility_timeout_s < 6 * self.function_timeout_s:
            found.append("the visibility timeout must be at least 6x the function timeout (AWS's advice)")
        if self.redrive_max_receive_count != self.max_receive_count + 1:
            found.append("the queue's redrive must come one receive after the function dead-letters with a reason")
        if self.retry_max_delay_s > 12 * 3600:
            found.append("a backoff beyond SQS's 12 h visibility limit")
        return found
