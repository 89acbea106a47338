"""Lean API credentials as stored in Secrets Manager."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from lean_webhooks.config import ConfigError


@dataclass(frozen=True)
class LeanCredentials:
    """OAuth client credentials or a legacy app token, plus an optional mTLS client certificate (PEM)."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    client_cert_pem: str = field(default="", repr=False)
    client_key_pem: str = field(default="", repr=False)

    @classmethod
    def from_secret(cls, value: dict[str, Any], auth_mode: str) -> LeanCredentials:
        creds = cls(**{k: str(value.get(k) or "") for k in cls.__dataclass_fields__})
        if auth_mode == "oauth" and not (creds.client_id and creds.client_secret):
            raise ConfigError("Lean credentials secret needs client_id and client_secret for oauth mode")
        if auth_mode == "app_token" and not creds.app_token:
            raise ConfigError("Lean credentials secret needs app_token for app_token mode")
        if bool(creds.client_cert_pem) != bool(creds.client_key_pem):
            raise ConfigError("Lean mTLS needs both client_cert_pem and client_key_pem")
        return creds

    def write_client_cert(self) -> tuple[str, str] | None:
        """Write the mTLS certificate and key to private temp files (requests wants paths)."""
        if not self.client_cert_pem:
            return None
        paths = []
        for suffix, pem in (("cert.pem", self.client_cert_pem), ("key.pem", self.client_key_pem)):
            fd, path = tempfile.mkstemp(prefix="lean-", suffix=suffix)
            with os.fdopen(fd, "w") as handle:
                handle.write(pem)
            os.chmod(path, 0o600)
            paths.append(path)
        return paths[0], paths[1]
