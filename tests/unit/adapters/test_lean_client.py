"""Lean API client against the Lean simulator on loopback: auth modes, retries, typed errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lean_webhooks.adapters.lean.client import LeanClient, build_session
from lean_webhooks.adapters.lean.credentials import LeanCredentials
from lean_webhooks.models.errors import (
    LeanAuthError,
    LeanNotFound,
    LeanRateLimited,
    LeanResponseInvalid,
    LeanServerError,
    LeanUnavailable,
)
from lean_webhooks.runtime.config import ConfigError
from lean_webhooks.runtime.settings.lean import LeanSettings
from local.aws.resources import LOCAL_CLIENT_SECRET, local_app_id
from local.harness import samples


def settings(url: str, mode: str = "oauth", **kw) -> LeanSettings:
    kw.setdefault("credentials_secret_id", "x")
    return LeanSettings(api_base_url=url, auth_base_url=url, auth_mode=mode, app_id=local_app_id(), **kw)


@pytest.fixture
def flow(lean_sim):
    sim, _ = lean_sim
    flow = samples.ids("client")
    sim.state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.AWAITING
    )
    return flow


@pytest.fixture
def oauth_client(lean_sim):
    creds = LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    return LeanClient(settings(lean_sim[1], backoff_s=0.01), creds)


def test_oauth_token_is_fetched_once_and_cached(lean_sim, oauth_client, flow):
    for _ in range(3):
        source = oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert source.id == flow["payment_source_id"]
    assert lean_sim[0].state.stats["token"] == 1 and lean_sim[0].state.stats["api"] == 3


def test_token_is_refreshed_after_expiry(lean_sim, flow):
    now = [0.0]
    creds = LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    client = LeanClient(settings(lean_sim[1]), creds, clock=lambda: now[0])
    client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    now[0] = 3600.0
    client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert lean_sim[0].state.stats["token"] == 2


def test_legacy_app_token_mode(lean_sim, flow):
    client = LeanClient(settings(lean_sim[1], mode="app_token"), LeanCredentials(app_token="unit-app-token"))
    assert client.get_payment_source(flow["customer_id"], flow["payment_source_id"]).customer_id == flow["customer_id"]
    assert "token" not in lean_sim[0].state.stats


def test_list_payment_sources(oauth_client, flow):
    [source] = oauth_client.list_payment_sources(flow["customer_id"])
    assert source.id == flow["payment_source_id"]


def test_an_unreadable_list_item_is_set_apart_by_its_id_and_the_others_read(lean_sim, oauth_client, flow):
    held = lean_sim[0].state.payment_sources
    unreadable = {
        "4F0A6B6E-1C2D-4E5F-8A9B-0C1D2E3F4A5B": {"id": "4F0A6B6E-1C2D-4E5F-8A9B-0C1D2E3F4A5B", "beneficiaries": 7},
        "no-id": {"id": "not-a-lean-id", "iban": "AE070331234567890123456"},
        "not-an-object": ["AE070331234567890123456"],
    }
    for key, item in unreadable.items():
        held[(flow["customer_id"], key.lower())] = item
    listing = oauth_client.read_payment_sources(flow["customer_id"])
    assert [s.id for s in listing.sources] == [flow["payment_source_id"]]
    assert listing.unreadable_ids == ["4f0a6b6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", None, None]
    with pytest.raises(LeanResponseInvalid):  # the strict list refuses it whole
        oauth_client.list_payment_sources(flow["customer_id"])


def test_a_list_answer_that_is_not_a_list_is_invalid():
    import responses

    client = LeanClient(settings("https://lean.test", mode="app_token"), LeanCredentials(app_token="t"))
    with responses.RequestsMock() as lean:
        lean.get("https://lean.test/customers/v1/c1/payment-sources", json={"data": []})
        with pytest.raises(LeanResponseInvalid):
            client.read_payment_sources("c1")


def test_transient_5xx_is_retried_with_backoff(lean_sim, oauth_client, flow):
    oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])  # token first
    from local.lean_sim import Fault

    lean_sim[0].state.faults.append(Fault(status=503, count=2))
    assert oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert lean_sim[0].state.stats["faults"] == 2


@pytest.mark.parametrize(
    ("status", "error", "lean_status"),
    [
        (503, LeanServerError, "SERVICE_UNAVAILABLE"),
        (429, LeanRateLimited, "RATE_LIMIT_EXCEEDED"),
    ],
)
def test_persistent_failures_raise_typed_errors_with_lean_status(
    lean_sim, oauth_client, flow, status, error, lean_status
):
    oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    from local.lean_sim import Fault

    lean_sim[0].state.faults.append(Fault(status=status, count=None))
    with pytest.raises(error) as raised:
        oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert raised.value.lean_status == lean_status and raised.value.retryable
    assert raised.value.reason == f"http_{status}:{lean_status}"
    assert lean_sim[0].state.stats["faults"] == 3  # first try + 2 retries


def test_timeouts_become_lean_unavailable(lean_sim, flow):
    from local.lean_sim import Fault

    creds = LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    client = LeanClient(settings(lean_sim[1], read_timeout_s=0.2, max_retries=0), creds)
    client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    lean_sim[0].state.faults.append(Fault(delay_s=1.0, count=1))
    with pytest.raises(LeanUnavailable) as raised:
        client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert raised.value.retryable


def test_not_found_is_retryable_and_bad_credentials_are_not(lean_sim, oauth_client, flow):
    with pytest.raises(LeanNotFound) as missing:
        oauth_client.get_payment_source(flow["customer_id"], samples.ids("other")["payment_source_id"])
    assert missing.value.retryable
    bad = LeanClient(settings(lean_sim[1]), LeanCredentials(client_id="nope", client_secret="nope"))
    with pytest.raises(LeanAuthError) as denied:
        bad.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert not denied.value.retryable


def test_unexpected_shape_is_refused_without_echoing_values(lean_sim, oauth_client, flow):
    lean_sim[0].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = {"id": "x", "iban": "AE1"}
    with pytest.raises(LeanResponseInvalid) as raised:
        oauth_client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert "AE1" not in str(raised.value) and not raised.value.retryable


def test_credentials_are_validated_per_mode():
    with pytest.raises(ConfigError):
        LeanCredentials.from_secret({"client_id": "a"}, "oauth")
    with pytest.raises(ConfigError):
        LeanCredentials.from_secret({"client_id": "a", "client_secret": "b"}, "app_token")
    with pytest.raises(ConfigError):
        LeanCredentials.from_secret({"app_token": "t", "client_cert_pem": "PEM"}, "app_token")
    creds = LeanCredentials.from_secret({"client_id": "a", "client_secret": "b"}, "oauth")
    assert "b" not in repr(creds).replace("client_id='a'", "")


def test_mtls_certificate_chain_and_ca_bundle_are_written_privately_and_used(lean_sim):
    """Lean's examples send the client certificate followed by Lean's chain, and verify Lean with Lean's CA."""
    creds = LeanCredentials(
        app_token="t", client_cert_pem="CERT", client_key_pem="KEY", client_chain_pem="CHAIN", ca_bundle_pem="CA"
    )
    session = build_session(0)
    LeanClient(settings(lean_sim[1], mode="app_token"), creds, session=session)
    cert, key = session.cert
    assert Path(cert).read_text() == "CERT\nCHAIN\n" and Path(key).read_text() == "KEY"
    assert Path(session.verify).read_text() == "CA"
    for path in (cert, key, session.verify):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_without_a_ca_bundle_the_system_trust_store_verifies_lean(lean_sim):
    session = build_session(0)
    LeanClient(settings(lean_sim[1]), LeanCredentials(client_id="a", client_secret="b"), session=session)
    assert session.verify is True and session.cert is None


