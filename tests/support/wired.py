"""Use cases wired as the functions wire them, with the knob a test turns: an SNS client that fails on cue, the
sleep of a lease wait, the time a Lambda context has left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lean_webhooks import wiring
from lean_webhooks.adapters.sns_push import SnsPushPlatform
from lean_webhooks.core.activation_push import ActivationPush
from lean_webhooks.runtime.settings.push import PushSettings
from local.aws.functions import LambdaContext


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
