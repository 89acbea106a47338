"""Generated files kept in the repository (`make openapi`, `make schemas`, `make dashboard`): written from their
source of truth, or, with `--check`, compared with what is committed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def write_or_check(wanted: dict[Path, str], argv: list[str], what: str, target: str, stale: Iterable[Path] = ()) -> int:
    """Write each file of `wanted` and delete the `stale` ones; with `--check` in `argv`, write nothing and answer 1
    (naming `make <target>`) when a file differs, is missing, or is stale. `what` names them in the message."""
    stale = [path for path in stale if path not in wanted]
    if "--check" in argv:
        current = {path: path.read_text(encoding="utf-8") if path.exists() else None for path in wanted}
        if current != wanted or stale:
            print(f"{what} is out of date: run make {target}")
            return 1
        return 0
    for path in stale:
        path.unlink()
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {what}")
    return 0
