"""Lambda execution environments as processes: each worker imports one function's handler with that
function's environment and handles one event at a time, as Lambda does. The local stack uses these, so that
concurrent invocations never share Powertools' per-process state (an HTTP resolver's current event, metrics)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.aws import aws_calls
from local.aws import template as tpl
from local.aws.chaos import KillSwitch
from local.aws.functions import LambdaContext, load_handler

_SPAWN = multiprocessing.get_context("spawn")


class FunctionError(RuntimeError):
    """The handler raised, crashed or timed out (Lambda reports a function error)."""


def _serve(spec: tpl.FunctionSpec, environment: dict[str, str], log_path: str, conn: Any) -> None:
    """Worker process: load the handler once, then answer events until told to stop (None)."""
    # stdout: the function's JSON log lines and EMF metrics, as CloudWatch would get them; stderr (tracebacks of
    # a crashed handler, warnings) to a file of its own, so that the log stays JSON lines.
    sys.stdout = open(log_path, "a", buffering=1)  # noqa: SIM115 - the worker's stdout for its whole life
    sys.stderr = open(Path(log_path).with_name("functions.errors.log"), "a", buffering=1)  # noqa: SIM115
    os.environ.update(environment)
    aws_calls.record_process_as(spec.logical_id)  # with IAM_CALLS set (inherited), its AWS calls are recorded
    handler = getattr(load_handler(spec, "handler"), spec.handler.rpartition(".")[2])
    conn.send(("ready", None))
    while (event := conn.recv()) is not None:
        try:
            conn.send(("ok", handler(event, LambdaContext(function_name=spec.logical_id, timeout_s=spec.timeout))))
        except BaseException as exc:
            traceback.print_exc()
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: Any
    conn: Any


class IsolatedFunction:
    """`concurrency` worker processes for one function; `invoke` waits for a free one."""

    def __init__(
        self,
        spec: tpl.FunctionSpec,
        environment: dict[str, str],
        concurrency: int,
        log_path: Path,
        kill_switch: KillSwitch | None = None,
    ):
        self.spec, self.name = spec, spec.logical_id
        self._kills = kill_switch
        self._environment, self._log_path = environment, str(log_path)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        starting = [self._start() for _ in range(concurrency)]
        for worker in starting:
            self._ready(worker)
            self._idle.put(worker)

    def _start(self) -> _Worker:
        parent, child = _SPAWN.Pipe()
        process = _SPAWN.Process(
            target=_serve, args=(self.spec, self._environment, self._log_path, child), name=self.name, daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.append(worker)
        return worker

    def _ready(self, worker: _Worker) -> None:
        if not worker.conn.poll(120) or worker.conn.recv()[0] != "ready":
            raise FunctionError(f"{self.name} did not start; see {self._log_path}")

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.kill()
        worker.process.join(5)
        with self._lock:
            self._all.remove(worker)
        fresh = self._start()
        self._ready(fresh)
        return fresh

    def invoke(self, event: dict[str, Any]) -> Any:
        worker = self._idle.get()
        kill = self._kills.arm(worker.process.kill) if self._kills else None  # chaos: SIGKILL mid-invocation
        try:
            worker.conn.send(event)
            if not worker.conn.poll(self.spec.timeout + 1):
                worker = self._replace(worker)
                raise FunctionError(f"{self.name} timed out after {self.spec.timeout} s")
            status, value = worker.conn.recv()
        except (EOFError, OSError) as exc:
            if kill is not None and kill.cancel() and self._kills:
                self._kills.landed_on(self.name)
            kill = None
            worker = self._replace(worker)
            raise FunctionError(f"{self.name} crashed: {exc}") from None
        finally:
            if kill is not None and kill.cancel() and worker.process.is_alive():
                worker.process.join(5)  # it fired after the answer: replace the dying worker
            if not worker.process.is_alive():
                worker = self._replace(worker)
            self._idle.put(worker)
        if status == "error":
            raise FunctionError(f"{self.name}: {value}")
        return value

    @property
    def alive(self) -> bool:
        with self._lock:
            return all(w.process.is_alive() for w in self._all)

    def stop(self) -> None:
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