def test_production_app_token_without_a_certificate_is_a_start_up_error():
    with pytest.raises(ConfigError, match="mTLS"):
        LeanCredentials.from_secret({"app_token": "t"}, "app_token", "production")
    LeanCredentials.from_secret({"app_token": "t"}, "app_token", "sandbox")  # sandbox needs no mTLS
    with_cert = {"app_token": "t", "client_cert_pem": "C", "client_key_pem": "K"}
    assert LeanCredentials.from_secret(with_cert, "app_token", "production").client_cert_pem == "C"


@pytest.mark.parametrize(
    ("region", "env", "mode", "api", "auth"),
    [
        ("uae", "sandbox", "oauth", "https://sandbox.leantech.me", "https://auth.sandbox.leantech.me"),
        ("uae", "production", "oauth", "https://api2.leantech.me", "https://auth.leantech.me"),
        ("uae", "production", "app_token", "https://api.leantech.me", "https://auth.leantech.me"),
        ("ksa", "sandbox", "oauth", "https://sandbox.sa.leantech.me", "https://auth.sandbox.sa.leantech.me"),
        ("ksa", "production", "oauth", "https://api2.sa.leantech.me", "https://auth.sa.leantech.me"),
        ("ksa", "production", "app_token", "https://api.sa.leantech.me", "https://auth.sa.leantech.me"),
    ],
)
def test_published_hosts_per_region_environment_and_auth_mode(monkeypatch, region, env, mode, api, auth):
    monkeypatch.setenv("LEAN_REGION", region)
    monkeypatch.setenv("LEAN_ENVIRONMENT", env)
    monkeypatch.setenv("LEAN_AUTH_MODE", mode)
    monkeypatch.setenv("LEAN_CREDENTIALS_SECRET_ID", "s")
    monkeypatch.setenv("LEAN_APP_ID", " 2c9280887230f322017231b408cf0007 ")
    monkeypatch.delenv("LEAN_API_BASE_URL", raising=False)
    monkeypatch.delenv("LEAN_AUTH_BASE_URL", raising=False)
    loaded = LeanSettings.from_env()
    assert (loaded.api_base_url, loaded.auth_base_url) == (api, auth)
    assert loaded.app_id == "2c9280887230f322017231b408cf0007" and loaded.environment == env


