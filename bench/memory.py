"""Memory the customer API needs: the peak resident set (VmHWM of /proc/self/status) of a fresh process running its
handler from the shipped layer through a first `GET .../payment-sources`, a device registration and a refresh
that lists the customer's payment sources from Lean (the simulator), against a moto server. Lambda's "Max Memory
Used" is this process's peak plus the runtime client around it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.coldstart import _services
from bench.stats import median

FUNCTION = "CustomerApiFunction"
# After each request: the process's peak resident set so far, in MB.
_PROCESS = """
import json, os, resource, sys, time
os.environ.update(json.loads({env!r}))
events = json.loads(open({events_file!r}).read())
def peak_mb():  # VmHWM: this image's peak (ru_maxrss would keep the forking parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"): return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
class Context:
    function_name = {name!r}; memory_limit_in_mb = {memory}; function_version = "1"; log_group_name = ""
    log_stream_name = ""; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + {name!r}
    def __init__(self): self._end = time.monotonic() + {timeout}
    def get_remaining_time_in_millis(self): return int((self._end - time.monotonic()) * 1000)
peaks = {{"interpreter": peak_mb()}}
sys.path.insert(0, {layer!r})
import importlib.util
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
peaks["init"] = peak_mb()
for label, event in events:
    answer = module.lambda_handler(event, Context())
    assert answer["statusCode"] in (200, 201, 202), (label, answer)
    peaks[label] = peak_mb()
sys.stderr.write(json.dumps(peaks) + "\\n")
"""


def memory_size_mb(function: str = FUNCTION) -> int:
    """The function's MemorySize in the template (its own, or the Globals')."""
    from local.aws import template as tpl

    own = tpl.resources()[function]["Properties"].get("MemorySize")
    return int(own or tpl.load()["Globals"]["Function"]["MemorySize"])


def measure(shipped_layer: Path, runs: int = 5) -> dict[str, Any]:
    """Peak RSS of `runs` fresh customer API processes after init, a GET, a registration and a refresh."""
    from local.aws import template as tpl
    from local.aws.lambda_events import device_registration_event, http_api_event
    from local.aws.resources import function_environment, local_app_id
    from local.harness import samples

    spec = tpl.functions()[FUNCTION]
    memory = memory_size_mb()
    samples_by_step: dict[str, list[float]] = {}
    with _services() as svc, tempfile.TemporaryDirectory(prefix="memory-") as tmp:
        env = json.dumps({**function_environment(spec, svc["refs"]), **svc["aws"]})
        for i in range(runs):
            flow = samples.ids()
            cid = flow["customer_id"]
            svc["sim"].state.payment_sources[(cid, flow["payment_source_id"])] = samples.payment_source(
                flow, local_app_id(), samples.AWAITING
            )
            route = "GET /customers/{customer_id}/payment-sources"
            events = [
                (
                    "get",
                    http_api_event(
                        "GET",
                        f"/customers/{cid}/payment-sources",
                        route_key=route,
                        path_parameters={"customer_id": cid},
                        iam_authorised=True,
                    ),
                ),
                ("registration", device_registration_event(cid, "phone", "fcm-" + uuid.uuid4().hex + "z" * 100)),
                (
                    "refresh",
                    http_api_event(
                        "POST",
                        f"/customers/{cid}/payment-sources/refresh",
                        route_key="POST /customers/{customer_id}/payment-sources/refresh",
                        path_parameters={"customer_id": cid},
                        iam_authorised=True,
                    ),
                ),
            ]
            events_file = Path(tmp) / f"events-{i}.json"
            events_file.write_text(json.dumps(events))
            code = _PROCESS.format(
                env=env,
                events_file=str(events_file),
                name=FUNCTION,
                memory=memory,
                timeout=spec.timeout,
                layer=str(shipped_layer),
                path=str(spec.code_dir / "app.py"),
            )
            out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, timeout=120)
            if out.returncode:
                raise RuntimeError(f"memory process failed:\n{out.stderr[-3000:]}")
            for step, mb in json.loads(out.stderr.strip().splitlines()[-1]).items():
                samples_by_step.setdefault(step, []).append(mb)
    peak = max(samples_by_step["refresh"])
    return {
        "function": FUNCTION,
        "runs": runs,
        "peak_rss_mb_median": {step: median(values) for step, values in samples_by_step.items()},
        "peak_rss_mb_max": peak,
        "memory_size_mb": memory,
        "headroom": round(memory / peak, 2),
    }
