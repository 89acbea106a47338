"""The webhook's API request id and the event id travel from the webhook to the sync to the push in the logs."""

from __future__ import annotations

from local.aws.lambda_events import http_api_event
from local.aws.pollers import _sqs_record
from local.aws.resources import local_app_id
from local.harness import samples
from tests.support.logs import Captured, log_lines
from tests.support.streams import stream_record
from tests.support.webhooks import signed


def test_request_id_and_event_id_are_in_the_webhook_sync_and_push_logs(aws, load_function, monkeypatch):
    capsys = Captured(monkeypatch)

    webhook = load_function("WebhookFunction")
    sync = load_function("SyncPaymentSourceFunction")
    notify = load_function("NotifyActiveFunction")
    flow = samples.ids()
    aws["sim"].state.payment_sources[(flow["customer_id"], flow["payment_source_id"])] = samples.payment_source(
        flow, local_app_id(), samples.ACTIVE
    )
    envelope = samples.beneficiary_webhook(flow, "updated", samples.ACTIVE)
    body, headers = signed(envelope)
    event = http_api_event("POST", "/webhooks/lean", body=body, headers=headers, route_key="POST /webhooks/lean")
    request_id = event["requestContext"]["requestId"]
    assert webhook.invoke(event)["statusCode"] == 200
    accepted = [line for line in log_lines(capsys.readouterr().out) if line["message"] == "webhook accepted"]
    assert accepted[0]["correlation_id"] == request_id and accepted[0]["event_id"] == envelope["event_id"]

    sqs, url = aws["clients"]["sqs"], aws["refs"]["SyncQueue"]
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    answer = sync.invoke({"Records": [_sqs_record(message, aws["refs"]["SyncQueue.Arn"])]})
    assert answer == {"batchItemFailures": []}, capsys.stream.getvalue()[-1500:]
    synced = [line for line in log_lines(capsys.readouterr().out) if line["message"] == "payment source synced"]
    assert synced[0]["api_request_id"] == request_id and synced[0]["event_id"] == envelope["event_id"]

    item = aws["clients"]["dynamodb"].get_item(
        TableName=aws["refs"]["Table"],
        Key={
            "pk": {"S": f"CUSTOMER#{flow['customer_id']}"},
            "sk": {"S": f"PAYMENT_SOURCE#{flow['payment_source_id']}#BENEFICIARY#{flow['beneficiary_id']}"},
        },
    )["Item"]
    awaiting = {name: value for name, value in item.items() if name != "activated_at"}  # before its activation
    old = {**awaiting, "status": {"S": "AWAITING_BENEFICIARY_COOL_OFF"}}
    notify.invoke({"Records": [stream_record(old, item)]})
    pushed = [line for line in log_lines(capsys.readouterr().out) if line["message"] == "activation pushed"]
    assert pushed[0]["event_id"] == envelope["event_id"]
