"""With IAM_CALLS set, each test's start and end go to IAM_CALLS/tests-<pid>.jsonl, so that tests/iam can name the
test that was running when a worker process of the local stack made a call (an in-process call names its own test:
`local.aws.aws_calls` reads PYTEST_CURRENT_TEST). Loaded for every suite by `pytest_plugins` in tests/conftest.py."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from local.aws import aws_calls


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    directory = aws_calls.directory()
    start = time.time()
    yield
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / f"tests-{os.getpid()}.jsonl").open("a") as out:
            out.write(json.dumps({"test": item.nodeid, "start": start, "end": time.time()}) + "\n")
