"""What the phone shows when a beneficiary becomes chargeable: one SNS `MessageStructure=json` body, in the
device's language. The data fields are the same in every language."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lean_webhooks.models.beneficiary import BeneficiaryActivation
    from lean_webhooks.models.push import PushText

DEFAULT_LOCALE = "en"


def text_for(texts: dict[str, PushText], locale: str | None) -> PushText:
    """The locale's text, else the default language's."""
    return texts.get(locale or DEFAULT_LOCALE) or texts[DEFAULT_LOCALE]


def build_message(activation: BeneficiaryActivation, text: PushText) -> str:
    """Default text, FCM HTTP v1 (`GCM`), APNs and APNs sandbox; the data names the beneficiary."""
    identity = activation.identity
    data = {
        "type": "payment_source.beneficiary.active",
        "customer_id": identity.customer_id,
        "payment_source_id": identity.payment_source_id,
        "beneficiary_id": identity.beneficiary_id,
    }
    notification = {"title": text.title, "body": text.body}
    fcm = {"fcmV1Message": {"message": {"notification": notification, "data": data, "android": {"priority": "high"}}}}
    apns = json.dumps({"aps": {"alert": notification, "sound": "default"}, **data}, ensure_ascii=False)
    return json.dumps(
        {"default": text.body, "GCM": json.dumps(fcm, ensure_ascii=False), "APNS": apns, "APNS_SANDBOX": apns},
        ensure_ascii=False,
    )
