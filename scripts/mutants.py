"""Mutation testing of the rules that keep the promises: the signature check (and the raw body it reads), the
status rules, the conditional writes of beneficiaries and the push markers, and the items they write. Each module
is mutated by mutmut, one mutant at a time, and only the tests that exercise it run against each mutant. Prints
each module's score and every survivor's diff.

    python scripts/mutants.py [--mutmut .venv-mutants/bin/mutmut] [module ...]

Exit 0 when every survivor is one of the explained ones below (EXPLAINED), 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = "layers/common/lean_webhooks"
# The pytest of the interpreter running this script (the dev venv), so that a copy of the tree (a git worktree)
# can be mutated with it: pytest's `pythonpath` puts that tree's layer first.
PYTEST = f"{Path(sys.executable).parent / 'pytest'} -x -q -p no:cacheprovider"
# A mutant that loops for ever counts as killed after this long (GNU timeout; a run passes in under 30 s).
RUNNER = f"timeout -s KILL 120 {PYTEST}"
STATUSES = ("killed", "timeout", "suspicious", "survived", "skipped", "untested")
TARGETS: dict[str, list[str]] = {
    f"{LAYER}/core/signature.py": ["tests/core/test_signature.py", "tests/unit/handlers/test_webhook_handler.py"],
    # the raw bytes the signature is checked on
    f"{LAYER}/runtime/http_v2.py": [
        "tests/unit/runtime/test_http_v2.py",
        "tests/unit/handlers/test_webhook_handler.py",
    ],
    f"{LAYER}/core/status_rules.py": [
        "tests/core/test_status_rules.py",
        "tests/unit/adapters/test_payment_sources_write_rules.py",
        "tests/unit/adapters/test_payment_sources_recovery.py",
        "tests/unit/handlers/test_stream_filter.py",
    ],
    f"{LAYER}/adapters/dynamodb/payment_sources.py": [
        "tests/unit/adapters/test_payment_sources_items.py",
        "tests/unit/adapters/test_payment_sources_write_rules.py",
        "tests/unit/adapters/test_payment_sources_resync_and_deletion.py",
        "tests/unit/handlers/test_recovery.py",
        "tests/unit/contract/test_sync_writes.py",
        "tests/unit/contract/test_activation_index.py",
        "tests/unit/contract/test_recovery_index.py",
        "tests/unit/contract/test_payment_source_reader.py",
    ],
    # the items the adapters write (and the fakes mirror): keys, TTLs, the content hash, devices, ledger, markers
    f"{LAYER}/adapters/dynamodb/keys.py": [
        "tests/unit/adapters/test_item_layout.py",
        "tests/unit/adapters/test_payment_sources_items.py",
        "tests/unit/adapters/test_push_marker_items.py",
        "tests/unit/adapters/test_payment_sources_write_rules.py",
        "tests/unit/contract",
        "tests/unit/adapters/test_payment_sources_resync_and_deletion.py",
    ],
    f"{LAYER}/adapters/dynamodb/push_markers.py": [
        "tests/unit/contract/test_push_markers.py",
        "tests/unit/adapters/test_push_marker_items.py",
        "tests/unit/handlers/test_notify_active.py",
        "tests/unit/handlers/test_reconcile_pushes.py",
        "tests/unit/flows/test_stream_and_reconciler_pushes.py",
    ],
}
# Survivors that no test should kill, each with its reason (module, a fragment of the mutated line).
EXPLAINED: dict[tuple[str, str], str] = {
    ("status_rules.py", "return 3 if status == ACTIVE else 1"): (
        "equivalent: ranks are only compared with each other, so any rank above 1 orders ACTIVE the same"
    ),
    ("push_markers.py", "iso(now - timedelta(microseconds=2))"): (
        "equivalent: a lost answer ends the lease at any instant before its `now`; every later claim (at `now`"
        " or after, as the test checks) takes it over"
    ),
    ("keys.py", "exclude_none=False"): (
        "equivalent: to_item drops None values, so the stored accounts are the same; the content hash differs but"
        " stays the same from one read to the next"
    ),
    ("keys.py", "sort_keys=False"): (
        "equivalent: the content dict is built in one fixed order (and accounts in the model's field order), so"
        " the hash of an unchanged payment source stays the same"
    ),
    ("keys.py", 'item.get("entity") or "XXXX"'): (
        "equivalent: every item is written with its entity; one without counts as `other` in an erasure's answer"
        " under any name that is not an entity's"
    ),
}


def run(mutmut: str, module: str, tests: list[str]) -> dict[str, list[str]]:
    """Mutate `module`; returns the mutants' ids by mutmut's status (killed, timeout, suspicious, survived,
    skipped, untested)."""
    mutated = subprocess.run(
        [mutmut, "run", "--paths-to-mutate", module, "--runner", f"{RUNNER} {' '.join(tests)}"],
        cwd=ROOT,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if "Traceback" in mutated.stderr:  # its exit code only flags survivors: a crash must not pass for a score
        raise RuntimeError(f"mutmut crashed on {module}:\n{mutated.stderr[-2000:]}")
    # `result-ids` prints one id each, space-separated (`mutmut results` prints counts and ranges instead).
    return {
        status: subprocess.run(
            [mutmut, "result-ids", status], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        for status in STATUSES
    }


def recheck_kills(mutmut: str, module: str, mutant: str) -> bool:
    """Apply one survivor to the file, run the module's tests once more, restore the file: True if they fail."""
    path = ROOT / module
    original = path.read_bytes()
    try:
        subprocess.run([mutmut, "apply", mutant], cwd=ROOT, check=True, capture_output=True)
        if path.read_bytes() == original:
            return False
        tests = subprocess.run([*PYTEST.split(), *TARGETS[module]], cwd=ROOT, capture_output=True, check=False)
        return tests.returncode != 0
    finally:
        path.write_bytes(original)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutmut", default=str(ROOT / ".venv-mutants" / "bin" / "mutmut"))
    parser.add_argument("modules", nargs="*", default=list(TARGETS))
    args = parser.parse_args(argv)
    unexplained = 0
    for module in args.modules:
        (ROOT / ".mutmut-cache").unlink(missing_ok=True)
        started = time.monotonic()
        print(f"[mutants] {module}: running ...", flush=True)
        ids = run(args.mutmut, module, TARGETS[module])
        total = sum(len(v) for v in ids.values())
        if ids["untested"] or ids["skipped"] or not total:
            raise RuntimeError(f"mutmut left mutants of {module} untested: {ids['untested'] + ids['skipped']}")
        # Suspicious: the tests failed, only slowly; timeout: the mutant made them hang. Both are caught.
        killed = len(ids["killed"]) + len(ids["suspicious"]) + len(ids["timeout"])
        survivors = ids["survived"]
        for mutant in survivors:
            diff = subprocess.run([args.mutmut, "show", mutant], cwd=ROOT, capture_output=True, text=True).stdout
            if recheck_kills(args.mutmut, module, mutant):
                print(f"  mutant {mutant}: killed when re-run on its own (mutmut's run counted it as surviving)")
                killed += 1
                continue
            reason = next((why for (path, frag), why in EXPLAINED.items() if path in module and frag in diff), None)
            print(f"  survivor {mutant}: {'explained: ' + reason if reason else 'NOT EXPLAINED'}\n{diff}")
            unexplained += reason is None
        score = 100 * killed / total if total else 100.0
        print(f"[mutants] {module}: {killed}/{total} killed ({score:.0f}%) in {time.monotonic() - started:.0f} s")
    (ROOT / ".mutmut-cache").unlink(missing_ok=True)
    print(f"[mutants] {unexplained} unexplained survivors")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
