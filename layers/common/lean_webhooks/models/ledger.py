"""What the event ledger says of a Lean event the sync path finished."""

from __future__ import annotations

SYNCED = "synced"  # stored: final, later deliveries are duplicates
DEAD_LETTERED = "dead_lettered"  # given up on (in the DLQ with its reason): a redrive runs it again
