"""Start the local stack in a child process on free ports and stop it: for tests, the soak and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from local.aws.template import ROOT
from local.harness.client import StackClient

PORT_VARIABLES = ("LOCAL_API_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_MOTO_PORT", "LOCAL_LEAN_PORT")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningStack(StackClient):
    """A StackClient that also knows the ports and state directory of the stack it talks to."""

    def __init__(self, ports: dict[str, int], state_dir: Path, secret: str):
        super().__init__(
            f"http://127.0.0.1:{ports['LOCAL_API_PORT']}",
            f"http://127.0.0.1:{ports['LOCAL_MOTO_PORT']}",
            f"http://127.0.0.1:{ports['LOCAL_LEAN_PORT']}",
            secret,
        )
        self.ports, self.state_dir = ports, state_dir

    @property
    def function_log(self) -> Path:
        return self.state_dir / "logs" / "functions.jsonl"

    @property
    def console_log(self) -> Path:
        return self.state_dir / "console.log"


@contextmanager
def launched_stack(
    state_dir: Path, secret: str, timeout_s: float = 120, environment: dict[str, str] | None = None
) -> Iterator[RunningStack]:
    """Yield a healthy stack (with `environment` added to its own); console output goes to `state_dir/console.log`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in PORT_VARIABLES}
    env = {**os.environ, **(environment or {}), **{k: str(v) for k, v in ports.items()}, "LEAN_WEBHOOK_SECRET": secret}
    running = RunningStack(ports, state_dir, secret)
    with running.console_log.open("w") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.stack", "--serve", "--state-dir", str(state_dir)],
            cwd=ROOT,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(process, running, timeout_s)
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(process: subprocess.Popen, running: RunningStack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"local stack exited:\n{running.console_log.read_text()}")
        try:
            if requests.get(f"{running.api_url}/_local/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"local stack not healthy in {timeout_s:.0f} s:\n{running.console_log.read_text()}")
        time.sleep(0.3)