def test_rotated_credentials_get_a_new_client(aws, monkeypatch):
    """The credentials secret is re-read through the Parameters cache: after rotation, a new client."""
    import json

    from lean_webhooks.adapters.lean.factory import lean_client
    from lean_webhooks.adapters.secrets import forget_secrets

    lean = settings(aws["lean_url"], credentials_secret_id=aws["refs"]["LeanCredentialsSecret"])
    first = lean_client(lean)
    assert lean_client(lean) is first
    aws["clients"]["secretsmanager"].put_secret_value(
        SecretId=aws["refs"]["LeanCredentialsSecret"],
        SecretString=json.dumps({"client_id": local_app_id(), "client_secret": "rotated"}),
    )
    assert lean_client(lean) is first  # still cached
    forget_secrets()  # what the 5-minute max_age does
    assert lean_client(lean) is not first


def test_a_trickling_answer_is_cut_at_the_calls_deadline(lean_sim, flow):
    """Each socket read is within the read timeout, but the answer as a whole would take far longer."""
    from local.lean_sim import Fault

    creds = LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    client = LeanClient(settings(lean_sim[1], read_timeout_s=1.0, call_deadline_s=1.5, max_retries=0), creds)
    client.list_payment_sources(flow["customer_id"])  # the token call is not the one being slowed down
    lean_sim[0].state.faults.append(Fault(trickle_s=0.2, count=1))  # ~60 pieces of 16 bytes: ~12 s
    with pytest.raises(LeanUnavailable) as raised:
        client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert raised.value.lean_status == "deadline" and raised.value.retryable


def test_retry_after_waits_stop_at_the_calls_deadline(lean_sim, flow):
    from local.lean_sim import Fault

    creds = LeanCredentials(client_id=local_app_id(), client_secret=LOCAL_CLIENT_SECRET)
    client = LeanClient(settings(lean_sim[1], call_deadline_s=1.5, max_retries=5, backoff_s=0.01), creds)
    client.list_payment_sources(flow["customer_id"])  # the token fetched before the faults
    lean_sim[0].state.faults.append(Fault(status=429, count=None))  # each answer says Retry-After: 1
    with pytest.raises(LeanUnavailable) as raised:
        client.get_payment_source(flow["customer_id"], flow["payment_source_id"])
    assert raised.value.lean_status == "deadline"
    assert lean_sim[0].state.stats["faults"] == 2  # tried, waited 1 s, tried: another wait would pass 1.5 s


def test_the_use_cases_lean_follows_rotated_credentials_call_by_call(aws, monkeypatch):
    """A use case keeps one `CurrentLeanClient`; each call goes to the client of the credentials now in the secret."""
    import json

    from lean_webhooks.adapters.lean.current import CurrentLeanClient
    from lean_webhooks.adapters.secrets import forget_secrets

    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.ACTIVE
    )
    current = CurrentLeanClient(settings(aws["lean_url"], credentials_secret_id=aws["refs"]["LeanCredentialsSecret"]))
    first = current.client()
    assert current.get_payment_source(flow["customer_id"], flow["payment_source_id"]).id == flow["payment_source_id"]
    aws["clients"]["secretsmanager"].put_secret_value(
        SecretId=aws["refs"]["LeanCredentialsSecret"],
        SecretString=json.dumps({"client_id": local_app_id(), "client_secret": "rotated"}),
    )
    forget_secrets()  # what the 5-minute max_age does
    assert current.client() is not first
