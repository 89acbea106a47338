"""Fixtures of the core tests: a fake clock, the storage fakes on one table, Lean, the push platform, the queue
and the bus, all in memory."""

from __future__ import annotations

import pytest

from tests.support.fakes import (
    FakeClock,
    InMemoryStores,
    RecordingBus,
    RecordingPushPlatform,
    RecordingSyncQueue,
    ScriptedLean,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stores(clock: FakeClock) -> InMemoryStores:
    return InMemoryStores(clock)


@pytest.fixture
def lean() -> ScriptedLean:
    return ScriptedLean()


@pytest.fixture
def platform() -> RecordingPushPlatform:
    return RecordingPushPlatform()


@pytest.fixture
def queue() -> RecordingSyncQueue:
    return RecordingSyncQueue()


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()
