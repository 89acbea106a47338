"""A cold start's floor (`bench/coldstart.py`) makes the AWS calls its function's first request makes: a call added
to a function's path (a guard's read, a transaction) and left out of its floor would count as our own code's time."""

from __future__ import annotations

from bench import coldstart
from local.aws.template import ROOT
from tests.support.clock import shifted_clock_prelude


def test_each_floor_makes_the_aws_calls_of_its_functions_first_request():
    found = coldstart.operations(ROOT / "layers" / "common", shifted_clock_prelude())
    assert set(found) == set(coldstart.FLOOR_CALLS)
    assert all(ours for ours, _ in found.values())  # the trace saw the calls
    assert {name: calls for name, calls in found.items() if calls[0] != calls[1]} == {}
    # the paths production runs: the sync's and the notifier's creations under the erasure guard
    assert found["SyncPaymentSourceFunction"][0].count("TransactWriteItems") == 2
    assert "TransactWriteItems" in found["NotifyActiveFunction"][0]
