"""The operator's dashboard in template.yaml: written by scripts/dashboard.py (`make dashboard`), and naming every
function and every alarm of the template."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys

from local.aws import template as tpl

spec = importlib.util.spec_from_file_location("dashboard", tpl.ROOT / "scripts" / "dashboard.py")
dashboard = importlib.util.module_from_spec(spec)
sys.modules["dashboard"] = dashboard
spec.loader.exec_module(dashboard)

PER_FUNCTION = {"Errors", "Throttles", "Duration", "ConcurrentExecutions"}


def widgets_of(template: dict) -> list[dict]:
    """The DashboardBody the template holds, parsed (`${Name}` and `${Name.Attr}` read as `Name`)."""
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([^}.]+)(?:\.\w+)?\}", r"\1", body))["widgets"]


def missing(template: dict) -> dict[str, set[str]]:
    """Functions absent from a per-function graph, and alarms absent from the alarm widget."""
    widgets = widgets_of(template)
    functions = set(tpl.functions(template))
    gaps = {}
    for metric in PER_FUNCTION:
        shown = {m[3] for w in widgets for m in w["properties"].get("metrics", []) if m[:2] == ["AWS/Lambda", metric]}
        gaps[metric] = functions - shown
    alarms = {a for w in widgets if w["type"] == "alarm" for a in w["properties"]["alarms"]}
    gaps["alarms"] = set(tpl.of_type("AWS::CloudWatch::Alarm", template)) - alarms
    return {k: v for k, v in gaps.items() if v}


def test_template_yaml_holds_the_dashboard_the_script_writes():
    text = dashboard.TEMPLATE.read_text(encoding="utf-8")
    assert dashboard.rewrite(text, dashboard.render(dashboard.widgets())) == text, "run make dashboard"


def test_a_body_that_differs_from_the_script_is_out_of_date():
    text = dashboard.TEMPLATE.read_text(encoding="utf-8")
    edited = text.replace('"title": "Alarms"', '"title": "Alarm states"', 1)
    assert edited != text
    assert dashboard.rewrite(edited, dashboard.render(dashboard.widgets())) == text


def test_the_dashboard_names_every_function_and_every_alarm():
    template = tpl.load()
    assert len(tpl.of_type("AWS::CloudWatch::Alarm", template)) >= 27
    assert missing(template) == {}


def test_a_function_or_alarm_left_off_the_dashboard_is_named():
    template = copy.deepcopy(tpl.load())
    resources = template["Resources"]
    resources["ExtraFunction"] = copy.deepcopy(resources["WebhookFunction"])
    resources["ExtraAlarm"] = copy.deepcopy(resources["WebhookErrorsAlarm"])
    assert missing(template) == {metric: {"ExtraFunction"} for metric in PER_FUNCTION} | {"alarms": {"ExtraAlarm"}}


def test_the_script_places_the_widgets_without_overlap():
    cells = set()
    for w in dashboard.widgets():
        area = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not cells & area, w["properties"]["title"]
        assert w["x"] + w["width"] <= 24
        cells |= area
