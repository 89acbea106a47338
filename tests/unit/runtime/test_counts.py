"""`observability.count`: each named count joins the invocation's metrics (one EMF line when they are flushed)."""

from __future__ import annotations

import json

from lean_webhooks.runtime.observability import NAMESPACE, count, metrics


def test_each_named_count_joins_the_invocations_metrics(capsys):
    metrics.clear_metrics()  # nothing another test left
    count(RecoveryActivations=2, RecoveryParked=0)
    metrics.flush_metrics()
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert line["RecoveryActivations"] == [2.0] and line["RecoveryParked"] == [0.0]
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "RecoveryActivations": "Count",
        "RecoveryParked": "Count",
    }
