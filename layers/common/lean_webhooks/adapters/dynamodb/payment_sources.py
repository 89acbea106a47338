"""Payment source and beneficiary items: the core's write rules (`core.write_rules`) carried out as conditional
writes (`plans.write_first`), and the reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lean_webhooks.adapters.dynamodb.erasures import guard_of
from lean_webhooks.adapters.dynamodb.keys import (
    ACTIVATIONS_INDEX,
    ACTIVATIONS_INDEX_READS,
    AWAITING_INDEX,
    AWAITING_INDEX_PK,
    AWAITING_INDEX_READS,
    BENEFICIARY,
    PAYMENT_SOURCE,
    activations_pk,
    beneficiary_sk,
    customer_pk,
    payment_source_content,
    payment_source_sk,
    payment_sources_of,
)
from lean_webhooks.adapters.dynamodb.plans import write_first
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.core.write_rules import (
    beneficiary_plans,
    marking_plan,
    payment_source_deleted_plan,
    payment_source_plan,
    recheck_plan,
    settling_plan,
)
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite
from lean_webhooks.models.items import StoredBeneficiary, StoredPaymentSource
from lean_webhooks.models.statuses import DELETED
from lean_webhooks.models.timestamps import iso

if TYPE_CHECKING:  # Lean's models are only written by the sync: readers (customer API, pushes) never import them
    from lean_webhooks.models.payment_source import LeanPaymentSource


def _key(identity: BeneficiaryIdentity) -> dict[str, Any]:
    return key(customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id))


def _reading(names: tuple[str, ...]) -> dict[str, Any]:
    """A query's ProjectionExpression: only `names`, the attributes the index projects for its reader."""
    return {
        "ProjectionExpression": ", ".join(f"#r{i}" for i in range(len(names))),
        "ExpressionAttributeNames": {f"#r{i}": name for i, name in enumerate(names)},
    }


class DynamoPaymentSources:
    """Payment sources and their beneficiaries: the sync's writes, the recovery and activation indexes, the reads."""

    def __init__(self, table: Table):
        self._table = table

    def put_payment_source(
        self, source: LeanPaymentSource, fetched_at: datetime, read_at: datetime | None = None
    ) -> bool:
        """Store the payment source and its accounts unless they are unchanged, deleted, or a newer read is
        already stored (`write_rules.payment_source_plan`)."""
        content, digest = payment_source_content(source)
        item_key = key(customer_pk(source.customer_id), payment_source_sk(source.id))
        plan = payment_source_plan(content, digest, fetched_at)
        return write_first(self._table, item_key, PAYMENT_SOURCE, [plan], guard_of(source.customer_id, read_at))

    def apply_beneficiary(self, write: BeneficiaryWrite, now: datetime, read_at: datetime | None = None) -> bool:
        """Store a status decision (`write_rules.beneficiary_plans`); False when the rules refuse it or it would
        change nothing stored. With `read_at` (when Lean said it), refused by a customer's erasure since
        (`CustomerErased`)."""
        guard = guard_of(write.identity.customer_id, read_at)
        return write_first(self._table, _key(write.identity), BENEFICIARY, beneficiary_plans(write, now), guard)

    def list_for_customer(self, customer_id: str) -> list[StoredPaymentSource]:
        """Stored payment sources of a customer, each with its beneficiaries nested; deleted ones left out."""
        return payment_sources_of(customer_id, self._table.query_customer(customer_id, f"{PAYMENT_SOURCE}#"))

    def beneficiaries_of(self, customer_id: str, payment_source_id: str) -> list[StoredBeneficiary]:
        """Stored beneficiaries of one payment source."""
        prefix = f"{payment_source_sk(payment_source_id)}#{BENEFICIARY}#"
        return [StoredBeneficiary.from_item(i) for i in self._table.query_customer(customer_id, prefix)]

    def mark_beneficiary(
        self, customer_id: str, payment_source_id: str, beneficiary_id: str, status: str, reason: str, now: datetime
    ) -> bool:
        """Set `REMOVED` or `DELETED` (`write_rules.marking_plan`); returns whether the item changed."""
        identity = BeneficiaryIdentity(customer_id, payment_source_id, beneficiary_id)
        return write_first(self._table, _key(identity), BENEFICIARY, [marking_plan(status, reason, now)])

    def defer_recheck(
        self, identity: BeneficiaryIdentity, failures: int, recheck_at: datetime | None, now: datetime
    ) -> bool:
        """After a failed recovery re-read: look again at `recheck_at`, or (None) park the beneficiary out of the
        recovery index (`write_rules.recheck_plan`); returns whether the item changed."""
        return write_first(self._table, _key(identity), BENEFICIARY, [recheck_plan(failures, recheck_at, now)])

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime, read_at: datetime | None = None
    ) -> int:
        """Record the payment source as deleted with `reason` (created if it was never stored) and mark each of
        its stored beneficiaries `DELETED`; returns how many beneficiaries changed."""
        item_key = key(customer_pk(customer_id), payment_source_sk(payment_source_id))
        plan = payment_source_deleted_plan(customer_id, payment_source_id, reason, now)
        write_first(self._table, item_key, PAYMENT_SOURCE, [plan], guard_of(customer_id, read_at))
        return sum(
            self.mark_beneficiary(customer_id, payment_source_id, ben.beneficiary_id, DELETED, reason, now)
            for ben in self.beneficiaries_of(customer_id, payment_source_id)
        )

    def awaiting_past_expiry(self, now: datetime, limit: int) -> list[StoredBeneficiary]:
        """Beneficiaries still awaiting cool-off whose expiry has passed (sparse index query, not a scan)."""
        items = self._table.query(
            limit,
            IndexName=AWAITING_INDEX,
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk <= :now",
            ExpressionAttributeValues=to_values({":pk": AWAITING_INDEX_PK, ":now": iso(now)}),
            **_reading(AWAITING_INDEX_READS),
        )
        return [StoredBeneficiary.from_item(i) for i in items]

    def unsettled_activations(self, since: datetime, until: datetime, limit: int) -> list[StoredBeneficiary]:
        """Beneficiaries activated between `since` and `until` whose pushes are not settled (sparse index,
        one query per UTC day)."""
        found: list[StoredBeneficiary] = []
        for offset in range((until.date() - since.date()).days + 1):
            day = since.date() + timedelta(days=offset)
            items = self._table.query(
                limit - len(found),  # once `limit` are found, 0 more: Table.query then makes no call
                IndexName=ACTIVATIONS_INDEX,
                KeyConditionExpression="gsi2pk = :pk AND gsi2sk BETWEEN :since AND :until",
                ExpressionAttributeValues=to_values(
                    {":pk": activations_pk(day.isoformat()), ":since": iso(since), ":until": iso(until)}
                ),
                **_reading(ACTIVATIONS_INDEX_READS),
            )
            found += [StoredBeneficiary.from_item(i) for i in items]
        return found

    def settle_activation(
        self, identity: BeneficiaryIdentity, now: datetime, activated_at: str | None = None, abandoned: bool = False
    ) -> bool:
        """Every device of the activation was pushed (or is disabled): out of the reconciliation index. With
        `activated_at` (the stored activation time the pushes were for), only while the item still holds that
        unsettled activation: a later activation keeps its place. `abandoned`: it left the reconciliation window
        unsettled (recorded)."""
        plan = settling_plan(now, activated_at, abandoned)
        return write_first(self._table, _key(identity), BENEFICIARY, [plan])
