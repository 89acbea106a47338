"""Typed settings: every value read from the environment in one place, a missing or malformed one a ConfigError
that names the variable and what it must be, raised when the function starts."""

from __future__ import annotations

import pytest

from lean_webhooks.runtime.config import ConfigError
from lean_webhooks.runtime.settings import customer_api as customer_api_settings
from lean_webhooks.runtime.settings import lean as lean_settings
from lean_webhooks.runtime.settings import publisher as publisher_settings
from lean_webhooks.runtime.settings import push as push_settings
from lean_webhooks.runtime.settings import sync as sync_settings
from lean_webhooks.runtime.settings import tables as tables_settings
from lean_webhooks.runtime.settings import webhook as webhook_settings

BASE = {
    "TABLE_NAME": "t",
    "SYNC_QUEUE_URL": "q",
    "SYNC_DLQ_URL": "d",
    "WEBHOOK_SECRET_ID": "s",
    "LEAN_CREDENTIALS_SECRET_ID": "c",
    "LEAN_APP_ID": "app",
    "EVENT_BUS_NAME": "bus",
}
SETTINGS = [
    webhook_settings.WebhookSettings,
    lean_settings.LeanSettings,
    sync_settings.SyncSettings,
    push_settings.PushSettings,
    push_settings.PushReconcileSettings,
    tables_settings.TableSettings,
    tables_settings.ReconcileSettings,
    customer_api_settings.CustomerApiSettings,
    publisher_settings.PublisherSettings,
]


@pytest.fixture
def environment(monkeypatch):
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s.__name__)
def test_every_settings_class_reads_its_environment(environment, settings):
    assert settings.from_env() is not None


@pytest.mark.parametrize(
    ("variable", "value", "settings", "says"),
    [
        ("MAX_RECEIVE_COUNT", "five", sync_settings.SyncSettings, "must be an integer, got 'five'"),
        ("MAX_RECEIVE_COUNT", "0", sync_settings.SyncSettings, "must be at least 1"),
        ("PUSH_LEASE_SECONDS", "-1", push_settings.PushSettings, "must be at least 1"),
        ("LEAN_READ_TIMEOUT_SECONDS", "soon", lean_settings.LeanSettings, "must be a number, got 'soon'"),
        ("LEAN_CALL_DEADLINE_SECONDS", "nan", lean_settings.LeanSettings, "must be at least 1"),
        ("REFRESH_MIN_INTERVAL_SECONDS", "ten", customer_api_settings.CustomerApiSettings, "must be an integer"),
        ("LEAN_REQUEST_BUDGET_SECONDS", "0", customer_api_settings.CustomerApiSettings, "must be at least 1"),
        ("PUSH_RECONCILE_GRACE_SECONDS", "2.5", push_settings.PushReconcileSettings, "must be an integer"),
        ("ALLOWED_SOURCE_CIDRS", "10.0.0.0/33", webhook_settings.WebhookSettings, "invalid CIDR"),
        ("LEAN_AUTH_MODE", "basic", lean_settings.LeanSettings, "LEAN_AUTH_MODE must be"),
        ("LEAN_REGION", "mars", lean_settings.LeanSettings, "LEAN_REGION and LEAN_ENVIRONMENT must be"),
    ],
)
def test_a_malformed_value_is_a_config_error_that_names_it(environment, variable, value, settings, says):
    environment.setenv(variable, value)
    with pytest.raises(ConfigError, match=says) as raised:
        settings.from_env()
    assert variable in str(raised.value)


@pytest.mark.parametrize("variable", sorted(BASE))
def test_a_missing_required_value_names_the_variable(environment, variable):
    environment.delenv(variable)
    failing = [s for s in SETTINGS if _fails(s)]
    assert failing, variable
    for settings in failing:
        with pytest.raises(ConfigError, match=f"{variable} is not set"):
            settings.from_env()


def _fails(settings) -> bool:
    try:
        settings.from_env()
    except ConfigError:
        return True
    return False


def test_a_function_with_a_malformed_setting_fails_its_start_with_that_message(aws, load_function):
    with pytest.raises(ConfigError, match="MAX_RECEIVE_COUNT must be an integer"):
        load_function("SyncPaymentSourceFunction", MAX_RECEIVE_COUNT="five")
