"""Errors that cross the line between the domain and its adapters: typed Lean API errors carrying Lean's
`status` string (`retryable` says whether trying later may help), a sync that cannot succeed, push and device
errors, and the use cases' refusals the customer API answers (`runtime.http_errors`)."""

from __future__ import annotations

import math

from lean_webhooks.models.labels import safe_label

DEFAULT_RETRY_AFTER_S = 5.0  # when Lean says nothing of when to come back


class LeanApiError(Exception):
    """Any failure talking to Lean."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        lean_status: str | None = None,
        retry_after_s: float | None = None,
    ):
        super().__init__(message)
        self.http_status = http_status
        self.lean_status = safe_label(lean_status) if lean_status is not None else None  # Lean's text: bounded
        self.retry_after_s = retry_after_s  # from the last answer's Retry-After, when Lean sent one

    @property
    def reason(self) -> str:
        """Short machine-readable reason, e.g. `http_503:INTERNAL_ERROR` or `timeout`."""
        if self.http_status is None:
            return self.lean_status or type(self).__name__
        return f"http_{self.http_status}:{self.lean_status or 'UNKNOWN'}"


class LeanUnavailable(LeanApiError):
    """Timeouts and connection failures after the client's own retries."""


class LeanRateLimited(LeanApiError):
    """HTTP 429 / `RATE_LIMIT_EXCEEDED` after the client's own retries."""


class LeanServerError(LeanApiError):
    """HTTP 5xx after the client's own retries."""


class LeanNotFound(LeanApiError):
    """404: Lean may not have the object yet (webhooks can outrun its API), so it is worth retrying."""


class LeanAuthError(LeanApiError):
    """401/403: credentials or permissions are wrong; fix them, then redrive."""

    retryable = False


class LeanRequestError(LeanApiError):
    """Any other 4xx: retrying the same request cannot help."""

    retryable = False


class LeanResponseInvalid(LeanApiError):
    """A 2xx whose body is not the object Lean documents."""

    retryable = False


def error_for(
    http_status: int, lean_status: str | None, message: str, retry_after_s: float | None = None
) -> LeanApiError:
    """Map an HTTP error answer to its typed exception."""
    kwargs = {"http_status": http_status, "lean_status": lean_status, "retry_after_s": retry_after_s}
    if http_status == 429 or lean_status == "RATE_LIMIT_EXCEEDED":
        return LeanRateLimited(message, **kwargs)
    if http_status >= 500:
        return LeanServerError(message, **kwargs)
    if http_status == 404:
        return LeanNotFound(message, **kwargs)
    if http_status in (401, 403):
        return LeanAuthError(message, **kwargs)
    return LeanRequestError(message, **kwargs)


class PermanentSyncError(Exception):
    """Retrying cannot fix this message: it goes to the dead-letter queue with `reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class PushOutcomeUnknown(Exception):
    """The publish timed out or its connection broke after sending: SNS may have accepted it. Retrying may
    deliver the one duplicate no receiver can avoid; it is counted."""


class EndpointDisabled(Exception):
    """SNS refused the publish: the endpoint is disabled (token expired, app uninstalled) or gone."""


class InvalidPageToken(ValueError):
    """A `next_token` this API did not give."""


class PlatformNotConfigured(Exception):
    """No SNS platform application ARN is configured for the requested platform."""


class DeviceRegistrationConflict(Exception):
    """Concurrent registrations of the same token kept moving its endpoint; the caller may retry."""


class RefreshUnavailable(Exception):
    """Lean could not answer a refresh: nothing changed; try again after `retry_after_s`. `retryable` False means
    Lean refused (credentials, an answer this service cannot read): trying again will not help until that is fixed."""

    def __init__(self, retry_after_s: int, retryable: bool = True, reason: str = ""):
        super().__init__(f"Lean unavailable ({reason}); retry after {retry_after_s} s")
        self.retry_after_s, self.retryable, self.reason = retry_after_s, retryable, reason


class DeviceNotRegistered(LookupError):
    """The customer has no device of that id."""


class CustomerErased(Exception):
    """A write refused by the erasure guard: the customer's erasure is under way, or finished after the Lean read
    the write carries. Nothing was written."""


class ErasureIncomplete(Exception):
    """Lean failed midway: what it deleted is marked deleted here, the rest is left; repeating the erasure
    completes it. `cause` says whether (and when) retrying can help."""

    def __init__(self, cause: LeanApiError, deleted_at_lean: int):
        super().__init__(f"erasure incomplete: Lean failed ({cause.reason})")
        self.cause, self.deleted_at_lean = cause, deleted_at_lean

    @property
    def retry_after_s(self) -> int:
        """Whole seconds before a repeat may help: Lean's Retry-After, or DEFAULT_RETRY_AFTER_S when it gave none."""
        return max(1, math.ceil(self.cause.retry_after_s or DEFAULT_RETRY_AFTER_S))
