"""The Docker-free local stack: DynamoDB Local, moto server, Lean simulator, API emulator and pollers.

    python -m local.stack --serve           # bring it up and keep serving until Ctrl-C
    python -m local.stack --demo            # bring it up, replay the onboarding story, exit non-zero on failure
    python -m local.stack --demo --serve    # both (what `make run` does)

Ports (env): LOCAL_API_PORT=3000, LOCAL_DYNAMODB_PORT=8000, LOCAL_MOTO_PORT=5000, LOCAL_LEAN_PORT=4010.
Webhook secret: LEAN_WEBHOOK_SECRET (default local-webhook-secret). Lean app id: LEAN_APP_ID (default an opaque
32-hex id, as Lean's own are). Function logs: <state dir>/logs/.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from local.aws import template as tpl
from local.aws.resources import LOCAL_WEBHOOK_SECRET
from local.aws.template import ROOT

DEFAULT_STATE_DIR = ROOT / ".local-stack"
# Local-only settings on top of the template's environment: shorter backoff so that retries and
# dead-lettering play out in seconds rather than minutes. Everything else is the template's.
LOCAL_OVERRIDES = {
    "SyncPaymentSourceFunction": {"RETRY_BASE_DELAY_SECONDS": "1", "RETRY_MAX_DELAY_SECONDS": "4"},
}
CONCURRENCY = {"WebhookFunction": 4, "CustomerApiFunction": 2}


@dataclass(frozen=True)
class Ports:
    api: int = 3000
    dynamodb: int = 8000
    moto: int = 5000
    lean: int = 4010

    @classmethod
    def from_env(cls) -> Ports:
        def port(name: str, default: int) -> int:
            return int(os.environ.get(name) or default)

        return cls(
            api=port("LOCAL_API_PORT", 3000),
            dynamodb=port("LOCAL_DYNAMODB_PORT", 8000),
            moto=port("LOCAL_MOTO_PORT", 5000),
            lean=port("LOCAL_LEAN_PORT", 4010),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto}"

    @property
    def lean_url(self) -> str:
        return f"http://127.0.0.1:{self.lean}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb}"


def aws_environment(ports: Ports) -> dict[str, str]:
    """Every boto3 client of the process (functions included) talks to the local endpoints."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": ports.moto_url,
        "AWS_ENDPOINT_URL_DYNAMODB": ports.dynamodb_url,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ports.dynamodb_url,
        "AWS_LAMBDA_FUNCTION_NAME": "local",
    }


