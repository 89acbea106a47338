"""Start the real local stack (DynamoDB Local + moto server + Lean simulator + API emulator + pollers) once
for the integration tests, on free ports, and stop it afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local.client import StackClient
from local.template import ROOT

SECRET = "integration-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningStack(StackClient):
    def __init__(self, ports: dict[str, int], state_dir: Path):
        super().__init__(
            f"http://127.0.0.1:{ports['LOCAL_API_PORT']}",
            f"http://127.0.0.1:{ports['LOCAL_MOTO_PORT']}",
            f"http://127.0.0.1:{ports['LOCAL_LEAN_PORT']}",
            SECRET,
        )
        self.ports = ports
        self.state_dir = state_dir

    @property
    def function_log(self) -> Path:
        return self.state_dir / "logs" / "functions.jsonl"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state_dir = tmp_path_factory.mktemp("local-stack")
    ports = {
        name: free_port() for name in ("LOCAL_API_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_MOTO_PORT", "LOCAL_LEAN_PORT")
    }
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "LEAN_WEBHOOK_SECRET": SECRET}
    console = (state_dir / "console.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack", "--serve", "--state-dir", str(state_dir)],
        cwd=ROOT,
        env=env,
        stdout=console,
        stderr=subprocess.STDOUT,
    )
    running = RunningStack(ports, state_dir)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"local stack exited:\n{(state_dir / 'console.log').read_text()}")
        try:
            if requests.get(f"{running.api_url}/_local/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"local stack not healthy in 120 s:\n{(state_dir / 'console.log').read_text()}")
        time.sleep(0.3)
    yield running
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    console.close()


@pytest.fixture(autouse=True)
def _no_faults_left(stack: RunningStack) -> Iterator[None]:
    stack.clear_faults()
    yield
    stack.clear_faults()
