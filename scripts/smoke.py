"""Post-deploy smoke check: exercise a deployed stack (or the local stack) end to end, leaving nothing behind.

    python scripts/smoke.py --env sandbox|production [--stack-name NAME] [--region REGION]
    python scripts/smoke.py --url http://127.0.0.1:3000          # the local stack (`make run`)

With your own AWS credentials (`--env`): the stack is samconfig.toml's `[<env>.global.parameters] stack_name`, in
`--region`, else samconfig's `region` for that environment, else AWS_REGION, else your AWS configuration's region.
Locally, the stack describes itself at `GET <url>/_local/stack` and its AWS services are the moto server it names.

Steps, one line each (`[n/N] ok   what: detail` or `[n/N] FAIL what: why`); the first failure stops the check
and exits 1, after cleaning up what the check created (its test device and test customer):
  1. find the stack: outputs, functions, queues, alarms
  2. a signed `payment_source.created` webhook (200 ignored: changes nothing), and a wrongly signed one (401)
  3. the customer API through SigV4: a test device on a throw-away token registered, listed, deleted; the test
     customer's payment sources (none); the test customer erased (nothing was left)
  4. each scheduled function invoked once, its errors read back
  5. the sync queue's and the DLQ's depths (a non-empty DLQ fails)
  6. the stack's alarms (any in ALARM fails)
No secret, token or personal data is printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import boto3
import requests
from botocore.config import Config

from examples.app_backend_client import CustomerApi
from lean_webhooks.core.signature import SIGNATURE_HEADER, sign
from local.aws import template as tpl
from local.harness import samples

ROOT = Path(__file__).resolve().parents[1]
SAMCONFIG = ROOT / "samconfig.toml"
HTTP_TIMEOUT_S = 30  # every HTTP call of the check (API Gateway's own limit is 30 s)
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # the API emulator verifies SigV4
LOCAL_REGION = "us-east-1"
# The template's push platforms, in the order the check picks the first configured one.
PLATFORMS = (
    ("GCM", "GcmPlatformApplicationArn"),
    ("APNS", "ApnsPlatformApplicationArn"),
    ("APNS_SANDBOX", "ApnsSandboxPlatformApplicationArn"),
)
USABLE_STATUSES = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",  # the last update failed: the previous version still runs
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
}
REQUIRED_OUTPUTS = ("ApiUrl", "WebhookUrl", "WebhookSecretArn", "SyncQueueUrl", "SyncDeadLetterQueueUrl")
ERASED_COUNTS = ("payment_sources", "beneficiaries", "devices", "push_markers", "refresh_markers", "other")


class StepFailed(Exception):
    """A step's check did not hold; the message says why (never a secret value)."""

    def __init__(self, why: str, details: Iterable[str] = ()):
        super().__init__(why)
        self.details = list(details)


# ---------- configuration ----------
def _samconfig_env(env: str, samconfig: Path) -> dict[str, Any]:
    config = tomllib.loads(samconfig.read_text())
    if env not in config:
        known = ", ".join(sorted(k for k, v in config.items() if isinstance(v, dict)))
        raise StepFailed(f"{samconfig.name} has no [{env}] environment (have: {known})")
    return config[env]


def stack_name_for(env: str, samconfig: Path = SAMCONFIG) -> str:
    """samconfig.toml's `[<env>.global.parameters] stack_name` (what `make deploy ENV=<env>` deployed)."""
    section = _samconfig_env(env, samconfig)
    name = section.get("global", {}).get("parameters", {}).get("stack_name")
    if not name:
        raise StepFailed(f"{samconfig.name} has no stack_name in [{env}.global.parameters]")
    return str(name)


def region_for(env: str, samconfig: Path = SAMCONFIG, explicit: str | None = None) -> str | None:
    """--region, else samconfig's `region` for the environment (as `sam deploy` reads it), else AWS_REGION, else the
    AWS configuration's (AWS_DEFAULT_REGION, the profile)."""
    if explicit:
        return explicit
    section = _samconfig_env(env, samconfig)
    for command in ("deploy", "global"):
        region = section.get(command, {}).get("parameters", {}).get("region")
        if region:
            return str(region)
    return os.environ.get("AWS_REGION") or boto3.session.Session().region_name


