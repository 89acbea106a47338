"""Secrets the test stacks are started with (local values, not real credentials)."""

from __future__ import annotations

WEBHOOK_SECRET = "unit-webhook-secret"
INTEGRATION_SECRET = "integration-webhook-secret"
