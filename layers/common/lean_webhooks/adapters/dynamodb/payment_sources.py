"""Payment source and beneficiary items, written only through condition expressions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lean_webhooks.adapters.dynamodb.erasures import guard_of
from lean_webhooks.adapters.dynamodb.keys import (
    ACTIVATIONS_INDEX,
    AWAITING_INDEX,
    AWAITING_INDEX_PK,
    BENEFICIARY,
    PAYMENT_SOURCE,
    activations_pk,
    beneficiary_sk,
    customer_pk,
    payment_source_content,
    payment_source_sk,
    payment_sources_of,
)
from lean_webhooks.adapters.dynamodb.table import Table, key, to_values
from lean_webhooks.models.beneficiary import BeneficiaryIdentity, BeneficiaryWrite
from lean_webhooks.models.items import StoredBeneficiary, StoredPaymentSource
from lean_webhooks.models.statuses import ACTIVE, AWAITING_COOL_OFF, DELETED, REMOVED
from lean_webhooks.models.timestamps import iso

if TYPE_CHECKING:  # Lean's models are only written by the sync: readers (customer API, pushes) never import them
    from lean_webhooks.models.payment_source import LeanPaymentSource

_STATUS = {"#status": "status"}


class DynamoPaymentSources:
    """Payment sources and their beneficiaries: the sync's writes, the recovery and activation indexes, the reads."""

    def __init__(self, table: Table):
        self._table = table

    def put_payment_source(
        self, source: LeanPaymentSource, fetched_at: datetime, read_at: datetime | None = None
    ) -> bool:
        """Store the payment source and its accounts unless they are unchanged, deleted, or a newer read is
        already stored. Most events re-read a payment source that has not changed: one eventually consistent
        read of its content hash (half a read unit) then saves a rewrite (a write unit or more per KB)."""
        content, digest = payment_source_content(source)
        pk, sk = customer_pk(source.customer_id), payment_source_sk(source.id)
        stored = self._table.get(key(pk, sk), consistent=False, projection="content_hash, deleted_at") or {}
        if "deleted_at" in stored or stored.get("content_hash") == digest:
            return False
        item = {
            "pk": pk,
            "sk": sk,
            "entity": PAYMENT_SOURCE,
            **content,
            "content_hash": digest,
            "fetched_at": iso(fetched_at),
        }
        # never over a newer read, and never resurrect a deleted payment source
        return self._table.put_if(
            item,
            "attribute_not_exists(pk) OR (fetched_at <= :fetched_at AND attribute_not_exists(deleted_at))",
            guard=guard_of(source.customer_id, read_at),
            ExpressionAttributeValues=to_values({":fetched_at": item["fetched_at"]}),
        )

    def apply_beneficiary(self, write: BeneficiaryWrite, now: datetime, read_at: datetime | None = None) -> bool:
        """Apply a status; returns False when the stored status is already `ACTIVE` (never regresses) or
        `DELETED`, or `REMOVED` while Lean's answer still does not list the beneficiary.

        `ACTIVE` writes keep an earlier `cool_off_seen = true` (set while awaiting) and otherwise record the
        event's evidence; `AWAITING...` writes set `cool_off_seen` and the sparse recovery-index keys. The one
        write an `ACTIVE` item still takes is that evidence, late: stored `ACTIVE` without it (a refresh or a
        re-sync saw it active first), a `beneficiary.updated` or an `AWAITING...` seen since says the customer did
        wait, so the activation becomes push-worthy, once.
        """
        decision, identity = write.decision, write.identity
        values: dict[str, Any] = {
            ":status": decision.status,
            ":active": ACTIVE,
            ":entity": BENEFICIARY,
            ":customer_id": identity.customer_id,
            ":payment_source_id": identity.payment_source_id,
            ":beneficiary_id": identity.beneficiary_id,
            ":now": iso(now),
            ":event_id": write.event_id,
            ":event_type": write.event_type,
            ":deleted": DELETED,
        }
        final = ":active, :deleted"
        if not write.seen_in_api:
            final += ", :removed"
            values[":removed"] = REMOVED
        sets = [
            "#status = :status",
            "entity = :entity",
            "customer_id = :customer_id",
            "payment_source_id = :payment_source_id",
            "beneficiary_id = :beneficiary_id",
            "updated_at = :now",
            "last_event_id = :event_id",
            "last_event_type = :event_type",
        ]
        removes: list[str] = ["recheck_failures", "recheck_parked_at"]  # a fresh read ends any recovery backoff
        for name in ("payment_destination_id", "bank_identifier"):  # optional in Lean's payloads
            if getattr(write, name):
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = getattr(write, name)
        if write.cool_off_expiry is not None:
            sets.append("cool_off_expiry = :expiry")
            values[":expiry"] = iso(write.cool_off_expiry)
        condition = f"attribute_not_exists(#status) OR NOT (#status IN ({final}))"
        if decision.status == ACTIVE:
            seen = (
                "cool_off_seen = :seen"
                if decision.cool_off_seen
                else "cool_off_seen = if_not_exists(cool_off_seen, :seen)"
            )
            sets += [seen, "activated_at = :now"]
            sets += ["gsi2pk = :gsi2pk", "gsi2sk = :now"]  # until its pushes are settled (push reconciliation)
            values.update({":seen": decision.cool_off_seen, ":gsi2pk": activations_pk(iso(now)[:10])})
            removes += ["gsi1pk", "gsi1sk"]
            if decision.cool_off_seen:  # late evidence of a cool-off for an item stored ACTIVE without it
                condition += " OR (#status = :active AND cool_off_seen = :unseen)"
                values[":unseen"] = False
        elif decision.status == AWAITING_COOL_OFF and write.recheck_at is not None:
            sets += ["cool_off_seen = :true", "gsi1pk = :gsi1pk", "gsi1sk = :gsi1sk"]
            values.update({":true": True, ":gsi1pk": AWAITING_INDEX_PK, ":gsi1sk": iso(write.recheck_at)})
        else:
            removes += ["gsi1pk", "gsi1sk"]
        return self._table.update_if(
            key(customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id)),
            "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),  # removes: at least the recovery backoff
            condition,
            guard=guard_of(identity.customer_id, read_at),
            ExpressionAttributeNames=_STATUS,
            ExpressionAttributeValues=to_values(values),
        )

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
        """Set `REMOVED` or `DELETED` (not chargeable, out of the recovery index): the one way a stored status,
        `ACTIVE` included, goes back. A `DELETED` beneficiary stays deleted; returns whether the item changed."""
        return self._table.update_if(
            key(customer_pk(customer_id), beneficiary_sk(payment_source_id, beneficiary_id)),
            "SET #status = :status, status_reason = :reason, updated_at = :now REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk",
            "attribute_exists(pk) AND #status <> :deleted AND #status <> :status",
            ExpressionAttributeNames=_STATUS,
            ExpressionAttributeValues=to_values(
                {":status": status, ":reason": reason, ":now": iso(now), ":deleted": DELETED}
            ),
        )

    def defer_recheck(
        self, identity: BeneficiaryIdentity, failures: int, recheck_at: datetime | None, now: datetime
    ) -> bool:
        """After a failed recovery re-read: look again at `recheck_at`, or (None) park the beneficiary out of the
        recovery index. Only while it is still awaiting its cool-off; returns whether the item changed."""
        values: dict[str, Any] = {":failures": failures, ":awaiting": AWAITING_COOL_OFF}
        if recheck_at is None:
            update = "SET recheck_failures = :failures, recheck_parked_at = :now REMOVE gsi1pk, gsi1sk"
            values[":now"] = iso(now)
        else:
            update = "SET recheck_failures = :failures, gsi1sk = :at"
            values[":at"] = iso(recheck_at)
        return self._table.update_if(
            key(customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id)),
            update,
            "#status = :awaiting",
            ExpressionAttributeNames=_STATUS,
            ExpressionAttributeValues=to_values(values),
        )

    def mark_payment_source_deleted(
        self, customer_id: str, payment_source_id: str, reason: str, now: datetime, read_at: datetime | None = None
    ) -> int:
        """Record the payment source as deleted with `reason` (created if it was never stored) and mark each of
        its stored beneficiaries `DELETED`; returns how many beneficiaries changed."""
        self._table.update(
            key(customer_pk(customer_id), payment_source_sk(payment_source_id)),
            "SET entity = :entity, customer_id = :customer_id, payment_source_id = :psid, "
            "deleted_at = if_not_exists(deleted_at, :now), deleted_reason = if_not_exists(deleted_reason, :reason)",
            guard=guard_of(customer_id, read_at),
            ExpressionAttributeValues=to_values(
                {
                    ":entity": PAYMENT_SOURCE,
                    ":customer_id": customer_id,
                    ":psid": payment_source_id,
                    ":now": iso(now),
                    ":reason": reason,
                }
            ),
        )
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
            )
            found += [StoredBeneficiary.from_item(i) for i in items]
        return found

    def settle_activation(
        self, identity: BeneficiaryIdentity, now: datetime, activated_at: str | None = None, abandoned: bool = False
    ) -> bool:
        """Every device of the activation was pushed (or is disabled): out of the reconciliation index. With
        `activated_at` (the index's sort key the pushes were for), only while the item still holds that one: a
        later activation keeps its place. `abandoned`: it left the reconciliation window unsettled (recorded)."""
        condition, values = "attribute_exists(gsi2pk)" if abandoned else "attribute_exists(pk)", {":now": iso(now)}
        if activated_at is not None:
            condition, values[":at"] = "gsi2sk = :at", activated_at
        stamp = "pushes_abandoned_at" if abandoned else "pushes_settled_at"
        return self._table.update_if(
            key(customer_pk(identity.customer_id), beneficiary_sk(identity.payment_source_id, identity.beneficiary_id)),
            f"SET {stamp} = :now REMOVE gsi2pk, gsi2sk",
            condition,
            ExpressionAttributeValues=to_values(values),
        )
