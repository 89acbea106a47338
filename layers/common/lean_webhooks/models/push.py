"""Push vocabulary: the platforms, and what claiming the push of one activation to one device found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Literal, get_args

Platform = Literal["GCM", "APNS", "APNS_SANDBOX"]  # SNS platforms: FCM, APNs, APNs sandbox
PLATFORMS: tuple[str, ...] = get_args(Platform)
Locale = Literal["en", "ar"]  # the languages pushes are written in
LOCALES: tuple[str, ...] = get_args(Locale)


@dataclass(frozen=True)
class PushText:
    """What a push says in one language."""

    title: str
    body: str


class Claim(Enum):
    CLAIMED = "claimed"  # this caller may publish; nobody tried before
    RECLAIMED = "reclaimed"  # this caller may publish; an earlier claim's outcome is unknown (it may have published)
    SENT = "sent"  # a publish was confirmed (or, for markers older than leases, claimed): nothing to do
    IN_FLIGHT = "in_flight"  # another delivery holds an unexpired lease: try again later


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    claim_id: str = ""  # for `sent` / `release` / `outcome_unknown`, when this caller holds the claim
    lease_until: datetime | None = None  # for IN_FLIGHT: when the other claim's lease runs out

    @property
    def held(self) -> bool:
        return self.claim in (Claim.CLAIMED, Claim.RECLAIMED)
