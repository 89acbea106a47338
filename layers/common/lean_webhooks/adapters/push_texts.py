"""The pushes' title and body per language: shipped in the layer (English, Arabic), overridable without a code
change by an SSM parameter (`PUSH_TEXTS_PARAMETER`, re-read every 5 minutes) or a file (`PUSH_TEXTS_FILE`)
holding `{"<locale>": {"title": "...", "body": "..."}}`; an override replaces the languages it names."""

from __future__ import annotations

import json
import os
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


def push_texts() -> dict[str, PushText]:
    """The shipped texts with the configured override on top (cached: a parameter is re-read every 5 min)."""
    texts = dict(_shipped())
    if parameter := os.environ.get("PUSH_TEXTS_PARAMETER", "").strip():
        texts |= parse_texts(_ssm().get(parameter, transform="json", max_age=MAX_AGE_S), f"SSM {parameter}")
    if file := os.environ.get("PUSH_TEXTS_FILE", "").strip():
        texts |= parse_texts(json.loads(Path(file).read_text(encoding="utf-8")), file)
    return texts
