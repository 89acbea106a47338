"""Lean for tests: a scripted fake of the reader, and a real client of the simulator."""

from __future__ import annotations

from typing import Any

from lean_webhooks.models.errors import LeanNotFound
from lean_webhooks.models.payment_source import LeanPaymentSource
from local.aws.resources import local_app_id


class ScriptedLean:
    """Answers with the payment source the test set, or 404 when it is None."""

    def __init__(self) -> None:
        self.source: dict[str, Any] | None = None
        self.calls = 0

    def get_payment_source(self, customer_id: str, payment_source_id: str) -> LeanPaymentSource:
        self.calls += 1
        if self.source is None:
            raise LeanNotFound("Lean API 404", http_status=404, lean_status="RESOURCE_NOT_FOUND")
        return LeanPaymentSource.model_validate(self.source)


def simulator_client(aws):
    from lean_webhooks.adapters.lean.client import LeanClient
    from lean_webhooks.adapters.lean.credentials import LeanCredentials
    from lean_webhooks.runtime.settings.lean import LeanSettings
    from local.aws.resources import LOCAL_CLIENT_SECRET

    settings = LeanSettings(
        api_base_url=aws["lean_url"], auth_base_url=aws["lean_url"], credentials_secret_id="", app_id=local_app_id()
    )
    return LeanClient(settings, LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET))
