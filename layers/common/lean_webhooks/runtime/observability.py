"""Logger and Metrics shared by every function, with a last-line PII scrubber on log output.

The layer's own modules (the core above all) log through the standard library, each under its module's name
(`logging.getLogger(__name__)`, below `lean_webhooks`). Importing this module hands the `lean_webhooks` logger the
Powertools handler: their lines come out as the same JSON, with the same Lambda context keys and the same
redaction, and never reach the root logger, whose handler (the Lambda runtime's) would print them unredacted.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

NAMESPACE = "LeanWebhooks"

# Patterns that must never reach a log line, in any spelling: IBANs (any case, grouped with spaces, after `_`),
# account numbers (8+ digits, or digit groups joined by dashes), APNs tokens and other long hex strings, FCM
# registration tokens (with or without the colon), JWTs and bearer tokens. ARN account ids (followed by `:`),
# UUIDs and timestamps are kept.
_REDACTIONS = (
    re.compile(r"(?i)(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])"),
    re.compile(r"(?<![\w.-])\d{8,}(?![\w:.-])"),
    re.compile(r"(?<![\w-])(?=(?:\d-?){8,})\d{3,}(?:-\d{3,})+(?![\w-])"),
    re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64,}(?![0-9A-Za-z])"),
    re.compile(r"[A-Za-z0-9_\-]{20,}:[A-Za-z0-9_\-]{40,}"),
    re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{100,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]+"),
)
_SECRETS: set[str] = set()  # secret values read at run time (webhook secrets, client secrets)


def register_secret(value: str) -> None:
    """Redact this exact value (and its lower- and upper-case spellings) from every later log line."""
    if value and len(value) >= 6:
        _SECRETS.update({value, value.lower(), value.upper()})


def redact(text: str) -> str:
    """Replace anything that looks like an IBAN, account number, device token, JWT or a known secret."""
    for secret in _SECRETS:
        text = text.replace(secret, "[REDACTED]")
    for pattern in _REDACTIONS:
        text = pattern.sub("[REDACTED]", text)
    return text


# Keys of Powertools' Lambda context that every line of a function's own log group would repeat (~160 bytes a
# line, a third of CloudWatch Logs' bill): the log group names the function. The request id and cold start stay.
_LOG_GROUP_KEYS = ("function_arn", "function_name", "function_memory_size")


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools JSON formatter without the keys the log group already says, its output passed through `redact`."""

    def serialize(self, log: dict[str, Any]) -> str:
        for name in _LOG_GROUP_KEYS:
            log.pop(name, None)
        return redact(super().serialize(log))


logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE)


def route_layer_logs(source: Logger = logger, name: str = "lean_webhooks") -> None:
    """Send the standard-library loggers below `name` through `source`'s handler (its formatter redacts), at
    its level, and not on to the root logger."""
    layer = logging.getLogger(name)
    handler = source.registered_handler
    if handler not in layer.handlers:
        layer.addHandler(handler)
    layer.setLevel(source.log_level)
    layer.propagate = False


route_layer_logs()


def count(**counts: int) -> None:
    """Add each count (`Name=value`) to the invocation's metrics, flushed when it ends."""
    from aws_lambda_powertools.metrics import MetricUnit

    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_now(name: str, value: int = 1) -> None:
    """Write one count at once (its own EMF line), not at the end of the invocation: for a count that must
    survive the function being killed right after the thing it counts."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
        metric.add_dimension(name="service", value=logger.service)
