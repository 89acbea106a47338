"""HMAC-SHA512 over the raw body, `sha512=` prefix, current + previous secret, fail closed."""

import hashlib
import hmac

import pytest

from lean_webhooks.core import signature

BODY = b'{"type":"payment_source.created","payload":{}}'


def test_sign_is_hmac_sha512_of_raw_bytes_with_prefix():
    expected = hmac.new(b"s3cret", BODY, hashlib.sha512).hexdigest()
    assert signature.sign(BODY, "s3cret") == f"sha512={expected}"


def test_valid_signature_with_current_secret():
    assert signature.verify(BODY, signature.sign(BODY, "current"), ("current", "previous"))


def test_previous_secret_is_accepted_during_rotation():
    assert signature.verify(BODY, signature.sign(BODY, "previous"), ("current", "previous"))


def test_unknown_secret_is_refused():
    assert not signature.verify(BODY, signature.sign(BODY, "other"), ("current", "previous"))


def test_any_change_of_the_raw_bytes_is_refused():
    header = signature.sign(BODY, "current")
    assert not signature.verify(BODY + b" ", header, ("current",))
    assert not signature.verify(BODY.replace(b":", b": "), header, ("current",))


@pytest.mark.parametrize("secrets", [(), ("",), ("", "")])
def test_no_usable_secret_fails_closed(secrets):
    assert not signature.verify(BODY, signature.sign(BODY, ""), secrets)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha512", "sha512=", "sha256=" + "0" * 128, "sha512=zz" + "0" * 126, "sha512=" + "0" * 64, "0" * 128],
)
def test_malformed_headers_are_refused(header):
    assert not signature.verify(BODY, header, ("current",))


@pytest.mark.parametrize("scheme", ["sha256", "md5", "sha5120", ""])
def test_the_right_digest_under_another_scheme_is_refused(scheme):
    digest = hmac.new(b"current", BODY, hashlib.sha512).hexdigest()
    assert not signature.verify(BODY, f"{scheme}={digest}", ("current",))


def test_prefix_and_hex_case_are_tolerated():
    digest = hmac.new(b"current", BODY, hashlib.sha512).hexdigest().upper()
    assert signature.verify(BODY, f"SHA512={digest}", ("current",))


def test_comparison_is_constant_time_and_checks_every_secret(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    assert signature.verify(BODY, signature.sign(BODY, "current"), ("current", "previous"))
    assert len(calls) == 2  # no early exit on the first match
