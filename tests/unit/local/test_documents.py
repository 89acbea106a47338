"""The documents name tests that exist and repeat the code's figures: a renamed test or a changed default fails here."""

from __future__ import annotations

import re

from lean_webhooks.adapters.dynamodb.keys import LEDGER_TTL
from lean_webhooks.core.cool_off_recovery import MAX_RECHECK_FAILURES
from local.aws import template as tpl
from local.aws.template import ROOT

DOCUMENTS = {p.relative_to(ROOT).as_posix(): p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]}
NAMED = re.compile(r"(tests/[\w/]+\.py)|\b(test_\w+)\b(?!\.py)")


def figures(pattern: str) -> dict[str, list[str]]:
    """Every match of `pattern`'s one group, per document that has one."""
    found = {path: re.findall(pattern, text) for path, text in DOCUMENTS.items()}
    return {path: values for path, values in found.items() if values}


def test_every_test_a_document_names_is_defined_in_the_test_file_named_before_it():
    missing = []
    for path, text in DOCUMENTS.items():
        test_file = None
        for match in NAMED.finditer(text):
            if match.group(1):
                test_file = ROOT / match.group(1)
                continue
            name = match.group(2)
            if test_file is None or not test_file.exists():
                missing.append((path, name, "no test file named before it"))
            elif not re.search(rf"def {name}\b", test_file.read_text()):
                missing.append((path, name, test_file.relative_to(ROOT).as_posix()))
    assert missing == []


def test_the_erasure_hold_and_the_refresh_interval_are_the_templates_defaults():
    defaults = tpl.parameter_defaults()
    hold = figures(r"ErasureHoldDays`? \((\d+)\)|`ErasureHoldDays` is (\d+)|ErasureHoldDays` \| .*?\(default (\d+)")
    assert hold and {v for values in hold.values() for group in values for v in group if v} == {
        str(defaults["ErasureHoldDays"])
    }
    interval = figures(r"RefreshMinIntervalSeconds`? \((\d+) s\)|RefreshMinIntervalSeconds` \| .*?\(default (\d+)\)")
    assert interval and {v for values in interval.values() for group in values for v in group if v} == {
        str(defaults["RefreshMinIntervalSeconds"])
    }


def test_reserved_concurrency_ledger_retention_and_recheck_failures_are_the_codes():
    reserved = sum(
        spec["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1]
        for spec in tpl.of_type("AWS::Serverless::Function").values()
    )
    assert figures(r"\((\d+) in all\)") == {"docs/operations.md": [str(reserved)]}
    assert set(figures(r"event ledger, kept (\d+) days").get("docs/guarantees.md", [])) == {str(LEDGER_TTL.days)}
    parked = figures(r"parked after (\d+) failures")
    assert parked and {v for values in parked.values() for v in values} == {str(MAX_RECHECK_FAILURES)}
