"""API Gateway's IAM authorisation, locally: a SigV4 signature (service `execute-api`) checked against the local
stack's credentials by recomputing it with botocore's own signer.

Refusals are API Gateway's: 403, `{"message": ...}` and an `x-amzn-ErrorType` header, with the messages AWS
documents ("How do I troubleshoot HTTP 403 errors from API Gateway?", AWS Knowledge Center; "Troubleshoot signed
requests for AWS APIs", IAM User Guide). What IAM policies would allow is not evaluated: the local credentials
may call every route.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# The credentials every local client uses (local/stack.py sets them for the whole process).
LOCAL_ACCESS_KEY = "local"
LOCAL_SECRET_KEY = "local"  # noqa: S105 - the local stack's published credential, not a secret
LOCAL_REGION = "us-east-1"
SERVICE = "execute-api"
# "In most cases, a request must reach AWS within five minutes of the time stamp in the request. Otherwise, AWS
# denies the request." (IAM User Guide, "AWS Signature Version 4 for API requests"); either way of the clock.
MAX_SKEW = timedelta(minutes=5)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_FIELD = re.compile(r"(\w+)=([^,\s]*)")


@dataclass(frozen=True)
class Refusal:
    """API Gateway's 403: the `x-amzn-ErrorType` header and the body's message."""

    error_type: str
    message: str


def _incomplete(message: str) -> Refusal:
    return Refusal("IncompleteSignatureException", message)


def _invalid(message: str) -> Refusal:
    return Refusal("InvalidSignatureException", message)


class SigV4Verifier:
    """Checks a request's `Authorization: AWS4-HMAC-SHA256 ...` header: None when it is valid, else the refusal."""

    def __init__(
        self,
        access_key: str = LOCAL_ACCESS_KEY,
        secret_key: str = LOCAL_SECRET_KEY,
        region: str = LOCAL_REGION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._credentials = Credentials(access_key, secret_key)
        self._region, self._clock = region, clock

    def check(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Refusal | None:
        """`url` is the request's own (scheme, Host header, path and query exactly as sent)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        authorization = lowered.get("authorization", "")
        if not authorization:
            return Refusal("MissingAuthenticationTokenException", "Missing Authentication Token")
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != "AWS4-HMAC-SHA256":
            return _incomplete(f"Unsupported authorization type {algorithm!r}: use AWS4-HMAC-SHA256")
        fields = dict(_FIELD.findall(rest))
        for name in ("Credential", "SignedHeaders", "Signature"):
            if not fields.get(name):
                return _incomplete(f"Authorization header requires '{name}' parameter.")
        refusal, amz_date = self._scope_and_date(fields["Credential"], lowered)
        if refusal:
            return refusal
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or any(name not in lowered for name in signed):
            return _invalid(MISMATCH)
        declared_hash = lowered.get("x-amz-content-sha256")
        if declared_hash is not None and not hmac.compare_digest(declared_hash, sha256(body).hexdigest()):
            return _invalid(MISMATCH)  # a body that is not the one whose hash was signed
        expected = self._signature(method, url, {name: lowered[name] for name in signed}, body, amz_date, signed)
        if expected is None or not hmac.compare_digest(expected, fields["Signature"]):
            return _invalid(MISMATCH)
        return None

    def _scope_and_date(self, credential: str, headers: dict[str, str]) -> tuple[Refusal | None, str]:
        """The credential scope `<key>/<yyyymmdd>/<region>/<service>/aws4_request` and `x-amz-date`, checked."""
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            return _incomplete("Credential should be <access key>/<date>/<region>/<service>/aws4_request."), ""
        access_key, day, region, service, _ = parts
        if not hmac.compare_digest(access_key, self._credentials.access_key):
            return Refusal("AccessDeniedException", "The security token included in the request is invalid."), ""
        if region != self._region:
            return _invalid(f"Credential should be scoped to a valid region, not '{region}'."), ""
        if service != SERVICE:
            return _invalid(f"Credential should be scoped to correct service: '{SERVICE}'."), ""
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return _incomplete("Authorization header requires existence of either a 'X-Amz-Date' header."), ""
        if day != amz_date[:8]:
            return _invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date."), ""
        now = self._clock()
        if signed_at < now - MAX_SKEW:
            earliest = (now - MAX_SKEW).strftime(SIGV4_TIMESTAMP)
            return _invalid(f"Signature expired: {amz_date} is now earlier than {earliest}."), ""
        if signed_at > now + MAX_SKEW:
            latest = (now + MAX_SKEW).strftime(SIGV4_TIMESTAMP)
            return _invalid(f"Signature not yet current: {amz_date} is still later than {latest}."), ""
        return None, amz_date

    def _signature(
        self, method: str, url: str, headers: dict[str, str], body: bytes, amz_date: str, signed: list[str]
    ) -> str | None:
        """The signature botocore's signer gives the request's signed headers and body at its own date; None
        when the declared header list is not the one the signer derives from those headers."""
        request = AWSRequest(method=method, url=url, headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(self._credentials, SERVICE, self._region)
        if signer.signed_headers(signer.headers_to_sign(request)) != ";".join(signed):
            return None
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request)
