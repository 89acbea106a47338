"""Use cases wired as the functions wire them, with the knob a test turns: an SNS client that fails on cue, the
sleep of a lease wait, the time a Lambda context has left; and another function's use case, wired under its own
environment, to reach a stored state without that function's handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lean_webhooks import wiring
from lean_webhooks.adapters.sns_push import SnsPushPlatform
from lean_webhooks.core.activation_push import ActivationPush
from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.runtime.settings.push import PushSettings
from local.aws import template as tpl
from local.aws.functions import LambdaContext
from local.aws.resources import function_environment


class ScriptedSns:
    """An SNS client whose `publish` a test replaces (`publish_with`); every other call goes to the real one."""

    def __init__(self, real: Any):
        self.real = real
        self.publish_with: Callable[..., Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def publish(self, **kwargs: Any) -> Any:
        return (self.publish_with or self.real.publish)(**kwargs)


def activation_push(sns: Any = None, sleep: Callable[[float], None] | None = None) -> ActivationPush:
    """The notifier's use case from the environment the test loaded its function with."""
    platform = SnsPushPlatform(sns) if sns is not None else None
    kwargs = {"sleep": sleep} if sleep is not None else {}
    return wiring.build_activation_push(PushSettings.from_env(), platform, **kwargs)


def time_left(seconds: float, function: str = "test") -> LambdaContext:
    """A Lambda context with `seconds` left before the function times out."""
    return LambdaContext(function_name=function, timeout_s=seconds)


def wired_as[T](function: str, aws: dict[str, Any], build: Callable[[], T], **overrides: str) -> T:
    """What `build` returns under `function`'s template environment (moto's resources), the environment given back
    afterwards: a use case as that function wires it, without its handler."""
    environment = {**function_environment(tpl.functions()[function], aws["refs"]), **overrides}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        return build()


def device_registry(aws: dict[str, Any]) -> DeviceRegistry:
    """The customer API's device registry as it is wired (its settings, moto's table and SNS): how a test registers
    devices before a push without the customer API's handler."""
    return wired_as("CustomerApiFunction", aws, wiring.device_registry)
