"""SigV4 for `requests` (service `execute-api`): how the local harness signs its calls to the IAM routes, with
the local stack's credentials unless others are given."""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests import PreparedRequest
from requests.auth import AuthBase

from local.aws.sigv4 import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY, SERVICE


class SigV4(AuthBase):
    """Signs each request as it is sent: its method, URL, body and content type (botocore's signer)."""

    def __init__(
        self, access_key: str = LOCAL_ACCESS_KEY, secret_key: str = LOCAL_SECRET_KEY, region: str = LOCAL_REGION
    ):
        self._signer = SigV4Auth(Credentials(access_key, secret_key), SERVICE, region)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        content_type = request.headers.get("Content-Type")
        headers = {"Content-Type": content_type} if content_type else {}
        signed = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        self._signer.add_auth(signed)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = signed.headers[name]
        return request
