"""Write docs/openapi.json: the customer API's OpenAPI document, generated from its typed routes.

python scripts/openapi.py [--check]     # --check: exit 1 when the committed document differs
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from local.aws import template as tpl
from local.aws.functions import load_handler
from scripts.generated import write_or_check

OUT = tpl.ROOT / "docs" / "openapi.json"


def generate() -> str:
    """The document as the customer API's code describes it (its module imported with placeholder settings)."""
    spec = tpl.functions()["CustomerApiFunction"]
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("TABLE_NAME", "openapi")
    module = load_handler(spec, "customer_api_for_openapi")
    from lean_webhooks.runtime import openapi  # importable once the handler has put the layer on the path

    return json.dumps(openapi.document(module.app), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check({OUT: generate()}, argv, str(OUT), "openapi")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
