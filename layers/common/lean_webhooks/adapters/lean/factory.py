"""The Lean client for the credentials currently in Secrets Manager."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from lean_webhooks.adapters.lean.client import LeanClient
from lean_webhooks.adapters.lean.credentials import LeanCredentials
from lean_webhooks.adapters.secrets import get_json_secret

if TYPE_CHECKING:
    from lean_webhooks.runtime.settings.lean import LeanSettings


@cache
def _client(settings: LeanSettings, credentials: LeanCredentials) -> LeanClient:
    return LeanClient(settings, credentials)


def lean_client(settings: LeanSettings) -> LeanClient:
    """One client (and OAuth token) per set of credentials: the secret is re-read through Powertools' cache
    (5 minutes), so rotated credentials get a new client without a cold start."""
    secret = get_json_secret(settings.credentials_secret_id, settings.secret_max_age_s)
    return _client(settings, LeanCredentials.from_secret(secret, settings.auth_mode, settings.environment))
