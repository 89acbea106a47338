"""Shape stored items into what the app backend reads: payment sources with chargeable beneficiaries."""

from __future__ import annotations

from typing import Any

from lean_webhooks.models.payment_source import is_chargeable


def payment_sources_view(customer_id: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "payment_sources": [
            {
                "id": source["payment_source_id"],
                "bank_identifier": source.get("bank_identifier"),
                "accounts": source.get("accounts", []),
                "fetched_at": source.get("fetched_at"),
                "beneficiaries": [
                    {
                        "id": ben["beneficiary_id"],
                        "payment_destination_id": ben.get("payment_destination_id"),
                        "status": ben["status"],
                        "chargeable": is_chargeable(ben["status"]),
                        "cool_off_expiry": ben.get("cool_off_expiry"),
                        "updated_at": ben.get("updated_at"),
                    }
                    for ben in sorted(source["beneficiaries"], key=lambda b: b["beneficiary_id"])
                ],
            }
            for source in sorted(sources, key=lambda s: s["payment_source_id"])
        ],
    }
