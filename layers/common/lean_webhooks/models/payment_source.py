"""Lean's Payment Source as returned by `GET /customers/v1/{customer_id}/payment-sources/{id}`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lean_webhooks.models.common import ACTIVE, LeanId, OptionalRfc3339, Status


class LeanBeneficiary(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    payment_destination_id: LeanId | None = None
    status: Status
    beneficiary_cool_off_expiry: OptionalRfc3339 = None


class LeanAccount(BaseModel):
    """An account of the payment source; IBAN and account number stay out of reprs (and so of logs)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    account_id: str | None = None
    account_name: str | None = None
    account_number: str | None = Field(default=None, repr=False)
    iban: str | None = Field(default=None, repr=False)
    currency: str | None = None
    balance: float | None = None  # deprecated by Lean
    balance_last_updated: OptionalRfc3339 = None


class LeanPaymentSource(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: LeanId
    customer_id: LeanId
    app_id: LeanId
    bank_identifier: str
    status: str | None = None  # deprecated by Lean: decide per beneficiary
    beneficiaries: list[LeanBeneficiary] = Field(default_factory=list)
    accounts: list[LeanAccount] = Field(default_factory=list)

    def beneficiary(self, beneficiary_id: str) -> LeanBeneficiary | None:
        """The beneficiary with this id, compared case-insensitively."""
        wanted = beneficiary_id.lower()
        return next((b for b in self.beneficiaries if b.id == wanted), None)


def is_chargeable(status: str) -> bool:
    """Only `ACTIVE` beneficiaries can be charged; any other (or unknown) status cannot."""
    return status == ACTIVE


__all__ = ["LeanAccount", "LeanBeneficiary", "LeanPaymentSource", "is_chargeable"]
