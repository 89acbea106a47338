"""RefreshMarkers contract: one claim of the call to Lean per customer per interval, the marker saying what the
last call does or did, and a failed call holding every claim back until its `retry_at`, no longer."""

from __future__ import annotations

from datetime import timedelta

from lean_webhooks.models.refresh import RefreshClaim, RefreshState
from tests.unit.contract.conftest import CUSTOMER, NOW, OTHER_CUSTOMER, Backend

INTERVAL = timedelta(seconds=30)
JUST_AFTER = NOW + INTERVAL + timedelta(microseconds=1)


def test_a_customer_never_refreshed_has_no_marker(backend: Backend):
    assert backend.refresh_markers.current(CUSTOMER) == RefreshClaim(RefreshState.NONE)


def test_the_first_refresh_claims_the_call(backend: Backend):
    claim = backend.refresh_markers.claim(CUSTOMER, NOW, INTERVAL)
    assert claim.claimed and claim.state is RefreshState.CALLING and claim.called_at == NOW
    assert backend.refresh_markers.current(CUSTOMER) == RefreshClaim(RefreshState.CALLING, called_at=NOW)


def test_refreshes_within_the_interval_coalesce_on_the_call_under_way(backend: Backend):
    markers = backend.refresh_markers
    markers.claim(CUSTOMER, NOW, INTERVAL)
    for at in (NOW, NOW + timedelta(seconds=10), NOW + INTERVAL):  # the interval's last instant included
        again = markers.claim(CUSTOMER, at, INTERVAL)
        assert not again.claimed and again == RefreshClaim(RefreshState.CALLING, called_at=NOW)


def test_a_finished_call_answers_until_the_interval_is_over(backend: Backend):
    markers = backend.refresh_markers
    first = markers.claim(CUSTOMER, NOW, INTERVAL)
    markers.finish(CUSTOMER, first.claim_id, failed=False, retry_at=None, now=NOW + timedelta(seconds=2))
    assert markers.claim(CUSTOMER, NOW + timedelta(seconds=5), INTERVAL) == RefreshClaim(
        RefreshState.DONE, called_at=NOW
    )
    later = markers.claim(CUSTOMER, JUST_AFTER, INTERVAL)
    assert later.claimed and later.claim_id != first.claim_id and later.called_at == JUST_AFTER


def test_a_failed_call_holds_every_claim_back_until_its_retry_time(backend: Backend):
    markers = backend.refresh_markers
    first = markers.claim(CUSTOMER, NOW, INTERVAL)
    retry_at = NOW + timedelta(minutes=5)
    markers.finish(CUSTOMER, first.claim_id, failed=True, retry_at=retry_at, now=NOW + timedelta(seconds=1))
    held = markers.claim(CUSTOMER, JUST_AFTER, INTERVAL)  # the interval is over, the retry time is not
    assert held == RefreshClaim(RefreshState.FAILED, called_at=NOW, retry_at=retry_at)
    again = markers.claim(CUSTOMER, retry_at, INTERVAL)
    assert again.claimed and again.retry_at is None
    assert markers.current(CUSTOMER) == RefreshClaim(RefreshState.CALLING, called_at=retry_at)  # retry time gone


def test_a_failure_with_a_short_retry_time_is_claimable_again_at_that_time(backend: Backend):
    """The wait a failed refresh announced (Retry-After) is the one that holds, even within the interval."""
    markers = backend.refresh_markers
    first = markers.claim(CUSTOMER, NOW, INTERVAL)
    retry_at = NOW + timedelta(seconds=5)
    markers.finish(CUSTOMER, first.claim_id, failed=True, retry_at=retry_at, now=NOW)
    assert not markers.claim(CUSTOMER, retry_at - timedelta(microseconds=1), INTERVAL).claimed
    assert markers.claim(CUSTOMER, retry_at, INTERVAL).claimed


def test_a_failed_call_says_whether_retrying_can_help(backend: Backend):
    markers = backend.refresh_markers
    first = markers.claim(CUSTOMER, NOW, INTERVAL)
    retry_at = NOW + timedelta(seconds=5)
    markers.finish(CUSTOMER, first.claim_id, failed=True, retry_at=retry_at, now=NOW, retryable=False)
    assert markers.current(CUSTOMER) == RefreshClaim(
        RefreshState.FAILED, called_at=NOW, retry_at=retry_at, retryable=False
    )
    markers.claim(CUSTOMER, retry_at, INTERVAL)
    assert markers.current(CUSTOMER).retryable is True  # a new claim starts afresh


def test_a_stale_claimant_cannot_finish_a_newer_claim(backend: Backend):
    markers = backend.refresh_markers
    first = markers.claim(CUSTOMER, NOW, INTERVAL)
    second = markers.claim(CUSTOMER, JUST_AFTER, INTERVAL)
    markers.finish(CUSTOMER, first.claim_id, failed=True, retry_at=NOW + timedelta(hours=1), now=JUST_AFTER)
    assert markers.current(CUSTOMER) == RefreshClaim(RefreshState.CALLING, called_at=JUST_AFTER)
    markers.finish(CUSTOMER, second.claim_id, failed=False, retry_at=None, now=JUST_AFTER)
    assert markers.current(CUSTOMER).state is RefreshState.DONE


def test_markers_are_per_customer(backend: Backend):
    backend.refresh_markers.claim(CUSTOMER, NOW, INTERVAL)
    assert backend.refresh_markers.claim(OTHER_CUSTOMER, NOW, INTERVAL).claimed
