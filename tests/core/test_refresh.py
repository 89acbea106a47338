"""core/refresh.py: a refresh stores what Lean lists of this application under the write rules and answers with it;
one Lean call per customer per interval (coalesced refreshes wait for a call under way); Lean's failure changes
nothing and says when to come back, and a refresh after that time calls Lean again; Lean's 404 answers what is
stored. A payment source Lean no longer lists is checked with one GET and marked gone on its 404; an item of
Lean's list that cannot be read is skipped and counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lean_webhooks.core.domain_events import domain_events
from lean_webhooks.core.refresh import (
    DEFAULT_RETRY_AFTER_S,
    GONE_REASON,
    WAIT_MARGIN_S,
    PaymentSourceRefresh,
    RefreshUnavailable,
)
from lean_webhooks.core.status_rules import is_push_worthy_activation
from lean_webhooks.core.sync import PaymentSourceSync
from lean_webhooks.models.domain_events import PAYMENT_SOURCE_DELETED
from lean_webhooks.models.errors import LeanAuthError, LeanNotFound, LeanRateLimited, LeanServerError
from lean_webhooks.models.refresh import RefreshState
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED
from lean_webhooks.models.timestamps import iso
from tests.core.builders import (
    BENEFICIARY,
    CUSTOMER,
    OTHER_CUSTOMER,
    OTHER_SOURCE,
    SOURCE,
    lean_lists,
)
from tests.support.fakes import APP_ID, FakeClock, InMemoryStores, ScriptedLean, lean_beneficiary, lean_source

INTERVAL = timedelta(seconds=30)
DEADLINE_S = 8.0


@pytest.fixture
def refresh(lean: ScriptedLean, stores: InMemoryStores, clock: FakeClock) -> PaymentSourceRefresh:
    return PaymentSourceRefresh(
        lean,
        PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock),
        stores.refresh_markers,
        stores.payment_sources,
        min_interval=INTERVAL,
        deadline_s=DEADLINE_S,
        clock=clock,
        sleep=clock.sleep,
    )


def lean_lists_calls(lean: ScriptedLean) -> int:
    return len(lean.calls_of("list_payment_sources"))


def test_a_refresh_stores_what_lean_lists_and_answers_with_it(refresh, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, clock.now + timedelta(hours=20)))
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.called_lean, outcome.coalesced, outcome.stored, outcome.foreign) == (True, False, 1, 0)
    (source,) = outcome.sources
    assert source.payment_source_id == SOURCE and source.fetched_at == iso(clock.now)
    assert [(b.beneficiary_id, b.status) for b in source.beneficiaries] == [(BENEFICIARY, AWAITING_COOL_OFF)]
    assert lean.budgets == [DEADLINE_S]  # the exchange with Lean has its deadline
    assert stores.refresh_markers.current(CUSTOMER).state is RefreshState.DONE


def test_an_activation_stored_by_a_refresh_follows_the_write_rules(refresh, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, AWAITING_COOL_OFF, None))
    refresh.refresh(CUSTOMER)
    clock.advance(minutes=1)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    refresh.refresh(CUSTOMER)
    assert sum(is_push_worthy_activation(c.old, c.new) for c in stores.table.changes) == 1


def test_payment_sources_of_another_application_or_customer_are_not_stored(refresh, lean, stores):
    lean.put(lean_source(CUSTOMER, SOURCE, [lean_beneficiary(BENEFICIARY, ACTIVE)]))
    lean.put(lean_source(CUSTOMER, OTHER_SOURCE, app_id="another-app"))
    lean.put(lean_source(OTHER_CUSTOMER, OTHER_SOURCE), customer_id=CUSTOMER, payment_source_id="listed-under-us")
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.stored, outcome.foreign) == (1, 2)
    assert [s.payment_source_id for s in outcome.sources] == [SOURCE]
    assert stores.customer_records.items_of(OTHER_CUSTOMER) == []


def test_refreshes_within_the_interval_make_one_lean_call(refresh, lean, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    refresh.refresh(CUSTOMER)
    clock.advance(seconds=10)
    again = refresh.refresh(CUSTOMER)
    assert (again.called_lean, again.coalesced) == (False, True)
    assert [s.payment_source_id for s in again.sources] == [SOURCE]  # answered from storage
    assert lean_lists_calls(lean) == 1
    clock.advance(seconds=21)
    assert refresh.refresh(CUSTOMER).called_lean is True and lean_lists_calls(lean) == 2


def test_a_refresh_waits_for_a_call_under_way_then_answers_from_storage(refresh, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    other = stores.refresh_markers.claim(CUSTOMER, clock.now, INTERVAL)  # another refresh is calling Lean

    def the_other_call_ends() -> None:
        if len(clock.sleeps) == 3:
            PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock).store_whole(
                lean.get_payment_source(CUSTOMER, SOURCE), "refresh:other", "refresh", clock.now
            )
            stores.refresh_markers.finish(CUSTOMER, other.claim_id, failed=False, retry_at=None, now=clock.now)

    clock.on_sleep = the_other_call_ends
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.called_lean, outcome.coalesced) == (False, True)
    assert len(clock.sleeps) == 3 and [s.payment_source_id for s in outcome.sources] == [SOURCE]
    assert lean_lists_calls(lean) == 0


def test_a_refresh_stops_waiting_for_a_claimant_that_died(refresh, lean, stores, clock):
    stores.refresh_markers.claim(CUSTOMER, clock.now, INTERVAL)
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.called_lean, outcome.coalesced, outcome.sources) == (False, True, [])
    assert sum(clock.sleeps) == pytest.approx(DEADLINE_S + WAIT_MARGIN_S)  # no longer than the call's own deadline
    assert lean_lists_calls(lean) == 0


def test_a_lean_failure_changes_nothing_and_says_when_to_come_back(refresh, lean, stores, clock):
    lean.fail_next("list_payment_sources", LeanServerError("503", http_status=503, retry_after_s=7.2))
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    with pytest.raises(RefreshUnavailable) as unavailable:
        refresh.refresh(CUSTOMER)
    assert (unavailable.value.retry_after_s, unavailable.value.retryable) == (8, True)
    assert unavailable.value.reason == "http_503:UNKNOWN"
    assert stores.payment_sources.list_for_customer(CUSTOMER) == []
    marker = stores.refresh_markers.current(CUSTOMER)
    assert (marker.state, marker.retry_at) == (RefreshState.FAILED, clock.now + timedelta(seconds=8))
    clock.advance(seconds=3)
    with pytest.raises(RefreshUnavailable) as coalesced:  # others wait too, without calling Lean
        refresh.refresh(CUSTOMER)
    assert (coalesced.value.retry_after_s, coalesced.value.reason) == (5, "coalesced")
    assert lean_lists_calls(lean) == 1


def test_without_lean_saying_when_a_failed_refresh_waits_the_default(refresh, lean, stores, clock):
    lean.fail_next("list_payment_sources", LeanRateLimited("429", http_status=429, lean_status="RATE_LIMIT_EXCEEDED"))
    with pytest.raises(RefreshUnavailable) as unavailable:
        refresh.refresh(CUSTOMER)
    assert unavailable.value.retry_after_s == DEFAULT_RETRY_AFTER_S
    assert unavailable.value.reason == "http_429:RATE_LIMIT_EXCEEDED"


def test_lean_refusing_the_credentials_is_not_worth_retrying(refresh, lean):
    lean.fail_next("list_payment_sources", LeanAuthError("401", http_status=401))
    with pytest.raises(RefreshUnavailable) as unavailable:
        refresh.refresh(CUSTOMER)
    assert unavailable.value.retryable is False


def test_after_the_retry_time_lean_is_called_again(refresh, lean, clock):
    lean.fail_next("list_payment_sources", LeanServerError("503", http_status=503, retry_after_s=60))
    with pytest.raises(RefreshUnavailable):
        refresh.refresh(CUSTOMER)
    clock.advance(seconds=60)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    assert refresh.refresh(CUSTOMER).stored == 1 and lean_lists_calls(lean) == 2


def test_lean_not_knowing_the_customer_answers_what_is_stored(refresh, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    PaymentSourceSync(lean, stores.payment_sources, APP_ID, clock).store_whole(
        lean.get_payment_source(CUSTOMER, SOURCE), "e1", "payment_source.updated", clock.now
    )
    lean.fail_next("list_payment_sources", LeanNotFound("404", http_status=404))
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.called_lean, outcome.stored) == (True, 0)
    assert [s.payment_source_id for s in outcome.sources] == [SOURCE]
    assert stores.refresh_markers.current(CUSTOMER).state is RefreshState.DONE


# ---------- deletions Lean makes, seen by a refresh ----------
def deleted_events(stores: InMemoryStores) -> list:
    return [e for c in stores.table.changes for e in domain_events(c) if e.detail_type == PAYMENT_SOURCE_DELETED]


def stored_then_later(refresh, lean, clock) -> None:
    """The payment source is stored from Lean's list; the next refresh comes after the interval."""
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    refresh.refresh(CUSTOMER)
    clock.advance(seconds=INTERVAL.total_seconds() + 1)


