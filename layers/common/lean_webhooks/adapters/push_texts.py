"""The pushes' title and body per language: shipped in the layer (English, Arabic), overridable without a code
change by an SSM parameter (re-read every 5 minutes) or a file holding `{"<locale>": {"title": "...", "body":
"..."}}` (`PushSettings.texts_parameter`, `texts_file`); an override replaces the languages it names."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from lean_webhooks.adapters.aws import client
from lean_webhooks.models.push import LOCALES, PushText
from lean_webhooks.runtime.config import ConfigError

SHIPPED = Path(__file__).resolve().parent.parent / "templates" / "push_texts.json"
MAX_AGE_S = 300
LIMITS = {"title": 100, "body": 500}


def parse_texts(raw: Any, source: str) -> dict[str, PushText]:
    """Validate `{"<locale>": {"title", "body"}}`; a ConfigError names the source and the bad entry."""
    if not isinstance(raw, dict):
        raise ConfigError(f"push texts in {source} must be a JSON object of locales")
    texts = {}
    for locale, entry in raw.items():
        if locale not in LOCALES:
            raise ConfigError(f"push texts in {source}: unknown locale {locale!r} (known: {', '.join(LOCALES)})")
        fields = entry if isinstance(entry, dict) else {}
        for name, limit in LIMITS.items():
            value = fields.get(name)
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise ConfigError(f"push texts in {source}: {locale}.{name} must be 1-{limit} characters")
        texts[locale] = PushText(fields["title"], fields["body"])
    return texts


@cache
def _shipped() -> dict[str, PushText]:
    return parse_texts(json.loads(SHIPPED.read_text(encoding="utf-8")), "the layer")


@cache
def _ssm() -> Any:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # lazy: only with an override

    return SSMProvider(boto3_client=client("ssm"))


def forget_push_texts() -> None:
    """Drop the cached SSM provider (and so the cached parameter): a new AWS context starts afresh."""
    _ssm.cache_clear()


def push_texts(parameter: str = "", file: str = "") -> dict[str, PushText]:
    """The shipped texts with the override of an SSM `parameter` and then of a `file` on top (a parameter is
    cached and re-read every 5 minutes)."""
    texts = dict(_shipped())
    if parameter:
        texts |= parse_texts(_ssm().get(parameter, transform="json", max_age=MAX_AGE_S), f"SSM {parameter}")
    if file:
        texts |= parse_texts(json.loads(Path(file).read_text(encoding="utf-8")), file)
    return texts
