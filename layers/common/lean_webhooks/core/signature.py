"""Lean webhook signatures: `lean-signature: sha512=<hex>` = HMAC-SHA512(secret, raw body)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "lean-signature"
SCHEME = "sha512"
_DIGEST_BYTES = hashlib.sha512().digest_size


def sign(body: bytes, secret: str) -> str:
    """Header value Lean would send for `body` signed with `secret`."""
    return f"{SCHEME}=" + hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def verify(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True only if `header` is a well-formed signature of `body` by one of the non-empty `secrets`.

    Every secret is checked with a constant-time comparison (no early exit), so timing reveals nothing
    about which secret matched. No usable secret means no match: fail closed.
    """
    if not header:
        return False
    scheme, sep, hex_digest = header.strip().partition("=")
    if not sep or scheme.strip().lower() != SCHEME:
        return False
    try:
        provided = bytes.fromhex(hex_digest.strip())
    except ValueError:
        return False
    if len(provided) != _DIGEST_BYTES:
        return False
    matched = False
    for secret in secrets:
        if secret:
            expected = hmac.new(secret.encode(), body, hashlib.sha512).digest()
            matched |= hmac.compare_digest(expected, provided)
    return matched
