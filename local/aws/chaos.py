"""Chaos for the soak: worker processes killed mid-invocation, and SNS publishes refused or accepted with their
answer lost. Off unless its environment variables are set.

    LOCAL_CHAOS_KILL_RATE=0.02       share of invocations whose worker process is SIGKILLed while it runs
    LOCAL_CHAOS_SNS_FAULT_RATE=0.05  share of SNS publishes that fail: half refused (500, nothing published),
                                     half accepted and answered too late for the client (a lost answer)
    LOCAL_CHAOS_SEED=7

The SNS faults live in the "service" (a WSGI layer in front of moto), not in the client: the functions see what
they would see from AWS. `python -m local.aws.chaos PORT` runs moto server with that layer.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

KILL_WINDOW_S = 0.25  # a kill lands uniformly in the first 250 ms of an invocation (most finish sooner)
LOST_ANSWER_DELAY_S = 6.0  # beyond the SNS client's 5 s read timeout


@dataclass(frozen=True)
class ChaosSettings:
    kill_rate: float = 0.0
    sns_fault_rate: float = 0.0
    seed: int = 7

    @classmethod
    def from_env(cls) -> ChaosSettings:
        return cls(
            kill_rate=float(os.environ.get("LOCAL_CHAOS_KILL_RATE") or 0),
            sns_fault_rate=float(os.environ.get("LOCAL_CHAOS_SNS_FAULT_RATE") or 0),
            seed=int(os.environ.get("LOCAL_CHAOS_SEED") or 7),
        )


class ArmedKill:
    """One pending kill: fires `kill` after `delay_s` unless cancelled first."""

    def __init__(self, kill: Any, delay_s: float):
        self.fired = False
        self._kill, self._lock = kill, threading.Lock()
        self._timer = threading.Timer(delay_s, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._kill()

    def cancel(self) -> bool:
        """Stop it if it has not fired; True when it had (the worker is dead or dying)."""
        self._timer.cancel()
        with self._lock:
            return self.fired


class KillSwitch:
    """Decides which invocations get their worker killed, and when; counts the kills that landed mid-invocation."""

    def __init__(self, rate: float, seed: int):
        self._rate, self._rng, self._lock = rate, random.Random(seed), threading.Lock()
        self.landed: Counter[str] = Counter()

    def arm(self, kill: Any) -> ArmedKill | None:
        """A kill that fires within the window, or None for an invocation left alone."""
        with self._lock:
            if self._rate <= 0 or self._rng.random() >= self._rate:
                return None
            delay = self._rng.uniform(0, KILL_WINDOW_S)
        return ArmedKill(kill, delay)

    def landed_on(self, function: str) -> None:
        with self._lock:
            self.landed[function] += 1


_REFUSED = (
    b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type>'
    b"<Code>InternalError</Code><Message>chaos: publish refused</Message></Error><RequestId>chaos</RequestId>"
    b"</ErrorResponse>"
)


class SnsPublishFaults:
    """WSGI layer in front of moto: fails a share of SNS `Publish` calls; `GET /_chaos/stats` counts them."""

    def __init__(self, app: Any, rate: float, seed: int, lost_answer_delay_s: float = LOST_ANSWER_DELAY_S):
        self._app, self._rate, self._delay = app, rate, lost_answer_delay_s
        self._rng, self._lock = random.Random(seed), threading.Lock()
        self.stats: Counter[str] = Counter()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/_chaos/stats":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(dict(self.stats)).encode()]
        if self._rate <= 0 or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if parse_qs(body.decode("utf-8", "replace")).get("Action") != ["Publish"]:
            return self._app(environ, start_response)
        with self._lock:
            self.stats["publishes"] += 1
            draw = self._rng.random()
        if draw < self._rate / 2:
            with self._lock:
                self.stats["refused"] += 1
            start_response("500 Internal Server Error", [("Content-Type", "text/xml")])
            return [_REFUSED]
        if draw < self._rate:
            answer = list(self._app(environ, start_response))  # published ...
            with self._lock:
                self.stats["answer_lost"] += 1
            time.sleep(self._delay)  # ... and answered after the client gave up
            return answer
        return self._app(environ, start_response)


def serve_moto(port: int, settings: ChaosSettings) -> None:
    """moto server as `python -m moto.server` runs it, behind the SNS fault layer (a pass-through at rate 0)."""
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(port))
    app = SnsPublishFaults(DomainDispatcherApplication(create_backend_app), settings.sns_fault_rate, settings.seed)
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    serve_moto(int(sys.argv[1]), ChaosSettings.from_env())
