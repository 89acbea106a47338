"""The core logs through the standard library; its lines reach the function's output only through the Powertools
handler, so they are redacted like every other line and never printed raw by the Lambda runtime's root handler."""

from __future__ import annotations

import json
import subprocess
import sys

from local.aws import template as tpl

IBAN = "AE070331234567890123456"
# A fresh interpreter set up as Lambda's Python runtime sets itself up: a handler on the root logger that prints
# every record it gets, plainly. Then what a handler imports, then a core module's logger.
PROBE = """
import logging, sys
sys.path.insert(0, {layer!r})
root = logging.getLogger()
root.addHandler(logging.StreamHandler(sys.stdout))
root.setLevel(logging.INFO)
import lean_webhooks.runtime.observability
from lean_webhooks.core import refresh
refresh.logger.warning("Lean said %s", {iban!r}, extra={{"detail": {{"iban": {iban!r}}}}})
"""


def test_a_core_log_line_is_formatted_and_redacted_in_the_functions_output():
    code = PROBE.format(layer=str(tpl.ROOT / "layers" / "common"), iban=IBAN)
    env = {"POWERTOOLS_SERVICE_NAME": "probe", "POWERTOOLS_METRICS_NAMESPACE": "Probe", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert IBAN not in result.stdout + result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]  # once, as JSON: not again through root
    assert line["message"] == "Lean said [REDACTED]" and line["detail"] == {"iban": "[REDACTED]"}
    assert line["level"] == "WARNING" and line["service"] == "probe"
