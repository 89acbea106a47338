"""The template's FilterCriteria, evaluated by moto's EventPattern on real-shaped stream records, agree with
the notifier's own check for every INSERT/MODIFY and status pair."""

from __future__ import annotations

import itertools
import json

import pytest
from moto.events.models import EventPattern

from lean_webhooks.adapters.dynamodb.stream import change_of
from lean_webhooks.adapters.dynamodb.table import to_item
from lean_webhooks.core.status_rules import is_push_worthy_activation
from local.aws import template as tpl
from tests.support.streams import beneficiary, stream_record

STATUSES = [None, "AWAITING_BENEFICIARY_COOL_OFF", "ACTIVE", "SUSPENDED"]
PATTERNS = [EventPattern.load(json.dumps(p)) for p in tpl.filter_patterns("NotifyActiveFunction")]


def passes_filter(record: dict) -> bool:
    return any(p.matches_event(record) for p in PATTERNS)


CASES = [
    (old, new, seen_old, seen_new)
    for old, new in itertools.product(STATUSES, STATUSES[1:])
    for seen_old, seen_new in itertools.product([None, False, True], [None, False, True])
]


@pytest.mark.parametrize(("old", "new", "seen_old", "seen_new"), CASES)
def test_filter_and_handler_check_agree(old, new, seen_old, seen_new):
    old_image, new_image = beneficiary(old, seen_old), beneficiary(new, seen_new)
    record = stream_record(old_image, new_image)
    change = change_of(record)
    expected = is_push_worthy_activation(change.old, change.new)
    assert passes_filter(record) == expected


def test_the_activation_cases_pass_and_the_others_do_not():
    assert passes_filter(stream_record(beneficiary("AWAITING_BENEFICIARY_COOL_OFF", True), beneficiary("ACTIVE", True)))
    assert passes_filter(stream_record(None, beneficiary("ACTIVE", True)))  # updated arrived first
    assert not passes_filter(stream_record(None, beneficiary("ACTIVE", False)))  # ACTIVE at creation
    assert not passes_filter(stream_record(beneficiary("ACTIVE", True), beneficiary("ACTIVE", True)))
    assert not passes_filter(stream_record(beneficiary("ACTIVE", True), None))


def test_other_entities_never_pass():
    item = to_item(
        {"pk": "CUSTOMER#c", "sk": "DEVICE#d", "entity": "DEVICE", "status": "ACTIVE", "cool_off_seen": True}
    )
    assert not passes_filter(stream_record(None, item))
