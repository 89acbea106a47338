"""The tree's shape: each test module's name says what it tests once in the whole tree, and every Lambda handler
stays a thin shell over its use cases."""

from __future__ import annotations

from collections import defaultdict

from local.aws import template as tpl

HANDLER_MAX_LINES = 120


def test_no_two_test_modules_share_a_name():
    found: dict[str, list[str]] = defaultdict(list)
    for module in (tpl.ROOT / "tests").rglob("test_*.py"):
        found[module.name].append(str(module.relative_to(tpl.ROOT)))
    assert {name: paths for name, paths in found.items() if len(paths) > 1} == {}


def test_every_handler_is_thin():
    sizes = {spec.logical_id: spec.code_dir / "app.py" for spec in tpl.functions().values()}
    lines = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in sizes.items()}
    assert len(lines) == 8 and "CustomerApiFunction" in lines
    assert {name: n for name, n in lines.items() if n > HANDLER_MAX_LINES} == {}