def test_a_payment_source_lean_deleted_is_checked_once_and_marked_gone(refresh, lean, stores, clock):
    stored_then_later(refresh, lean, clock)
    lean.remove(CUSTOMER, SOURCE)  # deleted at Lean (its dashboard, the bank): no webhook
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.gone, outcome.sources) == (1, [])
    assert lean.calls_of("get_payment_source") == [("get_payment_source", CUSTOMER, SOURCE)]  # one GET
    (ben,) = stores.payment_sources.beneficiaries_of(CUSTOMER, SOURCE)
    assert ben.status == DELETED
    clock.advance(seconds=INTERVAL.total_seconds() + 1)
    assert refresh.refresh(CUSTOMER).gone == 0 and len(lean.calls_of("get_payment_source")) == 1  # once
    gone_at = iso(clock.now - INTERVAL - timedelta(seconds=1))
    (event,) = deleted_events(stores)  # one event, derived from the stored transition
    assert (event.detail.payment_source_id, event.detail.reason, event.detail.occurred_at) == (
        SOURCE,
        GONE_REASON,
        gone_at,
    )
    assert GONE_REASON == "lean_not_found"


def test_a_payment_source_the_list_lags_on_is_kept(refresh, lean, stores, clock):
    stored_then_later(refresh, lean, clock)
    lean.unlisted.add((CUSTOMER, SOURCE))  # Lean's GET still answers it
    outcome = refresh.refresh(CUSTOMER)
    assert outcome.gone == 0 and [s.payment_source_id for s in outcome.sources] == [SOURCE]
    assert len(lean.calls_of("get_payment_source")) == 1 and deleted_events(stores) == []


