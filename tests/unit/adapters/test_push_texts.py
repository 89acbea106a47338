"""The push texts (adapters/push_texts.py): the built-in languages, overridden by a file or an SSM parameter and
checked, and the settings that name those overrides."""

from __future__ import annotations

import json

import pytest


def test_push_texts_can_be_overridden_by_a_file_or_an_ssm_parameter(aws, tmp_path):
    from lean_webhooks.adapters import push_texts as texts
    from lean_webhooks.runtime.config import ConfigError

    override = tmp_path / "texts.json"
    override.write_text(json.dumps({"ar": {"title": "جاهز", "body": "يمكنك الدفع الآن"}}), encoding="utf-8")
    loaded = texts.push_texts(file=str(override))
    assert loaded["ar"].title == "جاهز" and loaded["en"].title == "Payment source ready"  # others kept
    import boto3

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/lean/push-texts", Type="String", Value=json.dumps({"en": {"title": "Ready", "body": "Pay now"}})
    )
    assert texts.push_texts(parameter="/lean/push-texts")["en"].title == "Ready"
    override.write_text(json.dumps({"fr": {"title": "Prêt", "body": "Payez"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown locale 'fr'"):
        texts.push_texts(parameter="/lean/push-texts", file=str(override))
    override.write_text(json.dumps({"en": {"title": "", "body": "x"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"en\.title"):
        texts.push_texts(file=str(override))


def test_the_push_texts_settings_come_from_the_environment(monkeypatch):
    from lean_webhooks.runtime.settings.push import PushSettings

    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("PUSH_TEXTS_PARAMETER", " /lean/push-texts ")
    monkeypatch.setenv("PUSH_TEXTS_FILE", "/tmp/texts.json")
    settings = PushSettings.from_env()
    assert (settings.texts_parameter, settings.texts_file) == ("/lean/push-texts", "/tmp/texts.json")
