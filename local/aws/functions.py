"""Load the template's Lambda handlers in-process, as Lambda would run them (one module per environment)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.aws import aws_calls
from local.aws import template as tpl

LAYER_DIR = tpl.ROOT / "layers" / "common"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools and our handlers read."""

    function_name: str
    timeout_s: float
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(spec: tpl.FunctionSpec, module_name: str) -> Any:
    """Import the function's handler module under `module_name` (environment already set)."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))
    module_file = spec.handler.rpartition(".")[0]
    module_spec = importlib.util.spec_from_file_location(module_name, spec.code_dir / f"{module_file}.py")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    return module


class LocalFunction:
    """A function of the template loaded in this process with its environment: for unit tests and in-process
    benchmarks, which call it from one thread. Powertools keeps some state per process (the HTTP resolvers'
    current event, metrics), so concurrent callers need `local.aws.workers.IsolatedFunction` instead.
    """

    def __init__(self, spec: tpl.FunctionSpec, environment: dict[str, str]):
        self.spec = spec
        self.name = spec.logical_id
        os.environ.update(environment)
        with aws_calls.made_by(self.name):  # its init code's AWS calls are the function's (IAM_CALLS)
            module = load_handler(spec, f"local_fn_{self.name}")
        self.handler = getattr(module, spec.handler.rpartition(".")[2])

    def invoke(self, event: dict[str, Any], context: LambdaContext | None = None, **use_cases: Any) -> Any:
        """Run the handler on `event` (with the function's timeout, or `context`); exceptions propagate like a Lambda
        error. `use_cases` go to the handler instead of the ones it wires itself (tests)."""
        context = context or LambdaContext(function_name=self.name, timeout_s=self.spec.timeout)
        with aws_calls.made_by(self.name):  # with IAM_CALLS set, its AWS calls are recorded (tests/iam)
            return self.handler(event, context, **use_cases)