def test_an_unlisted_payment_source_whose_check_fails_is_kept(refresh, lean, stores, clock):
    stored_then_later(refresh, lean, clock)
    lean.remove(CUSTOMER, SOURCE)
    lean.fail_next("get_payment_source", LeanServerError("503", http_status=503))
    outcome = refresh.refresh(CUSTOMER)
    assert outcome.gone == 0 and [s.payment_source_id for s in outcome.sources] == [SOURCE]
    assert deleted_events(stores) == []


def test_lean_not_knowing_the_customer_any_more_marks_what_it_answered_for_gone(refresh, lean, stores, clock):
    stored_then_later(refresh, lean, clock)
    lean.remove(CUSTOMER, SOURCE)
    lean.fail_next("list_payment_sources", LeanNotFound("404", http_status=404))
    assert refresh.refresh(CUSTOMER).gone == 1 and len(deleted_events(stores)) == 1


# ---------- refresh edges ----------
def test_a_refresh_after_the_retry_after_it_answered_calls_lean_again(refresh, lean, clock):
    """Lean's wait (5 s) is shorter than the coalescing interval (30 s): the wait announced is the one that holds."""
    lean.fail_next("list_payment_sources", LeanServerError("503", http_status=503, retry_after_s=5))
    with pytest.raises(RefreshUnavailable) as unavailable:
        refresh.refresh(CUSTOMER)
    assert unavailable.value.retry_after_s == 5
    clock.advance(seconds=5)
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.called_lean, outcome.stored) == (True, 1) and lean_lists_calls(lean) == 2


def test_a_coalesced_answer_after_a_refusal_is_not_called_retryable(refresh, lean, clock):
    lean.fail_next("list_payment_sources", LeanAuthError("401", http_status=401))
    with pytest.raises(RefreshUnavailable):
        refresh.refresh(CUSTOMER)
    clock.advance(seconds=1)
    with pytest.raises(RefreshUnavailable) as coalesced:
        refresh.refresh(CUSTOMER)
    assert (coalesced.value.reason, coalesced.value.retryable) == ("coalesced", False)
    assert lean_lists_calls(lean) == 1


def test_an_unreadable_item_in_leans_list_is_skipped_and_counted(refresh, lean, stores, clock):
    lean_lists(lean, (BENEFICIARY, ACTIVE, None))
    lean.put_unreadable(CUSTOMER, {"id": OTHER_SOURCE, "customer_id": CUSTOMER, "beneficiaries": "not a list"})
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.stored, outcome.unreadable, outcome.gone) == (1, 1, 0)
    assert [s.payment_source_id for s in outcome.sources] == [SOURCE]


def test_a_stored_payment_source_listed_unreadable_is_not_taken_for_deleted(refresh, lean, stores, clock):
    stored_then_later(refresh, lean, clock)
    lean.put_unreadable(CUSTOMER, {"id": SOURCE.upper(), "app_id": 7})  # its id readable: listed
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.unreadable, outcome.gone) == (1, 0) and lean.calls_of("get_payment_source") == []
    lean.put_unreadable(CUSTOMER, {"id": None, "app_id": 7}, key=SOURCE)  # no readable id: checked, unreadable
    clock.advance(seconds=INTERVAL.total_seconds() + 1)
    outcome = refresh.refresh(CUSTOMER)
    assert (outcome.unreadable, outcome.gone) == (1, 0) and len(lean.calls_of("get_payment_source")) == 1
    assert [s.payment_source_id for s in outcome.sources] == [SOURCE]
