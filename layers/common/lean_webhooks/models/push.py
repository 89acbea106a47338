"""Push markers' vocabulary: what claiming the push of one activation to one device found."""

from __future__ import annotations

from enum import Enum


class Claim(Enum):
    CLAIMED = "claimed"  # this caller may publish
    SENT = "sent"  # a publish was confirmed (or, for markers older than leases, claimed): nothing to do
    IN_FLIGHT = "in_flight"  # another delivery holds an unexpired lease: try again later
