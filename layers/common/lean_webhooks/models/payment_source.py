"""Lean's Payment Source as returned by `GET /customers/v1/{customer_id}/payment-sources/{id}`.

Written from Lean's published object (docs/lean-contract.md): every field the pipeline does not need is
optional, deprecated fields still parse, and unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.common import AppId, LeanId, LenientRfc3339, Status, app_id_key


class LeanBeneficiary(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    payment_destination_id: LeanId | None = None
    status: Status
    beneficiary_cool_off_expiry: LenientRfc3339 = None


class LeanAccount(BaseModel):
    """An account of the payment source; IBAN and account number stay out of reprs (and so of logs)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str | None = None
    account_id: str | None = None  # deprecated by Lean
    account_name: str | None = None
    account_number: str | None = Field(default=None, repr=False)
    iban: str | None = Field(default=None, repr=False)
    currency: str | None = None
    balance: float | None = None  # deprecated by Lean
    balance_last_updated: LenientRfc3339 = None


class LeanPaymentSource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    customer_id: LeanId
    app_id: AppId
    bank_identifier: str | None = None
    status: str | None = None  # deprecated by Lean: decide per beneficiary
    beneficiary_cool_off_expiry: LenientRfc3339 = None  # deprecated by Lean
    beneficiaries: list[LeanBeneficiary] = Field(default_factory=list)
    accounts: list[LeanAccount] = Field(default_factory=list)
    end_user_ids: list[Any] | None = None

    def beneficiary(self, beneficiary_id: str) -> LeanBeneficiary | None:
        """The beneficiary with this id, compared case-insensitively."""
        wanted = beneficiary_id.lower()
        return next((b for b in self.beneficiaries if b.id == wanted), None)

    def belongs_to(self, app_id: str) -> bool:
        """True when the payment source is of the application `app_id` (opaque ids, trimmed, any case)."""
        return app_id_key(self.app_id) == app_id_key(app_id)


__all__ = ["LeanAccount", "LeanBeneficiary", "LeanPaymentSource"]