def first_platform(parameters: dict[str, str]) -> tuple[str, str] | None:
    """The first push platform the stack is configured with: (platform, parameter name), or None."""
    for platform, parameter in PLATFORMS:
        if (parameters.get(parameter) or "").strip():
            return platform, parameter
    return None


def scheduled_functions() -> dict[str, int]:
    """The template's scheduled functions: logical id -> timeout (s)."""
    return {
        logical_id: spec.timeout
        for logical_id, spec in tpl.functions().items()
        if any(event["Type"] == "Schedule" for event in spec.events.values())
    }


# ---------- verdicts (pure) ----------
def queue_verdict(sync: dict[str, str], dlq: dict[str, str], redrive_hint: str) -> str:
    """One line of both queues' depths; a non-empty DLQ fails with the redrive hint."""

    def depth(attributes: dict[str, str]) -> tuple[int, int]:
        visible = int(attributes.get("ApproximateNumberOfMessages", 0))
        return visible, int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))

    (sync_visible, sync_flight), (dlq_visible, dlq_flight) = depth(sync), depth(dlq)
    line = (
        f"sync queue {sync_visible} waiting, {sync_flight} in flight; DLQ {dlq_visible} waiting, {dlq_flight} in flight"
    )
    if dlq_visible + dlq_flight:
        raise StepFailed(f"{line}: the DLQ is not empty (`{redrive_hint}` lists their failure_reasons)")
    return line


def alarm_verdict(expected: list[str], states: dict[str, str]) -> str:
    """Every alarm of the stack found, none in ALARM (OK and INSUFFICIENT_DATA pass)."""
    firing = sorted(name for name, state in states.items() if state == "ALARM")
    if firing:
        raise StepFailed(f"{len(firing)} alarm(s) in ALARM: {', '.join(firing)}")
    missing = sorted(set(expected) - set(states))
    if missing:
        raise StepFailed(f"alarm(s) of the stack not found in CloudWatch: {', '.join(missing)}")
    counts = Counter(states.values())
    return f"{len(states)} alarms: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))


def log_tail(log_result: str | None, lines: int = 8) -> list[str]:
    """The last lines of an invoke's `LogResult` (base64 of the log's last 4 KB)."""
    if not log_result:
        return []
    text = base64.b64decode(log_result).decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.strip()][-lines:]


def erased_nothing(body: Any) -> bool:
    """An erasure's answer that deleted nothing here or at Lean (the check left nothing behind)."""
    if not isinstance(body, dict):
        return False
    deleted = body.get("deleted") or {}
    return (
        body.get("deleted_at_lean") == 0
        and body.get("push_endpoints") == 0
        and body.get("event_id") is None
        and all(deleted.get(name, 0) == 0 for name in ERASED_COUNTS)
    )


def summary(result: Any) -> str:
    """A scheduled function's answer (counts), compact."""
    if isinstance(result, dict):
        return " ".join(f"{k}={v}" for k, v in result.items() if not isinstance(v, dict | list))
    return "done"


# ---------- the runner ----------
def run_steps(steps: list[tuple[str, Callable[[], str]]], out: TextIO = sys.stdout) -> int:
    """Run the steps in order, one line each; stop at the first failure: 1, else 0."""
    total = len(steps)
    for number, (what, step) in enumerate(steps, 1):
        try:
            detail = step()
        except StepFailed as exc:
            print(f"[{number}/{total}] FAIL {what}: {exc}", file=out, flush=True)
            for line in exc.details:
                print(f"        {line}", file=out, flush=True)
            return 1
        except Exception as exc:  # an AWS or HTTP error: the step failed, say how
            print(f"[{number}/{total}] FAIL {what}: {type(exc).__name__}: {exc}", file=out, flush=True)
            return 1
        print(f"[{number}/{total}] ok   {what}: {detail}", file=out, flush=True)
    return 0


