"""Logger and Metrics shared by every function, with a last-line PII scrubber on log output."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

NAMESPACE = "LeanWebhooks"

# Patterns that must never reach a log line: IBANs, account/card-like digit runs, APNs tokens (64 hex),
# FCM registration tokens (long url-safe strings), and anything that looks like a bearer token.
_REDACTIONS = (
    re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"),
    re.compile(r"(?<![\w-])\d{9,}(?![\w:-])"),  # not an ARN's account segment (followed by ':')
    re.compile(r"\b[0-9a-fA-F]{64}\b"),
    re.compile(r"[A-Za-z0-9_\-]{20,}:[A-Za-z0-9_\-]{40,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]+"),
)


def redact(text: str) -> str:
    """Replace anything that looks like an IBAN, account number or device token."""
    for pattern in _REDACTIONS:
        text = pattern.sub("[REDACTED]", text)
    return text


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools JSON formatter whose serialised output passes through `redact`."""

    def serialize(self, log: dict[str, Any]) -> str:
        return redact(super().serialize(log))


logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE)
