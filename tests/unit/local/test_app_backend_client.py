"""examples/app_backend_client.py refuses to guess a region: a signature scoped to another region gets 403."""

from __future__ import annotations

import pytest

from examples import app_backend_client as example


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def test_the_example_stops_with_a_clear_error_when_no_region_is_given_or_configured(no_region, capsys):
    with pytest.raises(SystemExit) as stopped:
        example.main(["--api-url", "http://127.0.0.1:9", "--customer-id", "c"])
    assert stopped.value.code == 2
    assert "no AWS region: pass --region" in capsys.readouterr().err


def test_the_client_class_refuses_an_empty_region(no_region):
    with pytest.raises(ValueError, match="no AWS region"):
        example.CustomerApi("http://127.0.0.1:9", "")