# ---------- the stack ----------
@dataclass
class Stack:
    name: str
    region: str
    session: Any
    outputs: dict[str, str]
    parameters: dict[str, str]
    schedules: dict[str, str]  # logical id -> what to invoke (a function name in AWS, the logical id locally)
    alarms: list[str]
    local_url: str | None = None
    aws_endpoint: str | None = None
    timeouts: dict[str, int] = field(default_factory=dict)

    def client(self, service: str, read_timeout: float = HTTP_TIMEOUT_S, attempts: int = 3) -> Any:
        config = Config(
            connect_timeout=10, read_timeout=read_timeout, retries={"total_max_attempts": attempts, "mode": "standard"}
        )
        return self.session.client(service, endpoint_url=self.aws_endpoint, region_name=self.region, config=config)


def find_deployed_stack(name: str, region: str | None) -> tuple[Stack, str]:
    if not region:
        raise StepFailed("no AWS region: pass --region, set AWS_REGION or configure a default region")
    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is None:
        raise StepFailed("no AWS credentials (the check runs with your own: profile, SSO or environment)")
    probe = Stack(name, region, session, {}, {}, {}, [])
    cloudformation = probe.client("cloudformation")
    description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    status = description["StackStatus"]
    if status not in USABLE_STATUSES:
        raise StepFailed(f"stack {name} is {status}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in description.get("Parameters", [])}
    # list_stack_resources pages through every resource (describe_stack_resources stops at 100)
    resources: dict[str, tuple[str, str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for resource in page["StackResourceSummaries"]:
            resources[resource["LogicalResourceId"]] = (
                resource.get("PhysicalResourceId", ""),
                resource["ResourceType"],
            )
    timeouts = scheduled_functions()
    missing = [f for f in timeouts if resources.get(f, ("", ""))[1] != "AWS::Lambda::Function"]
    if missing:
        raise StepFailed(f"stack {name} has no function {', '.join(missing)}: is it older than template.yaml?")
    schedules = {logical_id: resources[logical_id][0] for logical_id in timeouts}
    alarms = sorted(physical for physical, kind in resources.values() if kind == "AWS::CloudWatch::Alarm")
    stack = Stack(name, region, session, outputs, parameters, schedules, alarms, timeouts=timeouts)
    _check_outputs(stack)
    functions = sum(1 for _, kind in resources.values() if kind == "AWS::Lambda::Function")
    return stack, (
        f"{name} ({status}, {region}): {len(outputs)} outputs, {functions} functions "
        f"({len(schedules)} scheduled), {len(alarms)} alarms"
    )


def find_local_stack(url: str) -> tuple[Stack, str]:
    response = requests.get(f"{url.rstrip('/')}/_local/stack", timeout=HTTP_TIMEOUT_S)
    if response.status_code != 200:
        raise StepFailed(f"GET /_local/stack answered {response.status_code}: is the local stack up at {url}?")
    description = response.json()
    session = boto3.session.Session(region_name=LOCAL_REGION, **LOCAL_CREDENTIALS)
    timeouts = scheduled_functions()
    schedules = {logical_id: logical_id for logical_id in description.get("schedules", [])}
    alarms = sorted(name for name in (description.get("alarms") or {}).values() if name)
    stack = Stack(
        "local",
        LOCAL_REGION,
        session,
        description.get("outputs") or {},
        description.get("parameters") or {},
        schedules,
        alarms,
        local_url=url.rstrip("/"),
        aws_endpoint=description["aws_endpoint"],
        timeouts={k: timeouts.get(k, 300) for k in schedules},
    )
    if not stack.parameters:
        stack.parameters = _local_platform_parameters(stack)
    _check_outputs(stack)
    return stack, (
        f"local stack at {stack.local_url} (AWS services: moto {stack.aws_endpoint}): {len(stack.outputs)} outputs, "
        f"{len(description.get('functions', []))} functions ({len(schedules)} scheduled), {len(alarms)} alarms"
    )


def _local_platform_parameters(stack: Stack) -> dict[str, str]:
    """/_local/stack gives no parameters: the platform applications the local stack made (one per platform, in
    moto's SNS, `arn:...:app/<PLATFORM>/<name>`) stand for the template's three platform parameters."""
    found: dict[str, str] = {}
    by_platform = dict(PLATFORMS)
    for page in stack.client("sns").get_paginator("list_platform_applications").paginate():
        for application in page.get("PlatformApplications", []):
            arn = application["PlatformApplicationArn"]
            platform = arn.split(":app/", 1)[-1].split("/", 1)[0]
            if platform in by_platform:
                found.setdefault(by_platform[platform], arn)
    return found


def _check_outputs(stack: Stack) -> None:
    missing = [name for name in REQUIRED_OUTPUTS if not stack.outputs.get(name)]
    if missing:
        raise StepFailed(f"stack {stack.name} has no output {', '.join(missing)}")


# ---------- the check ----------
class Smoke:
    """The steps, sharing what the first one found and what the third one created (cleaned up in `cleanup`)."""

    def __init__(self, args: argparse.Namespace, out: TextIO = sys.stdout):
        self.args, self.out = args, out
        self.stack: Stack | None = None
        self.api: CustomerApi | None = None
        self.customer_id = str(uuid.uuid4())
        self.device_id = f"smoke-{secrets.token_hex(6)}"
        self.device_registered = False  # registered and not yet seen deleted
        self.customer_touched = False  # something may be stored for the customer and it was not seen erased

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("find the stack", self.find_stack),
            ("signed test webhook", self.webhook),
            ("customer API (SigV4)", self.customer_api),
            ("scheduled functions", self.schedules),
            ("queues", self.queues),
            ("alarms", self.alarms),
        ]

    def run(self) -> int:
        try:
            return run_steps(self.steps(), self.out)
        finally:
            self.cleanup()

    # ----- 1 -----
    def find_stack(self) -> str:
        if self.args.url:
            self.stack, detail = find_local_stack(self.args.url)
        else:
            name = self.args.stack_name or stack_name_for(self.args.env)
            self.stack, detail = find_deployed_stack(name, region_for(self.args.env, explicit=self.args.region))
        return detail

    @property
    def s(self) -> Stack:
        assert self.stack is not None, "the stack was not found"
        return self.stack

    # ----- 2 -----
    def webhook(self) -> str:
        value = self.s.client("secretsmanager").get_secret_value(SecretId=self.s.outputs["WebhookSecretArn"])
        try:
            current = json.loads(value.get("SecretString") or "{}").get("current")
        except (ValueError, AttributeError):
            current = None
        if not isinstance(current, str) or not current:
            raise StepFailed('the webhook secret is not {"current": "...", "previous": "..."} with a current value')
        envelope = samples.payment_source_created_webhook(samples.ids())
        body, headers = samples.signed(envelope, current)
        url = self.s.outputs["WebhookUrl"]
        answer = requests.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT_S)
        if answer.status_code != 200:
            raise StepFailed(f"signed webhook answered {answer.status_code} {_error(answer)}{_webhook_hint(answer)}")
        result = answer.json()
        if result.get("status") != "ignored" or result.get("event_id") != envelope["event_id"]:
            raise StepFailed(f"signed webhook answered 200 {json.dumps(result)}, expected status ignored")
        wrong = {**headers, SIGNATURE_HEADER: sign(body, "smoke-wrong-" + secrets.token_hex(16))}
        refused = requests.post(url, data=body, headers=wrong, timeout=HTTP_TIMEOUT_S)
        if refused.status_code != 401:
            raise StepFailed(f"wrongly signed webhook answered {refused.status_code} {_error(refused)}, expected 401")
        return f"payment_source.created 200 ignored (event {envelope['event_id']}); wrong signature 401"

    # ----- 3 -----
    def customer_api(self) -> str:
        self.api = CustomerApi(self.s.outputs["ApiUrl"], self.s.region, self.s.session, timeout_s=HTTP_TIMEOUT_S)
        customer, device = self.customer_id, self.device_id
        done = []
        chosen = first_platform(self.s.parameters)
        if chosen:
            platform, _ = chosen
            token = secrets.token_hex(32)  # 64 hex: a well-formed APNs token, and an acceptable FCM one
            self.device_registered = self.customer_touched = True
            status, answer = self.api.register_device(customer, device, platform, token)
            expect(status, 200, answer, f"PUT /customers/<test>/devices/{device}", self._forbidden_hint)
            if answer.get("device_id") != device or _holds(answer, token):
                raise StepFailed("the registration's answer is not the device (or shows its token)")
            status, listing = self.api.devices(customer)
            expect(status, 200, listing, "GET /customers/<test>/devices")
            if [d.get("device_id") for d in listing.get("devices", [])] != [device]:
                raise StepFailed("the customer's devices are not the one test device")
            if _holds(listing, token):
                raise StepFailed("the device list shows the device's token")
            status, answer = self.api.call("DELETE", f"/customers/{customer}/devices/{device}")
            expect(status, 204, answer, f"DELETE /customers/<test>/devices/{device}")
            self.device_registered = False
            status, listing = self.api.devices(customer)
            expect(status, 200, listing, "GET /customers/<test>/devices")
            if listing.get("devices"):
                raise StepFailed("the deleted device is still listed")
            done.append(f"device registered ({platform}), listed without its token, deleted (204), gone")
        else:
            names = ", ".join(parameter for _, parameter in PLATFORMS)
            status, listing = self.api.devices(customer)
            expect(status, 200, listing, "GET /customers/<test>/devices", self._forbidden_hint)
            done.append(f"no push platform configured ({names} empty): device registration skipped")
        status, page = self.api.call("GET", f"/customers/{customer}/payment-sources")
        expect(status, 200, page, "GET /customers/<test>/payment-sources")
        if page.get("payment_sources") != [] or page.get("next_token"):
            raise StepFailed("the test customer has payment sources")
        done.append("payment sources 200 (none)")
        status, erasure = self.api.call("DELETE", f"/customers/{customer}")
        expect(status, 200, erasure, "DELETE /customers/<test>")
        self.customer_touched = False
        if not erased_nothing(erasure):
            raise StepFailed(f"the erasure deleted something, so the check had left it behind: {json.dumps(erasure)}")
        done.append("customer erased (200, nothing left)")
        return "; ".join(done)

    def _forbidden_hint(self, status: int) -> str:
        if status == 403 and not self.s.local_url:
            return " (attach the stack's CustomerApiInvokePolicyArn policy to your identity)"
        return ""

    # ----- 4 -----
    def schedules(self) -> str:
        if not self.s.schedules:
            raise StepFailed("the stack has no scheduled function")
        ran = []
        for logical_id, target in sorted(self.s.schedules.items()):
            result = self._run_local(logical_id) if self.s.local_url else self._invoke(logical_id, target)
            ran.append(f"{logical_id} ({summary(result)})")
        return "; ".join(ran)

    def _invoke(self, logical_id: str, function_name: str) -> Any:
        # one attempt: a retried invoke would run the function twice; the read timeout outlasts the function's
        timeout = self.s.timeouts.get(logical_id, 300) + 30
        client = self.s.client("lambda", read_timeout=timeout, attempts=1)
        try:
            answer = client.invoke(
                FunctionName=function_name,
                InvocationType="RequestResponse",
                LogType="Tail",
                Payload=b'{"source": "smoke"}',
            )
        except client.exceptions.TooManyRequestsException:
            raise StepFailed(
                f"{logical_id} was throttled: with ReserveConcurrency=true it runs one at a time, and its schedule's "
                "run is probably in progress; run the check again once it ended"
            ) from None
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            try:
                error = json.loads(payload)
                why = f"{error.get('errorType', 'Error')}: {str(error.get('errorMessage', ''))[:300]}"
            except (ValueError, AttributeError):
                why = answer["FunctionError"]
            raise StepFailed(f"{logical_id} failed ({why}); its log's last lines:", log_tail(answer.get("LogResult")))
        return json.loads(payload) if payload else None

    def _run_local(self, logical_id: str) -> Any:
        timeout = self.s.timeouts.get(logical_id, 300) + 30
        answer = requests.post(f"{self.s.local_url}/_local/schedules/{logical_id}", timeout=timeout)
        if answer.status_code == 500:
            error = answer.json()
            raise StepFailed(f"{logical_id} failed ({error.get('error')}: {str(error.get('message'))[:300]})")
        if answer.status_code != 200:
            raise StepFailed(f"{logical_id}: /_local/schedules answered {answer.status_code} {_error(answer)}")
        return answer.json().get("result")

    # ----- 5 -----
    def queues(self) -> str:
        sqs = self.s.client("sqs")
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        queue, dlq = self.s.outputs["SyncQueueUrl"], self.s.outputs["SyncDeadLetterQueueUrl"]
        sync = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
        dead = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=names)["Attributes"]
        if self.s.local_url:
            hint = "make redrive DRY_RUN=1 LOCAL=1"
        else:
            hint = f"make redrive DRY_RUN=1 QUEUE={queue} DLQ={dlq}"
        return queue_verdict(sync, dead, hint)

    # ----- 6 -----
    def alarms(self) -> str:
        if not self.s.alarms:
            raise StepFailed("the stack has no alarm")
        cloudwatch = self.s.client("cloudwatch")
        states: dict[str, str] = {}
        for start in range(0, len(self.s.alarms), 100):  # describe_alarms takes at most 100 names
            names = self.s.alarms[start : start + 100]
            for page in cloudwatch.get_paginator("describe_alarms").paginate(
                AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            ):
                for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                    states[alarm["AlarmName"]] = alarm["StateValue"]
        return alarm_verdict(self.s.alarms, states)

    # ----- cleanup -----
    def cleanup(self) -> None:
        """Whatever happened: the test device deleted and the test customer erased, unless already seen done."""
        if self.api is None or not (self.device_registered or self.customer_touched):
            return
        customer, device = self.customer_id, self.device_id
        problems = []
        try:
            if self.device_registered:
                status, _ = self.api.call("DELETE", f"/customers/{customer}/devices/{device}")
                if status not in (204, 404):
                    problems.append(f"deleting device {device} answered {status}")
            status, _ = self.api.call("DELETE", f"/customers/{customer}")
            if status != 200:
                problems.append(f"erasing the test customer answered {status}")
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        if problems:
            print(
                f"cleanup FAIL: {'; '.join(problems)}: delete device {device} of customer {customer} by hand "
                f"(DELETE /customers/{customer})",
                file=self.out,
                flush=True,
            )
        else:
            print(f"cleanup: test device {device} deleted, test customer erased", file=self.out, flush=True)


