"""Every AWS call a function made while the whole unit and integration suites ran is allowed by that function's role
as CloudFormation gets it (template.yaml through the SAM transform), and so are the requests of its event source
mappings and, with a customer managed key, the key uses those bring.

moto and DynamoDB Local enforce no IAM: a grant missing for a path only some test runs (such as the cool-off recovery's
GetItem) passes every other test and fails in AWS. The calls are recorded by `local.aws.aws_calls` under
IAM_CALLS (`make test-unit`, `make test-integration`); `make test-iam` runs this after both.
"""

from __future__ import annotations

import pytest

from local.aws import template as tpl
from tests.support.iam_policy import EXAMPLE_KEY_ARN, calls_directory, check, local_parameters


def test_the_suites_recorded_calls_of_every_function(calls, figures):
    assert calls, f"no call recorded in {calls_directory()}: run the unit and integration tests with IAM_CALLS set"
    silent = sorted(set(tpl.functions()) - {call.function for call in calls})
    assert not silent, f"no test ran these functions (their grants would go unchecked): {silent}"
    figures["distinct requests recorded"] = len(calls)
    figures["functions"] = len({call.function for call in calls})
    figures["function/action pairs"] = len({(call.function, call.action) for call in calls})


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({}, id="stack-creates-the-bus"),
        # an existing bus named by EventBusName (the other branch of the publisher's grant), named as the local one
        pytest.param({"EventBusName": "lean-local-payment-sources"}, id="existing-bus"),
    ],
)
def test_every_recorded_call_and_every_event_source_mapping_is_allowed(calls, parameters, figures):
    report = check(calls, local_parameters(**parameters))
    assert report.ok, f"{report.checked} requests checked:\n{report.text()}"
    if not parameters:
        figures["requests checked (with the mappings')"] = report.checked


@pytest.mark.parametrize("bus", [{}, {"EventBusName": "lean-local-payment-sources"}], ids=["stack-bus", "existing-bus"])
def test_with_a_customer_managed_key_every_key_use_of_the_calls_is_allowed(calls, bus, figures):
    report = check(calls, local_parameters(KmsKeyArn=EXAMPLE_KEY_ARN, **bus))
    assert report.ok, f"{report.checked} requests checked (KmsKeyArn set):\n{report.text()}"
    if not bus:
        figures["key uses"] = len(report.key_uses)
        figures["requests checked with KmsKeyArn"] = report.checked
    derived = {(use.function, use.action, use.context) for use in report.key_uses}
    assert derived, "no key use derived from the calls: the key check would pass vacuously"
    via = (("kms:ViaService", ("sqs.us-east-1.amazonaws.com",)),)
    assert ("WebhookFunction", "kms:GenerateDataKey", via) in derived  # a producer of the sync queue
    assert ("SyncPaymentSourceFunction", "kms:Decrypt", via) in derived  # its mapping consumes the sync queue
