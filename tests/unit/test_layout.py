"""The tree's shape: each test module's name says what it tests once in the whole tree, a handler's test module
runs one handler (flows across handlers live in tests/unit/flows/), and every Lambda handler stays a thin shell
over its use cases."""

from __future__ import annotations

import re
from collections import defaultdict

from local.aws import template as tpl

HANDLER_MAX_LINES = 120
# A handler reached from a test: by its logical id (`load_function("WebhookFunction")`), or by its code's path.
LOADED = re.compile(r"""load_function\(\s*["'](\w+)["']""")
CODE_PATH = re.compile(r"""functions[/"', ]+(\w+)[/"', ]+app\.py|functions\.(\w+)\.app""")
# ... or by a name computed at run time: any handler, so never one alone
COMPUTED = re.compile(r"""load_function\(\s*[^\s"')]|\.functions\(\)\[\s*[^\s"']|\.functions\(\)\.(?:values|items)\(""")
ANY = "a handler named at run time"


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


def handlers_reached(source: str) -> set[str]:
    """The template functions a test module loads, named by logical id."""
    by_code = {spec.code_dir.name: spec.logical_id for spec in tpl.functions().values()}
    found = set(LOADED.findall(source))
    found |= {by_code.get(a or b, a or b) for a, b in CODE_PATH.findall(source)}
    return found | ({ANY} if COMPUTED.search(source) else set())


def test_a_handlers_test_module_runs_one_handler():
    assert handlers_reached('load_function("WebhookFunction"); load_function( "WebhookFunction", X="1")') == {
        "WebhookFunction"
    }
    assert handlers_reached('ROOT / "functions" / "notify_active" / "app.py"') == {"NotifyActiveFunction"}
    assert ANY in handlers_reached("spec = tpl.functions()[function]")
    assert ANY in handlers_reached("for spec in tpl.functions().values(): ...")
    assert ANY in handlers_reached("load_function(name)")
    mixed = {}
    for module in sorted((tpl.ROOT / "tests" / "unit" / "handlers").glob("test_*.py")):
        reached = handlers_reached(module.read_text(encoding="utf-8"))
        if len(reached) > 1 or ANY in reached:
            mixed[module.name] = sorted(reached)
    assert mixed == {}
