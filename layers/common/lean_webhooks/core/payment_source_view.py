"""Shape stored items into what the app backend reads: payment sources with chargeable beneficiaries."""

from __future__ import annotations

from typing import Any

from lean_webhooks.models.items import StoredPaymentSource
from lean_webhooks.models.statuses import is_chargeable


def payment_sources_view(customer_id: str, sources: list[StoredPaymentSource]) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "payment_sources": [
            {
                "id": source.payment_source_id,
                "bank_identifier": source.bank_identifier,
                "accounts": source.accounts,
                "fetched_at": source.fetched_at,
                "beneficiaries": [
                    {
                        "id": ben.beneficiary_id,
                        "payment_destination_id": ben.payment_destination_id,
                        "status": ben.status,
                        "chargeable": is_chargeable(ben.status),
                        "cool_off_expiry": ben.cool_off_expiry,
                        "updated_at": ben.updated_at,
                    }
                    for ben in sorted(source.beneficiaries, key=lambda b: b.beneficiary_id)
                ],
            }
            for source in sorted(sources, key=lambda s: s.payment_source_id)
        ],
    }
