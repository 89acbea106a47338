"""The composition root forgets everything it built on `reset()`, whatever builders it has."""

from __future__ import annotations

from functools import cache

from lean_webhooks import wiring


def test_reset_forgets_a_cached_builder_that_no_list_names(monkeypatch):
    monkeypatch.setattr(wiring, "new_part", cache(object), raising=False)  # a builder added to the module
    built = wiring.new_part()
    assert wiring.new_part() is built
    wiring.reset()
    assert wiring.new_part() is not built
