"""Push one beneficiary activation to every enabled device of the customer, once per device.

Per device: claim its marker with a lease longer than the function can run, publish, mark it sent. A notifier
killed between claim and answer leaves a claim whose lease runs out; the record's next delivery publishes
then. A record whose time is nearly up claims nothing more and fails, to be delivered again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lean_webhooks.core.ports import DeviceRepository, PushMarkers, PushPlatform
from lean_webhooks.core.push_message import build_message
from lean_webhooks.models.beneficiary import BeneficiaryActivation
from lean_webhooks.models.errors import EndpointDisabled, PushOutcomeUnknown
from lean_webhooks.models.push import Claim
from lean_webhooks.runtime.observability import logger

DEFAULT_LEASE = timedelta(seconds=60)  # beyond the notifier's 30 s timeout
MIN_TIME_FOR_A_PUSH_S = 15.0  # the SNS client's worst case: 2 attempts of 2 s connect + 5 s read


class PushFailed(Exception):
    """Some devices could not be pushed to (yet); the record is retried and devices already sent are skipped."""

    def __init__(self, message: str, outcome: NotifyOutcome):
        super().__init__(message)
        self.outcome = outcome


@dataclass
class NotifyOutcome:
    sent: int = 0
    already_sent: int = 0
    disabled: int = 0
    unknown: int = 0  # SNS may have accepted a publish whose answer was lost: the retry may duplicate it
    failed: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)


class ActivationNotifier:
    """Claim a marker per device, publish, mark it sent; release the claim on failure."""

    def __init__(
        self,
        devices: DeviceRepository,
        markers: PushMarkers,
        gateway: PushPlatform,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = DEFAULT_LEASE,
    ):
        self._devices = devices
        self._markers = markers
        self._gateway = gateway
        self._clock = clock
        self._lease = lease

    def notify(
        self, activation: BeneficiaryActivation, seconds_left: Callable[[], float] = lambda: float("inf")
    ) -> NotifyOutcome:
        outcome = NotifyOutcome()
        message = build_message(activation)
        customer_id, beneficiary_id = activation.identity.customer_id, activation.identity.beneficiary_id
        for device in self._devices.enabled_devices(customer_id):
            device_id = device.device_id
            if seconds_left() < MIN_TIME_FOR_A_PUSH_S:
                outcome.deferred.append(device_id)  # claimed nothing: the next delivery pushes it
                continue
            claim, claim_id = self._markers.claim(customer_id, beneficiary_id, device_id, self._clock(), self._lease)
            if claim is Claim.SENT:
                outcome.already_sent += 1
                continue
            if claim is Claim.IN_FLIGHT:
                outcome.in_flight.append(device_id)
                continue
            try:
                self._gateway.publish(device.endpoint_arn, message)
            except EndpointDisabled:
                self._devices.mark_disabled(customer_id, device_id, device.endpoint_arn, self._clock())
                self._markers.sent(customer_id, beneficiary_id, device_id, claim_id, self._clock())  # done with it
                outcome.disabled += 1
                logger.info("device endpoint disabled; marked and skipped", extra={"device_id": device_id})
            except Exception as exc:  # noqa: BLE001 - any publish failure: release and retry the record
                self._markers.release(customer_id, beneficiary_id, device_id, claim_id)
                outcome.failed.append(device_id)
                outcome.unknown += isinstance(exc, PushOutcomeUnknown)
                logger.warning("push failed", extra={"device_id": device_id, "error": type(exc).__name__})
            else:
                self._markers.sent(customer_id, beneficiary_id, device_id, claim_id, self._clock())
                outcome.sent += 1
        if outcome.failed or outcome.in_flight or outcome.deferred:
            raise PushFailed(
                f"not pushed yet: {len(outcome.failed)} failed, {len(outcome.in_flight)} in flight, "
                f"{len(outcome.deferred)} deferred for lack of time",
                outcome,
            )
        return outcome
