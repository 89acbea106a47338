"""Write docs/events/<detail type>.json: a JSON Schema per domain event detail type, generated from the models
(`lean_webhooks.models.domain_events`), as EventBridge delivers them (`detail` of an event of source
`lean.payment-sources`).

python scripts/event_schemas.py [--check]     # --check: exit 1 when a committed schema differs
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from pydantic import TypeAdapter

from lean_webhooks.models.domain_events import DETAIL_TYPES, FIELD_DOCS, SOURCE
from scripts.generated import write_or_check

OUT = Path(__file__).resolve().parents[1] / "docs" / "events"


def file_name(detail_type: str) -> str:
    return detail_type.lower().replace(" ", "-") + ".json"


def schema(detail_type: str) -> dict:
    """The detail's JSON Schema: its fields, each described, none optional; no account data can appear."""
    model = DETAIL_TYPES[detail_type]
    document = TypeAdapter(model).json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = detail_type
    document["description"] = (
        f"`detail` of the EventBridge event of source `{SOURCE}` and detail-type `{detail_type}`. "
        + " ".join((model.__doc__ or "").split())
    )
    document["additionalProperties"] = False
    for name, field in document["properties"].items():
        field["description"] = FIELD_DOCS[name]
        field.pop("title", None)
    return document


def generate() -> dict[str, str]:
    return {
        file_name(t): json.dumps(schema(t), indent=2, ensure_ascii=False, sort_keys=True) + "\n" for t in DETAIL_TYPES
    }


def main(argv: list[str]) -> int:
    wanted = {OUT / name: text for name, text in generate().items()}
    return write_or_check(wanted, argv, str(OUT), "schemas", stale=OUT.glob("*.json"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
