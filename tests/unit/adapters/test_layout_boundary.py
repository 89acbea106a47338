"""The table's layout stays in adapters/dynamodb/: no other module of the layer, and no handler, names a key, an
index attribute or an item kind. They read typed values (`StoredBeneficiary`, `StoredChange`, `ItemKind`, ...),
so the layout can change in one place."""

from __future__ import annotations

import re
from pathlib import Path

from lean_webhooks.adapters.dynamodb import keys
from local.aws import template as tpl

OWNER = tpl.ROOT / "layers" / "common" / "lean_webhooks" / "adapters" / "dynamodb"
KINDS = [keys.PAYMENT_SOURCE, keys.BENEFICIARY, keys.DEVICE, keys.PUSH, keys.EVENT, keys.ENDPOINT, keys.CHECKPOINT]
KINDS += [keys.REFRESH, keys.ERASURE, keys.AWAITING_INDEX_PK]
LAYOUT = re.compile(
    r"gsi\d"  # the indexes' key attributes
    + r"|[\"'](?:pk|sk|entity)[\"']"  # the table's keys and its item-kind attribute, by name
    + r"|CUSTOMER#|ACTIVATED#"  # key prefixes
    + "|"
    + "|".join(rf"[\"']{kind}[\"'#]" for kind in KINDS)  # item kinds, as literals or key prefixes
)


def layout_names(root: Path) -> list[str]:
    """Every line of a source file under `root`, outside adapters/dynamodb/, that names the table's layout."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".json") or OWNER in path.parents:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if LAYOUT.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_module_outside_the_dynamodb_adapters_names_a_key_an_index_attribute_or_an_item_kind():
    assert layout_names(tpl.ROOT / "layers") == []
    assert layout_names(tpl.ROOT / "functions") == []


def test_the_check_finds_each_spelling_it_forbids(tmp_path):
    lines = [
        'new.get("gsi2sk")',
        "if entity == 'BENEFICIARY':",
        'item["sk"]',
        'f"CUSTOMER#{customer_id}"',
        '{"PUSH": "push_markers"}',
        'prefix = "PAYMENT_SOURCE#"',
    ]
    for index, line in enumerate(lines):
        (tmp_path / f"m{index}.py").write_text(line + "\n")
    (tmp_path / "clean.py").write_text('status = "AWAITING_BENEFICIARY_COOL_OFF"  # a Lean status, not a kind\n')
    assert len(layout_names(tmp_path)) == len(lines)
