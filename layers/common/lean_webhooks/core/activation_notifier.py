"""Push one beneficiary activation to every enabled device of the customer, once per device.

Per device: claim its marker with a lease that outlives this invocation, publish, mark it sent. A notifier killed
between claim and answer leaves a claim whose lease runs out; the record's next delivery waits for it (as long
as its own time allows) and publishes then. A record whose time is nearly up claims nothing more and fails, to be
delivered again. A publish whose answer was lost ends its lease at once, so the next delivery takes it over.
An activation stored before the customer's erasure finished is pushed to no device: the erasure guard refuses
its claims (`stored_at`, when the activation was stored, is what the guard judges).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lean_webhooks.core.push_message import build_message, text_for
from lean_webhooks.models.errors import CustomerErased, EndpointDisabled, PushOutcomeUnknown
from lean_webhooks.models.push import Claim, ClaimResult, PushText
from lean_webhooks.models.timestamps import Clock, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.ports import Devices, PushMarkers, PushPlatform
    from lean_webhooks.models.beneficiary import BeneficiaryActivation
    from lean_webhooks.models.items import StoredDevice

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)  # beyond the notifier's 30 s timeout
LEASE_MARGIN = timedelta(seconds=5)  # a lease ends this long after its claimant's own deadline
DEFAULT_TEXT = PushText(
    "Payment source ready", "Your bank has finished its cool-off period. You can now pay with this account."
)
MIN_TIME_FOR_A_PUSH_S = 15.0  # one publish (2 s connect + 5 s read) and the marker writes, with room to spare


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
    possible_duplicates: int = 0  # publishes tried after a claim whose outcome was unknown (answer lost, died)
    erased: int = 0  # devices not pushed: the customer was erased since the activation was stored
    failed: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)


class ActivationNotifier:
    """Claim a marker per device, publish, mark it sent; release the claim on failure."""

    def __init__(
        self,
        devices: Devices,
        markers: PushMarkers,
        gateway: PushPlatform,
        clock: Clock = utc_now,
        lease: timedelta = DEFAULT_LEASE,
        sleep: Callable[[float], None] = time.sleep,
        before_possible_duplicate: Callable[[], None] = lambda: None,
        texts: Callable[[], dict[str, PushText]] = lambda: {"en": DEFAULT_TEXT},
    ):
        self._devices = devices
        self._markers = markers
        self._gateway = gateway
        self._clock = clock
        self._lease = lease
        self._sleep = sleep
        self._texts = texts  # per language; read once per activation (an override may change between them)
        self._before_possible_duplicate = before_possible_duplicate  # counted before the risk, so no crash loses it

    def notify(
        self,
        activation: BeneficiaryActivation,
        seconds_left: Callable[[], float] = lambda: float("inf"),
        stored_at: datetime | None = None,
    ) -> NotifyOutcome:
        outcome = NotifyOutcome()
        texts = self._texts()
        for device in self._devices.enabled_devices(activation.identity.customer_id):
            if seconds_left() < MIN_TIME_FOR_A_PUSH_S:
                outcome.deferred.append(device.device_id)  # claimed nothing: the next delivery pushes it
                continue
            try:
                result = self._claim(activation, device, seconds_left, stored_at)
            except CustomerErased:
                outcome.erased += 1
                continue
            if result.claim is Claim.SENT:
                outcome.already_sent += 1
            elif result.claim is Claim.IN_FLIGHT:
                outcome.in_flight.append(device.device_id)
            else:
                message = build_message(activation, text_for(texts, device.locale))
                self._push(activation, device, result, message, outcome)
        if outcome.failed or outcome.in_flight or outcome.deferred:
            raise PushFailed(
                f"not pushed yet: {len(outcome.failed)} failed, {len(outcome.in_flight)} in flight, "
                f"{len(outcome.deferred)} deferred for lack of time",
                outcome,
            )
        return outcome

    def _claim(
        self,
        activation: BeneficiaryActivation,
        device: StoredDevice,
        seconds_left: Callable[[], float],
        stored_at: datetime | None,
    ) -> ClaimResult:
        """Claim the device's marker; if another claim holds it, wait for its lease while this invocation can."""
        result = self._claim_once(activation, device, seconds_left, stored_at)
        if result.claim is not Claim.IN_FLIGHT or result.lease_until is None:
            return result
        wait_s = (result.lease_until - self._clock()).total_seconds() + 0.05
        wait_s = min(wait_s, seconds_left() - MIN_TIME_FOR_A_PUSH_S)
        if wait_s <= 0:
            return result
        self._sleep(wait_s)  # a claimant killed mid-push: its lease ends soon after its own deadline
        return self._claim_once(activation, device, seconds_left, stored_at)

    def _claim_once(
        self,
        activation: BeneficiaryActivation,
        device: StoredDevice,
        seconds_left: Callable[[], float],
        stored_at: datetime | None,
    ) -> ClaimResult:
        left = seconds_left()
        lease = self._lease if math.isinf(left) else min(self._lease, timedelta(seconds=left) + LEASE_MARGIN)
        identity = activation.identity
        return self._markers.claim(
            identity.customer_id, identity.beneficiary_id, device.device_id, self._clock(), lease, read_at=stored_at
        )

    def _push(
        self,
        activation: BeneficiaryActivation,
        device: StoredDevice,
        claim: ClaimResult,
        message: str,
        outcome: NotifyOutcome,
    ) -> None:
        customer_id, beneficiary_id = activation.identity.customer_id, activation.identity.beneficiary_id
        device_id = device.device_id
        if claim.claim is Claim.RECLAIMED:
            self._before_possible_duplicate()
            outcome.possible_duplicates += 1
        try:
            self._gateway.publish(device.endpoint_arn, message)
        except EndpointDisabled:
            self._devices.mark_disabled(customer_id, device_id, device.endpoint_arn, self._clock())
            self._markers.sent(customer_id, beneficiary_id, device_id, claim.claim_id, self._clock())  # done with it
            outcome.disabled += 1
            logger.info("device endpoint disabled; marked and skipped", extra={"device_id": device_id})
        except PushOutcomeUnknown:
            # SNS may have accepted it: the next delivery takes the claim over and counts its publish.
            self._markers.outcome_unknown(customer_id, beneficiary_id, device_id, claim.claim_id, self._clock())
            outcome.failed.append(device_id)
            outcome.unknown += 1
            logger.warning("push outcome unknown", extra={"device_id": device_id})
        except Exception as exc:  # noqa: BLE001 - any other publish failure: release and retry the record
            self._markers.release(customer_id, beneficiary_id, device_id, claim.claim_id)
            outcome.failed.append(device_id)
            logger.warning("push failed", extra={"device_id": device_id, "error": type(exc).__name__})
        else:
            self._markers.sent(customer_id, beneficiary_id, device_id, claim.claim_id, self._clock())
            outcome.sent += 1
