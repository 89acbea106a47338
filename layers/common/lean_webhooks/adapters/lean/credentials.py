"""Lean API credentials as stored in Secrets Manager.

{"client_id", "client_secret"}            OAuth client credentials (client_id = the application id)
{"app_token"}                             legacy `lean-app-token` header
"client_cert_pem", "client_key_pem"       mTLS client certificate (PEM) and its key; Lean's examples send
                                          the certificate concatenated with Lean's chain: put both in
                                          client_cert_pem, or the chain in "client_chain_pem"
"ca_bundle_pem"                           CA chain that verifies Lean's server (Lean's CA for mTLS hosts)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from lean_webhooks.runtime.config import ConfigError
from lean_webhooks.runtime.observability import register_secret


@dataclass(frozen=True)
class LeanCredentials:
    """OAuth client credentials or a legacy app token, plus optional mTLS material (PEM)."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    client_cert_pem: str = field(default="", repr=False)
    client_key_pem: str = field(default="", repr=False)
    client_chain_pem: str = field(default="", repr=False)
    ca_bundle_pem: str = field(default="", repr=False)

    @classmethod
    def from_secret(cls, value: dict[str, Any], auth_mode: str, environment: str = "sandbox") -> LeanCredentials:
        creds = cls(**{k: str(value.get(k) or "").strip() for k in cls.__dataclass_fields__})
        for secret in (creds.client_secret, creds.app_token, creds.client_key_pem):
            register_secret(secret)  # never in a log line
        if auth_mode == "oauth" and not (creds.client_id and creds.client_secret):
            raise ConfigError("Lean credentials secret needs client_id and client_secret for oauth mode")
        if auth_mode == "app_token" and not creds.app_token:
            raise ConfigError("Lean credentials secret needs app_token for app_token mode")
        if bool(creds.client_cert_pem) != bool(creds.client_key_pem):
            raise ConfigError("Lean mTLS needs both client_cert_pem and client_key_pem")
        if creds.client_chain_pem and not creds.client_cert_pem:
            raise ConfigError("client_chain_pem is sent after client_cert_pem: set the certificate too")
        if auth_mode == "app_token" and environment == "production" and not creds.client_cert_pem:  # see LeanSettings
            raise ConfigError(
                "Lean production with the legacy app token needs mTLS: put client_cert_pem and client_key_pem "
                "(and Lean's CA in ca_bundle_pem) in the credentials secret, or use oauth"
            )
        return creds

    def write_client_cert(self) -> tuple[str, str] | None:
        """Write the mTLS certificate (followed by its chain) and key to private temp files (requests wants
        paths)."""
        if not self.client_cert_pem:
            return None
        chain = "\n".join(p.strip() for p in (self.client_cert_pem, self.client_chain_pem) if p) + "\n"
        return _private_file("cert.pem", chain), _private_file("key.pem", self.client_key_pem)

    def write_ca_bundle(self) -> str | None:
        """Write the CA bundle that verifies Lean's server; None means the system's trust store."""
        return _private_file("ca.pem", self.ca_bundle_pem) if self.ca_bundle_pem else None


def _private_file(suffix: str, content: str) -> str:
    fd, path = tempfile.mkstemp(prefix="lean-", suffix=suffix)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    return path
