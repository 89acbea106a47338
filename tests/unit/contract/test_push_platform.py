"""PushPlatform contract: RecordingPushPlatform and SnsPushPlatform (on moto's SNS) agree on endpoints (one per
token), publishing, and refusing disabled or deleted endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lean_webhooks.core.ports import PushPlatform
from lean_webhooks.models.errors import EndpointDisabled
from tests.support.fakes import RecordingPushPlatform

MESSAGE = '{"default": "Payment source ready"}'
TOKEN, OTHER_TOKEN = "token-aaaaaaaa", "token-bbbbbbbb"
APPLICATION = "arn:aws:sns:us-east-1:123456789012:app/GCM/lean-webhooks-gcm"


@dataclass(frozen=True)
class Platform:
    port: PushPlatform
    application_arn: str
    disable: Callable[[str], None]  # what SNS does when the platform reports a token invalid


@pytest.fixture(params=["recording", "sns"])
def platform(request: pytest.FixtureRequest) -> Platform:
    if request.param == "recording":
        fake = RecordingPushPlatform()
        return Platform(fake, APPLICATION, fake.disable)
    from lean_webhooks.adapters.sns_push import SnsPushPlatform

    aws: dict[str, Any] = request.getfixturevalue("aws")
    sns = aws["clients"]["sns"]

    def disable(arn: str) -> None:
        sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})

    return Platform(SnsPushPlatform(sns), aws["refs"]["GcmPlatformApplicationArn"], disable)


def test_one_endpoint_per_token(platform: Platform):
    port, app = platform.port, platform.application_arn
    first = port.ensure_endpoint(app, TOKEN, "c1/phone")
    assert first.startswith(app.replace(":app/", ":endpoint/"))
    assert port.ensure_endpoint(app, TOKEN, "c2/tablet") == first  # the same token: the same endpoint
    assert port.ensure_endpoint(app, OTHER_TOKEN, "c1/phone") != first


def test_a_token_stays_on_its_endpoint_whoever_registers_another_token(platform: Platform):
    """A device that reports a new token gets the new token's endpoint: no endpoint ever takes another token, so
    a token is held by one endpoint only."""
    port, app = platform.port, platform.application_arn
    first = port.ensure_endpoint(app, TOKEN, "c1/primary")
    other = port.ensure_endpoint(app, OTHER_TOKEN, "c1/primary")  # the same device, a new token
    assert other != first and port.ensure_endpoint(app, TOKEN, "c2/primary") == first


def test_a_published_message_gets_an_id(platform: Platform):
    arn = platform.port.ensure_endpoint(platform.application_arn, TOKEN, "c1/phone")
    first, second = platform.port.publish(arn, MESSAGE), platform.port.publish(arn, MESSAGE)
    assert isinstance(first, str) and first and first != second


def test_a_disabled_endpoint_is_refused_until_registered_again(platform: Platform):
    port, app = platform.port, platform.application_arn
    arn = port.ensure_endpoint(app, TOKEN, "c1/phone")
    platform.disable(arn)
    with pytest.raises(EndpointDisabled):
        port.publish(arn, MESSAGE)
    assert port.ensure_endpoint(app, TOKEN, "c1/phone") == arn  # registering again enables it
    assert port.publish(arn, MESSAGE)


def test_a_deleted_endpoint_is_refused_and_replaced_when_registered_again(platform: Platform):
    port, app = platform.port, platform.application_arn
    arn = port.ensure_endpoint(app, TOKEN, "c1/phone")
    port.delete_endpoint(arn)
    port.delete_endpoint(arn)  # idempotent
    with pytest.raises(EndpointDisabled):
        port.publish(arn, MESSAGE)
    renewed = port.ensure_endpoint(app, TOKEN, "c1/phone")
    assert renewed != arn and port.publish(renewed, MESSAGE)
