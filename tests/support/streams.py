"""DynamoDB stream records, as Lambda receives them from a NEW_AND_OLD_IMAGES stream."""

from __future__ import annotations

from lean_webhooks.adapters.dynamodb.table import to_item


def stored_beneficiary(
    customer_id: str = "c1", beneficiary_id: str = "b1", payment_source_id: str = "p1", **attributes: object
) -> dict:
    """A beneficiary's item as the table stores it (plain values): its keys and ids, and `attributes`."""
    return {
        "pk": f"CUSTOMER#{customer_id}",
        "sk": f"PAYMENT_SOURCE#{payment_source_id}#BENEFICIARY#{beneficiary_id}",
        "entity": "BENEFICIARY",
        "customer_id": customer_id,
        "payment_source_id": payment_source_id,
        "beneficiary_id": beneficiary_id,
        **attributes,
    }


def beneficiary(status: str | None, cool_off_seen: bool | None) -> dict | None:
    if status is None:
        return None
    item = stored_beneficiary("c", "b", "p", status=status)
    if cool_off_seen is not None:
        item["cool_off_seen"] = cool_off_seen
    return to_item(item)


def stream_record(old: dict | None, new: dict | None) -> dict:
    """A record as Lambda receives it from a NEW_AND_OLD_IMAGES stream."""
    event_name = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
    image = new or old or {}
    dynamodb = {
        "ApproximateCreationDateTime": 1767225600,
        "Keys": {"pk": image.get("pk", {"S": "CUSTOMER#c"}), "sk": image.get("sk", {"S": "ITEM"})},
        "SequenceNumber": "100",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        dynamodb["OldImage"] = old
    if new is not None:
        dynamodb["NewImage"] = new
    return {
        "eventID": "1",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": "arn:aws:dynamodb:stream",
    }


def activation(customer_id: str, beneficiary_id: str = "b1", old: str | None = "AWAITING_BENEFICIARY_COOL_OFF"):
    """A stream record of a beneficiary of payment source p1 becoming ACTIVE after a cool-off."""
    base = stored_beneficiary(customer_id, beneficiary_id, bank_identifier="ENBD_UAE", cool_off_seen=True)
    old_image = to_item({**base, "status": old}) if old else None
    record = stream_record(old_image, to_item({**base, "status": "ACTIVE"}))
    record["dynamodb"]["SequenceNumber"] = beneficiary_id
    return record