@dataclass
class LocalStack:
    ports: Ports
    state_dir: Path = DEFAULT_STATE_DIR
    webhook_secret: str = LOCAL_WEBHOOK_SECRET
    console: TextIO = sys.stdout
    refs: dict[str, Any] = field(default_factory=dict)
    functions: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, Any] = field(default_factory=dict)
    _processes: list[Any] = field(default_factory=list)
    _pollers: list[Any] = field(default_factory=list)
    _servers: list[Any] = field(default_factory=list)
    kills: Any = None

    def say(self, line: str) -> None:
        print(line, file=self.console, flush=True)

    def start(self) -> None:
        from local.aws import services

        for port, what, var in (
            (self.ports.api, "the API emulator", "LOCAL_API_PORT"),
            (self.ports.dynamodb, "DynamoDB Local", "LOCAL_DYNAMODB_PORT"),
            (self.ports.moto, "moto server", "LOCAL_MOTO_PORT"),
            (self.ports.lean, "the Lean simulator", "LOCAL_LEAN_PORT"),
        ):
            services.check_port_free(port, what, var)
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.say(f"starting DynamoDB Local on {self.ports.dynamodb_url} ...")
        self._processes.append(services.start_dynamodb_local(self.ports.dynamodb, logs / "dynamodb-local.log"))
        self.say(f"starting moto server on {self.ports.moto_url} ...")
        self._processes.append(services.start_moto_server(self.ports.moto, logs / "moto.log"))
        os.environ.update(aws_environment(self.ports))
        self._start_lean_simulator()
        self._create_resources()
        self._load_functions(logs / "functions.jsonl")
        self._start_pollers()
        self._start_api()
        self.say(f"local stack up: API {self.ports.api_url} (health: {self.ports.api_url}/_local/health)")

    def _start_lean_simulator(self) -> None:
        from local.aws.resources import LOCAL_CLIENT_SECRET, local_app_id
        from local.lean_sim import LeanSimulator

        self.simulator = LeanSimulator(
            client_id=local_app_id(),
            client_secret=LOCAL_CLIENT_SECRET,
            webhook_url=f"{self.ports.api_url}/webhooks/lean",
            webhook_secret=self.webhook_secret,
        )
        self.simulator.serve("127.0.0.1", self.ports.lean)
        self._servers.append(self.simulator)
        self.say(f"Lean simulator on {self.ports.lean_url} (app id {local_app_id()})")

    def _create_resources(self) -> None:
        import boto3

        from local.aws.resources import LocalSettings, create_all

        self.clients = {
            name: boto3.session.Session().client(name)
            for name in ("dynamodb", "dynamodbstreams", "sqs", "secretsmanager", "sns", "events", "cloudwatch")
        }
        self.refs = create_all(
            self.clients, LocalSettings(webhook_secret=self.webhook_secret, lean_base_url=self.ports.lean_url)
        )
        self.say("created the template's tables, queues, secrets and event bus, and SNS platform applications")

    def _load_functions(self, log_file: Path) -> None:
        from local.aws.chaos import ChaosSettings, KillSwitch
        from local.aws.resources import function_environment
        from local.aws.workers import IsolatedFunction

        chaos = ChaosSettings.from_env()
        self.kills = KillSwitch(chaos.kill_rate, chaos.seed) if chaos.kill_rate else None
        if chaos.kill_rate or chaos.sns_fault_rate:
            self.say(f"chaos: kill rate {chaos.kill_rate}, SNS publish fault rate {chaos.sns_fault_rate}")

        # One process per execution environment; their output (Powertools JSON logs, EMF metrics) goes to a
        # file, the console keeps the story.
        for logical_id, spec in tpl.functions().items():
            environment = {**function_environment(spec, self.refs), **LOCAL_OVERRIDES.get(logical_id, {})}
            concurrency = CONCURRENCY.get(logical_id, 1)
            if any(source.kind == "SQS" for source in tpl.event_sources(logical_id)):
                concurrency = self._sqs_workers(logical_id)
            self.functions[logical_id] = IsolatedFunction(spec, environment, concurrency, log_file, self.kills)
        self.say(f"started {len(self.functions)} functions, each in its own worker processes (logs: {log_file})")

    def _queue_url(self, arn: str) -> str:
        return next(self.refs[k[: -len(".Arn")]] for k, v in self.refs.items() if k.endswith(".Arn") and v == arn)

    @staticmethod
    def _sqs_workers(logical_id: str) -> int:
        props = tpl.event_source(logical_id, "SQS")
        return int(props.get("ScalingConfig", {}).get("MaximumConcurrency", 2))

    def _start_pollers(self) -> None:
        from local.aws.pollers import Scheduler, SqsPoller, StreamPoller

        for logical_id, spec in tpl.functions().items():
            for event in spec.events.values():
                if event["Type"] == "Schedule":
                    expression = tpl.resolve(event["Properties"]["Schedule"], self.refs)
                    scheduler = Scheduler(self.functions[logical_id], expression)
                    self.schedules[logical_id] = scheduler
                    self._pollers.append(scheduler)
                    scheduler.start()
            for source in tpl.event_sources(logical_id):
                props = tpl.resolve({k: v for k, v in source.properties.items() if k != "FunctionName"}, self.refs)
                arn = props["EventSourceArn"]
                pollers: list[Any]
                if source.kind == "SQS":
                    # one poller per allowed concurrent invocation (ScalingConfig), as Lambda scales out
                    batch = int(props.get("BatchSize", 10))
                    pollers = [
                        SqsPoller(self.clients["sqs"], self._queue_url(arn), arn, self.functions[logical_id], batch)
                        for _ in range(self._sqs_workers(logical_id))
                    ]
                else:
                    destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                    pollers = [
                        StreamPoller(
                            self.clients["dynamodbstreams"],
                            arn,
                            self.functions[logical_id],
                            props,
                            self.clients["sqs"],
                            self._queue_url(destination) if destination else None,
                        )
                    ]
                for poller in pollers:
                    poller.start()
                    self._pollers.append(poller)
        self.say("pollers: " + ", ".join(p.name for p in self._pollers))

    def _start_api(self) -> None:
        from local.aws.api_gateway import ApiEmulator
        from local.aws.event_tap import EventTap
        from local.aws.resources import TAP

        self.event_tap = EventTap(self.clients["sqs"], self.refs[TAP])
        self.event_tap.start()
        self._pollers.append(self.event_tap)
        self.api = ApiEmulator(
            self.functions, self.health, self.schedules, self.chaos_stats, self.event_tap.events, self.describe
        )
        self.api.serve("127.0.0.1", self.ports.api)
        self._servers.append(self.api)

    def describe(self) -> dict[str, Any]:
        """What a deployed stack's outputs and resources say, for the local stack (`make smoke URL=...`)."""
        return stack_description(self.refs, self.ports)

    def chaos_stats(self) -> dict[str, Any]:
        """Kills that landed mid-invocation per function, and the SNS fault layer's counts."""
        import requests

        sns = requests.get(f"{self.ports.moto_url}/_chaos/stats", timeout=5).json()
        return {"kills": dict(self.kills.landed) if self.kills else {}, "sns": sns}

    def health(self) -> dict[str, bool]:
        parts = {
            "functions": bool(self.functions) and all(f.alive for f in self.functions.values()),
            "dynamodb_local": bool(self._processes) and self._processes[0].poll() is None,
            "moto_server": len(self._processes) > 1 and self._processes[1].poll() is None,
            "lean_simulator": bool(self._servers),
        }
        for poller in self._pollers:
            parts[poller.name] = parts.get(poller.name, True) and poller.healthy
        return parts

    def stop(self) -> None:
        from local.aws import services

        for poller in self._pollers:
            poller.stop()
        for server in reversed(self._servers):
            server.shutdown()
        for function in self.functions.values():
            function.stop()
        for process in reversed(self._processes):
            services.stop(process)
        self.say("local stack stopped")


