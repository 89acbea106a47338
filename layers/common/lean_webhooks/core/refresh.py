"""Refresh a customer's payment sources from Lean: what the app backend calls when the LinkSDK reports success.

The SDK's callback races Lean's webhook, so a refresh does not wait for the webhook: it lists the customer's
payment sources at Lean and stores each one of this application under the same write rules as a
`payment_source.updated` re-sync (an activation stored here is pushed once by the stream path, whoever stores it
first), then answers with what is stored.

Coalesced: at most one call to Lean per customer per `min_interval`, however many refreshes arrive, decided by a
conditional write of the customer's refresh marker in the table. A refresh that finds another one calling Lean
waits for it (no longer than that call's own deadline), then answers from storage; one that finds a recent call
answers from storage at once; one that finds a recent failure is unavailable until the time Lean gave.

Bounded: the exchange with Lean (token, list and checks) has a total deadline. Lean's 429, 5xx or a timeout raise
`RefreshUnavailable` and change nothing stored; Lean's 404 for the customer (nothing created yet) answers what
is stored. A failed call says when to come back (`Retry-After`), and a refresh after that time calls Lean again.

Lenient per item: one payment source in Lean's list that cannot be read is skipped and counted (`unreadable`),
and the others are stored. Deletions Lean makes are seen: Lean announces none by webhook, so a payment source
stored here from a Lean read that Lean's list no longer holds is checked with one GET; Lean's 404 marks it gone
(`lean_not_found`: its beneficiaries deleted, announced as `Payment Source Deleted`); a 200 (the list lagging)
or a failed GET keeps it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.models.errors import (
    DEFAULT_RETRY_AFTER_S,
    CustomerErased,
    LeanApiError,
    LeanNotFound,
    RefreshUnavailable,
)
from lean_webhooks.models.refresh import PaymentSourceListing, RefreshClaim, RefreshState
from lean_webhooks.models.statuses import GONE_REASON
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import LeanCustomerApi, RefreshedPaymentSources, RefreshMarkers
    from lean_webhooks.core.sync import PaymentSourceSync
    from lean_webhooks.models.items import StoredPaymentSource

logger = logging.getLogger(__name__)

REFRESH_EVENT = "refresh"
POLL_S = 0.25  # how often a coalesced refresh looks whether the call it waits for has finished
WAIT_MARGIN_S = 2.0  # a claimant's call plus its writes: beyond, it is taken for dead and not waited for


@dataclass(frozen=True)
class RefreshOutcome:
    sources: list[StoredPaymentSource]
    called_lean: bool
    coalesced: bool = False
    stored: int = 0  # payment sources of this application that Lean listed
    foreign: int = 0  # listed by Lean but of another application (or customer): not stored
    unreadable: int = 0  # listed by Lean in a shape that cannot be read: skipped
    gone: int = 0  # stored here, no longer listed, and Lean's GET answered 404: marked gone


@dataclass(frozen=True)
class _Counts:
    stored: int = 0
    foreign: int = 0
    unreadable: int = 0
    gone: int = 0


class PaymentSourceRefresh:
    """List at Lean, store under the write rules, answer from storage; one Lean call per customer per interval."""

    def __init__(
        self,
        lean: LeanCustomerApi,
        sync: PaymentSourceSync,
        markers: RefreshMarkers,
        reader: RefreshedPaymentSources,
        min_interval: timedelta,
        deadline_s: float,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._lean, self._sync, self._markers, self._reader = lean, sync, markers, reader
        self._min_interval, self._deadline_s = min_interval, deadline_s
        self._clock, self._sleep = clock, sleep

    def refresh(self, customer_id: str) -> RefreshOutcome:
        try:
            claim = self._markers.claim(customer_id, self._clock(), self._min_interval)
        except CustomerErased:  # the customer's erasure is under way: Lean is not asked, nothing is stored
            return RefreshOutcome(self._reader.list_for_customer(customer_id), called_lean=False)
        if not claim.claimed:
            return self._coalesced(customer_id, claim)
        assert claim.claim_id is not None
        counts = self._call_and_store(customer_id, claim.claim_id)
        self._markers.finish(customer_id, claim.claim_id, failed=False, retry_at=None, now=self._clock())
        return RefreshOutcome(
            self._reader.list_for_customer(customer_id),
            True,
            stored=counts.stored,
            foreign=counts.foreign,
            unreadable=counts.unreadable,
            gone=counts.gone,
        )

    def _call_and_store(self, customer_id: str, claim_id: str) -> _Counts:
        read_at = self._clock()  # what Lean lists is known from here on (the erasure guard judges it by this)
        lean = self._lean
        with lean.within(self._deadline_s):
            try:
                listing = lean.read_payment_sources(customer_id)
            except LeanNotFound:
                listing = PaymentSourceListing()  # Lean knows no payment source of this customer (yet)
            except LeanApiError as exc:
                wait = max(1, math.ceil(exc.retry_after_s or DEFAULT_RETRY_AFTER_S))
                now = self._clock()
                retry_at = now + timedelta(seconds=wait)
                self._markers.finish(customer_id, claim_id, True, retry_at, now, retryable=exc.retryable)
                logger.warning("refresh: Lean failed", extra={"reason": exc.reason})
                raise RefreshUnavailable(wait, exc.retryable, exc.reason) from None
            stored, foreign = self._store(customer_id, claim_id, listing, read_at)
            for payment_source_id in listing.unreadable_ids:  # ids only when readable; never the item itself
                logger.warning(
                    "refresh: Lean listed a payment source that cannot be read: skipped",
                    extra={"payment_source_id": payment_source_id},
                )
            gone = self._check_unlisted(lean, customer_id, listing.listed_ids(), read_at)
        return _Counts(stored, foreign, len(listing.unreadable_ids), gone)

    def _store(
        self, customer_id: str, claim_id: str, listing: PaymentSourceListing, read_at: datetime
    ) -> tuple[int, int]:
        sync = self._sync
        stored = foreign = 0
        for source in listing.sources:
            if source.customer_id != customer_id or not sync.is_ours(source):
                foreign += 1
                continue
            try:
                sync.store_whole(source, f"{REFRESH_EVENT}:{claim_id}", REFRESH_EVENT, read_at)
            except CustomerErased:  # erased since the call began: nothing of this answer is stored
                logger.info("refresh: the customer was erased meanwhile")
                return 0, foreign
            stored += 1
        return stored, foreign

    def _check_unlisted(self, lean: LeanCustomerApi, customer_id: str, listed: set[str], read_at: datetime) -> int:
        """One GET for each payment source stored from a Lean read and absent from Lean's list; on Lean's 404 it
        is marked gone (as a read made at `read_at`, for the erasure guard). Returns how many were."""
        gone = 0
        for stored in self._reader.list_for_customer(customer_id):
            if stored.fetched_at is None or stored.payment_source_id.lower() in listed:
                continue
            try:
                lean.get_payment_source(customer_id, stored.payment_source_id)
            except LeanNotFound:
                self._reader.mark_payment_source_deleted(
                    customer_id, stored.payment_source_id, GONE_REASON, self._clock(), read_at=read_at
                )
                gone += 1
                logger.info(
                    "refresh: Lean no longer knows a payment source: marked gone",
                    extra={"payment_source_id": stored.payment_source_id},
                )
            except CustomerErased:  # erased since the call began: nothing more is stored
                return gone
            except LeanApiError as exc:  # kept: the next refresh checks again
                logger.warning(
                    "refresh: an unlisted payment source could not be checked",
                    extra={"payment_source_id": stored.payment_source_id, "reason": exc.reason},
                )
        return gone

    def _coalesced(self, customer_id: str, claim: RefreshClaim) -> RefreshOutcome:
        """Another refresh called (or calls) Lean within the interval: wait for a call under way, then answer
        from storage, or say when to retry after a failed one (and whether retrying can help)."""
        while claim.state is RefreshState.CALLING and claim.called_at is not None:
            waited_enough = claim.called_at + timedelta(seconds=self._deadline_s + WAIT_MARGIN_S)
            if self._clock() >= waited_enough:
                break  # its claimant died: what is stored is the best answer
            self._sleep(POLL_S)
            claim = self._markers.current(customer_id)
        now = self._clock()
        if claim.state is RefreshState.FAILED and claim.retry_at is not None and claim.retry_at > now:
            wait = max(1, math.ceil((claim.retry_at - now).total_seconds()))
            raise RefreshUnavailable(wait, claim.retryable, reason="coalesced")
        return RefreshOutcome(self._reader.list_for_customer(customer_id), called_lean=False, coalesced=True)
