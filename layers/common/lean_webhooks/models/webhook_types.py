"""Lean's webhook types, as plain strings: what a module needs to name a type without loading the webhook models
(pydantic), e.g. the domain events' publisher."""

PAYMENT_SOURCE_CREATED = "payment_source.created"
PAYMENT_SOURCE_UPDATED = "payment_source.updated"
BENEFICIARY_CREATED = "payment_source.beneficiary.created"
BENEFICIARY_UPDATED = "payment_source.beneficiary.updated"
BENEFICIARY_TYPES = (BENEFICIARY_CREATED, BENEFICIARY_UPDATED)
SYNC_TYPES = (*BENEFICIARY_TYPES, PAYMENT_SOURCE_UPDATED)