def _holds(answer: Any, token: str) -> bool:
    """True if an answer shows a token: the token itself or a `token` field anywhere."""
    text = json.dumps(answer)
    return token in text or '"token"' in text


def expect(status: int, wanted: int, answer: Any, what: str, hint: Callable[[int], str] | None = None) -> None:
    if status != wanted:
        error = error_code(answer)
        raise StepFailed(
            f"{what} answered {status}{f' ({error})' if error else ''}, expected {wanted}"
            + (hint(status) if hint else "")
        )


def _error(response: requests.Response) -> str:
    """The `error` code of a 4xx/5xx body (never the whole body)."""
    try:
        code = error_code(response.json())
    except ValueError:
        return ""
    return f"({code})" if code else ""


def error_code(body: Any) -> str | None:
    """Our `{"error", "message"}` body's code, or API Gateway's bare `{"message": "Forbidden"}`; never a message
    naming the caller (IAM's "User: arn:... is not authorized", whose session name may be a person's e-mail)."""
    if not isinstance(body, dict):
        return None
    message = str(body.get("message") or "")
    return body.get("error") or (message if message and ":" not in message and len(message) <= 40 else None)


def _webhook_hint(response: requests.Response) -> str:
    if response.status_code == 401:
        return ": the function reads another secret (secrets are cached 5 minutes after a put-secret-value)"
    if response.status_code == 403:
        return ": this address is outside AllowedSourceCidrs"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--env", help="samconfig.toml environment of the deployed stack: sandbox or production")
    where.add_argument("--url", help="the local stack's API (e.g. http://127.0.0.1:3000)")
    parser.add_argument("--stack-name", help="instead of samconfig.toml's stack_name for --env")
    parser.add_argument("--region", help="the stack's region (default: samconfig's, AWS_REGION, your AWS config's)")
    args = parser.parse_args(argv)
    return Smoke(args).run()


if __name__ == "__main__":
    sys.exit(main())