def stack_description(refs: dict[str, Any], ports: Ports) -> dict[str, Any]:
    """The stack's outputs as CloudFormation would give them, its functions and alarms: the local stack's own
    values, endpoints overridden to the local services."""
    placeholders = {name: f"local-{name}" for name in tpl.resources()}  # what the local stack does not make
    known = {**placeholders, **refs}
    outputs = {  # an output whose condition is false here (AppBackendRoleArn without principals) is absent
        name: str(tpl.resolve(output["Value"], known))
        for name, output in tpl.load()["Outputs"].items()
        if "Condition" not in output or tpl.condition(output["Condition"], known)
    }
    outputs["ApiUrl"], outputs["WebhookUrl"] = ports.api_url, f"{ports.api_url}/webhooks/lean"
    parameters = ("GcmPlatformApplicationArn", "ApnsPlatformApplicationArn", "ApnsSandboxPlatformApplicationArn")
    return {
        "outputs": outputs,
        "parameters": {name: str(refs.get(name, "")) for name in parameters},
        "functions": sorted(tpl.functions()),
        "schedules": sorted(
            name for name, spec in tpl.functions().items() if any(e["Type"] == "Schedule" for e in spec.events.values())
        ),
        "alarms": {name: refs.get(name, "") for name in sorted(tpl.of_type("AWS::CloudWatch::Alarm"))},
        "aws_endpoint": ports.moto_url,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="replay the onboarding story")
    parser.add_argument("--serve", action="store_true", help="keep serving until interrupted")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines on the console
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # retries are counted by the functions themselves
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    from local.aws.services import StackError

    console = io.TextIOWrapper(os.fdopen(os.dup(sys.stdout.fileno()), "wb"), line_buffering=True)
    stack = LocalStack(
        Ports.from_env(),
        args.state_dir,
        os.environ.get("LEAN_WEBHOOK_SECRET") or LOCAL_WEBHOOK_SECRET,
        console=console,
    )
    code = 0
    try:
        stack.start()
        if args.demo:
            from local.harness.story import run_story

            code = 0 if run_story(stack.ports, stack.webhook_secret, stack.say) else 1
        if args.serve:
            stack.say("serving; press Ctrl-C to stop")
            threading.Event().wait()
    except StackError as exc:
        stack.say(f"error: {exc}")
        code = 2
    except KeyboardInterrupt:
        stack.say("interrupted")
    finally:
        stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
