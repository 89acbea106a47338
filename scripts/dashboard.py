"""Write the operator's dashboard (the Dashboard resource's DashboardBody in template.yaml) from the widgets below.

python scripts/dashboard.py [--check]     # --check: exit 1 when template.yaml's body differs

The body is a CloudFormation `!Sub` string: `${Name}` is a resource's Ref, `${Name.Attr}` its attribute. Every
function of the template gets a line in the per-function widgets and every alarm a cell in the alarm widget, both
read from template.yaml, so a new function or alarm needs only `make dashboard`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from local.aws import template as tpl
from scripts.generated import write_or_check

TEMPLATE = tpl.ROOT / "template.yaml"

# (title, service dimension, metric names): the counts the code emits (a test holds the code to this list).
SERVICE_METRICS = [
    (
        "Webhooks: accepted, ignored, unroutable, rejected, failed",
        "webhook",
        ["WebhooksQueued", "WebhooksIgnored", "WebhooksUnroutable", "WebhooksRejected", "WebhooksFailed"],
    ),
    (
        "Sync outcomes",
        "sync_payment_source",
        [
            "MessagesDeadLettered",
            "MessagesDeferred",
            "DuplicatesSkipped",
            "LedgerWriteFailures",
            "ErasedCustomerEvents",
        ],
    ),
    (
        "Events recovered from Lean's Events API",
        "reconcile_events",
        ["EventsSeen", "EventsAlreadyProcessed", "EventsReplayed", "EventsInvalid"],
    ),
    ("Cool-off recovery", "recover_cool_off", ["RecoveryActivations", "RecoveryFailures", "RecoveryParked"]),
    (
        "Pushes: sent, disabled, failed, outcome unknown, possible duplicates",
        "notify_active",
        ["PushesSent", "PushEndpointsDisabled", "PushesFailed", "PushesOutcomeUnknown", "PushesPossiblyDuplicated"],
    ),
    (
        "Pushes caught up by the reconciler, activations abandoned",
        "reconcile_pushes",
        ["PushesReconciled", "PushReconcileFailures", "PushesPossiblyDuplicated", "ActivationsAbandoned"],
    ),
    (
        "Customer API: refreshes, coalesced, failed, erasures, unauthorised",
        "customer_api",
        [
            "Refreshes",
            "RefreshesCoalesced",
            "RefreshesFailed",
            "LeanItemsUnreadable",
            "CustomersErased",
            "ErasuresIncomplete",
            "CustomerApiUnauthorised",
        ],
    ),
    ("Domain events published", "publish_domain_events", ["DomainEventsPublished"]),
]
QUEUES = ["SyncQueue", "SyncDeadLetterQueue", "NotifyFailureQueue", "DomainEventsFailureQueue"]
STREAM_FUNCTIONS = ["NotifyActiveFunction", "PublishDomainEventsFunction"]
# (title, Lambda metric, statistic) of the widgets with one line per function.
FUNCTION_METRICS = [
    ("Function errors", "Errors", "Sum"),
    ("Function throttles", "Throttles", "Sum"),
    ("Function duration (p99, ms)", "Duration", "p99"),
]


def _graph(title: str, stat: str, metrics: list[list[str]]) -> dict:
    return {
        "title": title,
        "region": "${AWS::Region}",
        "stat": stat,
        "period": 300,
        "view": "timeSeries",
        "metrics": metrics,
    }


def widgets(template: dict | None = None) -> list[dict]:
    """The widgets in reading order: graphs two to a row, then every alarm's state across the page."""
    functions = list(tpl.functions(template))
    alarms = list(tpl.of_type("AWS::CloudWatch::Alarm", template))
    service = {
        title: [["LeanWebhooks", m, "service", name] for m in metrics] for title, name, metrics in SERVICE_METRICS
    }
    per_function = {
        title: [["AWS/Lambda", metric, "FunctionName", f"${{{f}}}"] for f in functions]
        for title, metric, _ in FUNCTION_METRICS
    }
    api = [["AWS/ApiGateway", m, "ApiId", "${HttpApi}"] for m in ("Count", "4xx", "5xx")]
    queues = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"${{{q}.QueueName}}"] for q in QUEUES]
    titles = [t for t, _, _ in SERVICE_METRICS]
    graphs = [
        _graph(titles[0], "Sum", service[titles[0]]),
        _graph("HTTP API: requests, 4xx, 5xx", "Sum", api),
        _graph(titles[1], "Sum", service[titles[1]]),
        _graph("Queues: sync backlog, DLQ, failure queues (depth)", "Maximum", queues),
        *(_graph(title, "Sum", service[title]) for title in titles[2:]),
        *(_graph(title, stat, per_function[title]) for title, _, stat in FUNCTION_METRICS),
        _graph(
            "Stream iterator age (max, ms): notifier, domain events",
            "Maximum",
            [["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{f}}}"] for f in STREAM_FUNCTIONS],
        ),
        _graph(
            "Concurrent executions (max)",
            "Maximum",
            [["AWS/Lambda", "ConcurrentExecutions", "FunctionName", f"${{{f}}}"] for f in functions],
        ),
    ]
    placed = [
        {"type": "metric", "x": 12 * (i % 2), "y": 6 * (i // 2), "width": 12, "height": 6, "properties": g}
        for i, g in enumerate(graphs)
    ]
    # The alarm status widget: {"type": "alarm", "properties": {"alarms": [alarm ARN, ...]}} (at most 100 alarms).
    alarm_state = {"title": "Alarms", "alarms": [f"${{{a}.Arn}}" for a in alarms]}
    row = 6 * ((len(graphs) + 1) // 2)
    return [*placed, {"type": "alarm", "x": 0, "y": row, "width": 24, "height": 6, "properties": alarm_state}]


def render(items: list[dict]) -> str:
    """The body as the template holds it: one widget header, then one metric (or alarm) a line."""

    def widget(w: dict) -> str:
        props = dict(w["properties"])
        rows_key = "metrics" if w["type"] == "metric" else "alarms"
        rows = props.pop(rows_key)
        title = props.pop("title")
        head = json.dumps({k: v for k, v in w.items() if k != "properties"})[:-1]
        rest = json.dumps(props)[1:-1]
        lines = [f'  {head}, "properties": {{', f"    {json.dumps('title')}: {json.dumps(title)},"]
        lines.append(f'    {rest}{", " if rest else ""}"{rows_key}": [')
        lines.append(",\n".join(f"      {json.dumps(r)}" for r in rows))
        lines.append("    ]}}")
        return "\n".join(lines)

    return '{"widgets": [\n' + ",\n".join(widget(w) for w in items) + "\n]}\n"


BODY = re.compile(r"(\n      DashboardBody: !Sub \|\n)((?:        .*\n|\n)+?)(?=\S|\n\S)")


def rewrite(text: str, body: str) -> str:
    """template.yaml's text with the dashboard's body replaced (indented as a YAML block scalar)."""
    match = BODY.search(text)
    if not match:
        raise SystemExit("template.yaml: no `DashboardBody: !Sub |` block found")
    block = "".join(f"        {line}\n" if line else "\n" for line in body.splitlines())
    return text[: match.start(2)] + block + text[match.end(2) :]


def main(argv: list[str]) -> int:
    wanted = rewrite(TEMPLATE.read_text(encoding="utf-8"), render(widgets()))
    return write_or_check({TEMPLATE: wanted}, argv, f"the dashboard in {TEMPLATE}", "dashboard")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
