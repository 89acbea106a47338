"""Schemathesis against the running local stack, from the committed OpenAPI document (docs/openapi.json, which a
unit test holds to the code): random valid and invalid requests for every customer route, SigV4-signed as the
emulator's IAM routes require; no 5xx, and every answer matches the document (status, content type, body
schema), and invalid requests are refused."""

from __future__ import annotations

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from local.aws.template import ROOT
from local.harness.signing import SigV4

schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
SIGNED = requests.Session()
SIGNED.auth = SigV4()  # the local stack's credentials


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_answer_matches_the_document_and_none_is_a_5xx(case, stack):
    # Not checked: that every schema-valid request is accepted. A `next_token` is opaque (any string fits the
    # schema) and one this API did not give is refused with a 400, on purpose.
    case.call_and_validate(base_url=stack.api_url, session=SIGNED, excluded_checks=[positive_data_acceptance])


def test_the_local_stack_serves_the_document(stack):
    served = requests.get(f"{stack.api_url}/_local/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == requests.compat.json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
