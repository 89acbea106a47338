"""PushMarkers contract: every claim outcome (CLAIMED, IN_FLIGHT, RECLAIMED, SENT), leases, release, and a lost
answer that ends the lease at once; every one the same for a claim under the erasure guard (of a customer never
erased: the guard changes nothing then)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lean_webhooks.models.push import Claim
from tests.unit.contract.conftest import CUSTOMER, NOW, Backend

LEASE = timedelta(seconds=35)
BEN, PHONE = "b1", "phone"


READ_AT: list[datetime | None] = [None]  # the activation's time a claim carries (None: no erasure guard)


@pytest.fixture(autouse=True, params=["unguarded", "guarded"])
def _guarded(request: pytest.FixtureRequest):
    READ_AT[0] = NOW - timedelta(days=1) if request.param == "guarded" else None
    yield
    READ_AT[0] = None


def claim(backend: Backend, at=NOW, device: str = PHONE, beneficiary: str = BEN):
    return backend.push_markers.claim(CUSTOMER, beneficiary, device, at, LEASE, read_at=READ_AT[0])


def test_the_first_claim_holds_the_push(backend: Backend):
    first = claim(backend)
    assert first.claim is Claim.CLAIMED and first.held and len(first.claim_id) == 36 and first.lease_until is None


def test_a_claim_within_the_lease_finds_it_in_flight_until_the_lease_ends(backend: Backend):
    claim(backend)
    second = claim(backend, NOW + timedelta(seconds=10))
    assert second.claim is Claim.IN_FLIGHT and not second.held and second.claim_id == ""
    assert second.lease_until == NOW + LEASE
    at_the_end = claim(backend, NOW + LEASE)  # the lease runs until its last instant
    assert at_the_end.claim is Claim.IN_FLIGHT and at_the_end.lease_until == NOW + LEASE


def test_a_claim_whose_lease_ran_out_is_taken_over(backend: Backend):
    first = claim(backend)
    second = claim(backend, NOW + LEASE + timedelta(microseconds=1))
    assert second.claim is Claim.RECLAIMED and second.held and second.claim_id != first.claim_id
    assert claim(backend, NOW + LEASE + timedelta(seconds=1)).claim is Claim.IN_FLIGHT  # the new lease holds
    assert backend.push_markers.sent(CUSTOMER, BEN, PHONE, first.claim_id, NOW) is False  # the old claim lost it
    assert backend.push_markers.sent(CUSTOMER, BEN, PHONE, second.claim_id, NOW) is True


def test_a_sent_push_is_never_claimed_again(backend: Backend):
    first = claim(backend)
    assert backend.push_markers.sent(CUSTOMER, BEN, PHONE, first.claim_id, NOW) is True
    for later in (NOW, NOW + LEASE * 10):
        again = claim(backend, later)
        assert again.claim is Claim.SENT and not again.held and again.lease_until is None
    assert backend.push_markers.release(CUSTOMER, BEN, PHONE, first.claim_id) is False  # sent is final
    assert backend.push_markers.outcome_unknown(CUSTOMER, BEN, PHONE, first.claim_id, NOW) is False


def test_a_released_claim_is_claimed_afresh(backend: Backend):
    first = claim(backend)
    assert backend.push_markers.release(CUSTOMER, BEN, PHONE, "someone-else") is False
    assert claim(backend, NOW + timedelta(seconds=1)).claim is Claim.IN_FLIGHT
    assert backend.push_markers.release(CUSTOMER, BEN, PHONE, first.claim_id) is True
    assert claim(backend, NOW + timedelta(seconds=1)).claim is Claim.CLAIMED  # nobody may have published
    assert backend.push_markers.release(CUSTOMER, BEN, PHONE, first.claim_id) is False


def test_a_lost_answer_ends_the_lease_so_that_a_claim_at_that_instant_takes_over(backend: Backend):
    first = claim(backend)
    assert backend.push_markers.outcome_unknown(CUSTOMER, BEN, PHONE, "someone-else", NOW) is False
    assert backend.push_markers.outcome_unknown(CUSTOMER, BEN, PHONE, first.claim_id, NOW + timedelta(seconds=3))
    second = claim(backend, NOW + timedelta(seconds=3))
    assert second.claim is Claim.RECLAIMED and second.held  # counted as a possible duplicate
    assert backend.push_markers.outcome_unknown(CUSTOMER, BEN, PHONE, first.claim_id, NOW) is False


def test_a_claim_never_made_cannot_be_sent_released_or_left_unknown(backend: Backend):
    assert backend.push_markers.sent(CUSTOMER, BEN, PHONE, "nope", NOW) is False
    assert backend.push_markers.release(CUSTOMER, BEN, PHONE, "nope") is False
    assert backend.push_markers.outcome_unknown(CUSTOMER, BEN, PHONE, "nope", NOW) is False
    assert claim(backend).claim is Claim.CLAIMED  # `sent` created no marker


def test_markers_are_per_activation_and_device(backend: Backend):
    first = claim(backend)
    backend.push_markers.sent(CUSTOMER, BEN, PHONE, first.claim_id, NOW)
    assert claim(backend, device="tablet").claim is Claim.CLAIMED
    assert claim(backend, beneficiary="b2").claim is Claim.CLAIMED
    assert backend.push_markers.claim("another-customer", BEN, PHONE, NOW, LEASE).claim is Claim.CLAIMED
