"""Push one activation to every enabled device of its customer, then settle it: out of the activations index, so
that the push reconciler reads only what is left unfinished. Used by the stream's notifier and the reconciler.

A crash between the pushes and the settling leaves the activation in the index: the reconciler finds its markers
`SENT` and settles it without pushing again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lean_webhooks.models.timestamps import Clock, from_iso, utc_now

if TYPE_CHECKING:
    from lean_webhooks.core.activation_notifier import ActivationNotifier, NotifyOutcome
    from lean_webhooks.core.ports import ActivationIndex
    from lean_webhooks.models.beneficiary import BeneficiaryActivation


class ActivationPush:
    """Notify (raises `PushFailed` while a device is left to push), then settle."""

    def __init__(
        self,
        notifier: ActivationNotifier,
        activations: ActivationIndex,
        clock: Clock = utc_now,
    ):
        self._notifier, self._activations, self._clock = notifier, activations, clock

    def push(
        self,
        activation: BeneficiaryActivation,
        seconds_left: Callable[[], float] = lambda: float("inf"),
        activated_at: str | None = None,
    ) -> NotifyOutcome:
        """Push, then settle the activation: when `activated_at` (the stored beneficiary's activation time) is
        given, only while the beneficiary still holds that activation, so that a later one keeps its place."""
        stored_at = from_iso(activated_at) if activated_at else None  # judged by the erasure guard
        outcome = self._notifier.notify(activation, seconds_left, stored_at)
        self._activations.settle_activation(activation.identity, self._clock(), activated_at=activated_at)
        return outcome
