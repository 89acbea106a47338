"""Refresh a customer's payment sources from Lean: what the app backend calls when the LinkSDK reports success.

The SDK's callback races Lean's webhook, so a refresh does not wait for the webhook: it lists the customer's
payment sources at Lean and stores each one of this application under the same write rules as a
`payment_source.updated` re-sync (an activation stored here is pushed once by the stream path, whoever stores it
first), then answers with what is stored.

Coalesced: at most one call to Lean per customer per `min_interval`, however many refreshes arrive, decided by a
conditional write of the customer's refresh marker in the table. A refresh that finds another one calling Lean
waits for it (no longer than that call's own deadline), then answers from storage; one that finds a recent call
answers from storage at once; one that finds a recent failure is unavailable until the time Lean gave.

Bounded: the exchange with Lean (token and list) has a total deadline. Lean's 429, 5xx or a timeout raise
`RefreshUnavailable` and change nothing stored; Lean's 404 for the customer (nothing created yet) answers what
is stored.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.core.ports import LeanCustomerApi, PaymentSourceReader, RefreshMarkers
from lean_webhooks.models.errors import CustomerErased, LeanApiError, LeanNotFound
from lean_webhooks.models.items import StoredPaymentSource
from lean_webhooks.models.refresh import RefreshClaim, RefreshState
from lean_webhooks.runtime.observability import logger

if TYPE_CHECKING:
    from lean_webhooks.core.sync import PaymentSourceSync

REFRESH_EVENT = "refresh"
DEFAULT_RETRY_AFTER_S = 5.0  # when Lean says nothing of when to come back
POLL_S = 0.25  # how often a coalesced refresh looks whether the call it waits for has finished
WAIT_MARGIN_S = 2.0  # a claimant's call plus its writes: beyond, it is taken for dead and not waited for


class RefreshUnavailable(Exception):
    """Lean could not answer: nothing changed; try again after `retry_after_s`. `retryable` False means Lean
    refused (credentials, an answer this service cannot read): trying again will not help until that is fixed."""

    def __init__(self, retry_after_s: int, retryable: bool = True, reason: str = ""):
        super().__init__(f"Lean unavailable ({reason}); retry after {retry_after_s} s")
        self.retry_after_s, self.retryable, self.reason = retry_after_s, retryable, reason


@dataclass(frozen=True)
class RefreshOutcome:
    sources: list[StoredPaymentSource]
    called_lean: bool
    coalesced: bool = False
    stored: int = 0  # payment sources of this application that Lean listed
    foreign: int = 0  # listed by Lean but of another application (or customer): not stored


class PaymentSourceRefresh:
    """List at Lean, store under the write rules, answer from storage; one Lean call per customer per interval."""

    def __init__(
        self,
        lean: Callable[[], LeanCustomerApi],
        sync: Callable[[], PaymentSourceSync],
        markers: RefreshMarkers,
        reader: PaymentSourceReader,
        min_interval: timedelta,
        deadline_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
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
        stored, foreign = self._call_and_store(customer_id, claim.claim_id)
        self._markers.finish(customer_id, claim.claim_id, failed=False, retry_at=None, now=self._clock())
        return RefreshOutcome(self._reader.list_for_customer(customer_id), True, stored=stored, foreign=foreign)

    def _call_and_store(self, customer_id: str, claim_id: str) -> tuple[int, int]:
        read_at = self._clock()  # what Lean lists is known from here on (the erasure guard judges it by this)
        try:
            lean = self._lean()
            with lean.within(self._deadline_s):
                listed = lean.list_payment_sources(customer_id)
        except LeanNotFound:
            listed = []  # Lean knows no payment source of this customer (yet)
        except LeanApiError as exc:
            wait = max(1, math.ceil(exc.retry_after_s or DEFAULT_RETRY_AFTER_S))
            now = self._clock()
            self._markers.finish(customer_id, claim_id, failed=True, retry_at=now + timedelta(seconds=wait), now=now)
            logger.warning("refresh: Lean failed", extra={"reason": exc.reason})
            raise RefreshUnavailable(wait, exc.retryable, exc.reason) from None
        sync = self._sync()
        stored = foreign = 0
        for source in listed:
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

    def _coalesced(self, customer_id: str, claim: RefreshClaim) -> RefreshOutcome:
        """Another refresh called (or calls) Lean within the interval: wait for a call under way, then answer
        from storage, or say when to retry after a failed one."""
        while claim.state is RefreshState.CALLING and claim.called_at is not None:
            waited_enough = claim.called_at + timedelta(seconds=self._deadline_s + WAIT_MARGIN_S)
            if self._clock() >= waited_enough:
                break  # its claimant died: what is stored is the best answer
            self._sleep(POLL_S)
            claim = self._markers.current(customer_id)
        now = self._clock()
        if claim.state is RefreshState.FAILED and claim.retry_at is not None and claim.retry_at > now:
            raise RefreshUnavailable(max(1, math.ceil((claim.retry_at - now).total_seconds())), reason="coalesced")
        return RefreshOutcome(self._reader.list_for_customer(customer_id), called_lean=False, coalesced=True)
