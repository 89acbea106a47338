"""Push one beneficiary activation to every enabled device of the customer, once per device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lean_webhooks.core.ports import DeviceRepository, PushMarkers, PushPlatform
from lean_webhooks.core.push_message import build_message
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.errors import EndpointDisabled
from lean_webhooks.runtime.observability import logger


class PushFailed(Exception):
    """Some devices could not be pushed to; the record is retried and claimed devices are skipped."""


@dataclass
class NotifyOutcome:
    sent: int = 0
    already_sent: int = 0
    disabled: int = 0
    failed: list[str] = field(default_factory=list)


class ActivationNotifier:
    """Claim a marker per device, publish, release the claim on failure."""

    def __init__(
        self,
        devices: DeviceRepository,
        markers: PushMarkers,
        gateway: PushPlatform,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._devices = devices
        self._markers = markers
        self._gateway = gateway
        self._clock = clock

    def notify(self, activation: BeneficiaryActivation) -> NotifyOutcome:
        outcome = NotifyOutcome()
        message = build_message(activation)
        customer_id, beneficiary_id = activation.identity.customer_id, activation.identity.beneficiary_id
        for device in self._devices.enabled_devices(customer_id):
            device_id = device.device_id
            if not self._markers.claim(customer_id, beneficiary_id, device_id, self._clock()):
                outcome.already_sent += 1
                continue
            try:
                self._gateway.publish(device.endpoint_arn, message)
            except EndpointDisabled:
                self._devices.mark_disabled(customer_id, device_id, device.endpoint_arn, self._clock())
                outcome.disabled += 1
                logger.info("device endpoint disabled; marked and skipped", extra={"device_id": device_id})
            except Exception as exc:  # noqa: BLE001 - any publish failure: release and retry the record
                self._markers.release(customer_id, beneficiary_id, device_id)
                outcome.failed.append(device_id)
                logger.warning("push failed", extra={"device_id": device_id, "error": type(exc).__name__})
            else:
                outcome.sent += 1
        if outcome.failed:
            raise PushFailed(f"push failed for {len(outcome.failed)} device(s)")
        return outcome
