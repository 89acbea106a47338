"""The composition root: every use case built from its settings and adapters, once per execution environment.

Handlers ask here for the use case they run; a test hands the handler its own instead (built on the in-memory
fakes of `tests/support/fakes.py`, or on adapters with a knob turned). Adapters are imported inside the builders,
so that a function's cold start loads only what its own use cases need. `reset()` forgets everything built.

A use case is handed its collaborators one way: as instances, built here once. No use case takes a provider (a
function returning a collaborator). What a provider would defer is the adapter's own business: the Lean client of
the credentials now in Secrets Manager is looked up by `CurrentLeanClient` on each call (rotated credentials
without a new environment, and nothing of the client loaded before the first call), and the payment-source sync
that the sync, the refresh and the recovery share loads no pydantic until an event or Lean's answer reaches it. So
a use case's signature says what it uses, a test hands it the fake itself, and a builder is the same whatever the
function's path. Plain functions a use case calls (its clock, its sleep, the webhook secrets' lookup, a count) are
values like its settings, not collaborators.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import cache, partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources
    from lean_webhooks.adapters.dynamodb.table import Table
    from lean_webhooks.adapters.lean.current import CurrentLeanClient
    from lean_webhooks.adapters.sqs_retry import SqsRetryPolicy
    from lean_webhooks.core.activation_push import ActivationPush
    from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
    from lean_webhooks.core.deletion import PaymentSourceDeletion
    from lean_webhooks.core.device_registry import DeviceRegistry
    from lean_webhooks.core.domain_events import DomainEventPublisher
    from lean_webhooks.core.erasure import CustomerErasure
    from lean_webhooks.core.event_sync import EventSync
    from lean_webhooks.core.events_reconciliation import EventsReconciler
    from lean_webhooks.core.intake import WebhookIntake
    from lean_webhooks.core.ports import PushPlatform
    from lean_webhooks.core.push_reconciliation import PushReconciler
    from lean_webhooks.core.refresh import PaymentSourceRefresh
    from lean_webhooks.core.sync import PaymentSourceSync
    from lean_webhooks.runtime.settings.customer_api import CustomerApiSettings
    from lean_webhooks.runtime.settings.lean import LeanSettings
    from lean_webhooks.runtime.settings.publisher import PublisherSettings
    from lean_webhooks.runtime.settings.push import PushSettings
    from lean_webhooks.runtime.settings.sync import SyncSettings
    from lean_webhooks.runtime.settings.webhook import WebhookSettings


# ---------- shared parts ----------
@cache
def table(name: str) -> Table:
    from lean_webhooks.adapters.dynamodb.table import Table

    return Table(name)


@cache
def lean_settings() -> LeanSettings:
    from lean_webhooks.runtime.settings.lean import LeanSettings

    return LeanSettings.from_env()


@cache
def lean() -> CurrentLeanClient:
    """Lean's API with the credentials now in Secrets Manager (re-read through a 5-minute cache)."""
    from lean_webhooks.adapters.lean.current import CurrentLeanClient

    return CurrentLeanClient(lean_settings())


def payment_sources(table_name: str) -> DynamoPaymentSources:
    from lean_webhooks.adapters.dynamodb.payment_sources import DynamoPaymentSources

    return DynamoPaymentSources(table(table_name))


@cache
def payment_source_sync(table_name: str) -> PaymentSourceSync:
    from lean_webhooks.adapters.dynamodb.customer_records import DynamoCustomerRecords
    from lean_webhooks.core.sync import PaymentSourceSync

    erasures = DynamoCustomerRecords(table(table_name))
    return PaymentSourceSync(lean(), payment_sources(table_name), lean_settings().app_id, erasures=erasures)


def build_activation_push(
    settings: PushSettings, platform: PushPlatform | None = None, sleep: Callable[[float], None] = time.sleep
) -> ActivationPush:
    """The activation push of `settings`; a test may hand in the push platform and the sleep of lease waits."""
    from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
    from lean_webhooks.adapters.dynamodb.push_markers import DynamoPushMarkers
    from lean_webhooks.adapters.push_texts import push_texts
    from lean_webhooks.adapters.sns_push import SnsPushPlatform
    from lean_webhooks.core.activation_notifier import ActivationNotifier
    from lean_webhooks.core.activation_push import ActivationPush
    from lean_webhooks.runtime.observability import count_now

    notifier = ActivationNotifier(
        DynamoDevices(table(settings.table_name)),
        DynamoPushMarkers(table(settings.table_name)),
        platform or SnsPushPlatform(),
        lease=timedelta(seconds=settings.push_lease_s),
        sleep=sleep,
        before_possible_duplicate=lambda: count_now("PushesPossiblyDuplicated"),
        texts=partial(push_texts, settings.texts_parameter, settings.texts_file),
    )
    return ActivationPush(notifier, payment_sources(settings.table_name))


# ---------- webhook ----------
@cache
def webhook_settings() -> WebhookSettings:
    from lean_webhooks.runtime.settings.webhook import WebhookSettings

    return WebhookSettings.from_env()


@cache
def webhook_intake() -> WebhookIntake:
    from lean_webhooks.adapters.secrets import webhook_secrets
    from lean_webhooks.adapters.sqs_queue import SqsSyncQueue
    from lean_webhooks.core.intake import WebhookIntake

    settings = webhook_settings()
    secrets = partial(webhook_secrets, settings.webhook_secret_id, settings.secret_max_age_s)
    return WebhookIntake(settings, secrets, SqsSyncQueue(settings.sync_queue_url, correlate=True))


# ---------- sync ----------
@cache
def sync_settings() -> SyncSettings:
    from lean_webhooks.runtime.settings.sync import SyncSettings

    return SyncSettings.from_env()


@cache
def event_sync() -> EventSync:
    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.core.event_sync import EventSync

    name = sync_settings().table_name
    return EventSync(DynamoEventLedger(table(name)), payment_source_sync(name))


@cache
def sync_retry_policy() -> SqsRetryPolicy:
    from lean_webhooks.adapters.aws import client
    from lean_webhooks.adapters.sqs_retry import SqsRetryPolicy

    settings = sync_settings()
    return SqsRetryPolicy(
        sqs=partial(client, "sqs"),  # made on the first failure or deferral
        queue_url=settings.queue_url,
        dlq_url=settings.dlq_url,
        max_receive_count=settings.max_receive_count,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
    )


# ---------- pushes ----------
@cache
def activation_push() -> ActivationPush:
    from lean_webhooks.runtime.settings.push import PushSettings

    return build_activation_push(PushSettings.from_env())


@cache
def push_reconciler() -> PushReconciler:
    from lean_webhooks.core.push_reconciliation import PushReconciler
    from lean_webhooks.runtime.settings.push import PushReconcileSettings

    settings = PushReconcileSettings.from_env()
    return PushReconciler(
        payment_sources(settings.push.table_name),
        build_activation_push(settings.push),
        grace=timedelta(seconds=settings.grace_s),
    )


# ---------- schedules ----------
@cache
def cool_off_recovery() -> CoolOffRecovery:
    from lean_webhooks.core.cool_off_recovery import CoolOffRecovery
    from lean_webhooks.runtime.settings.tables import TableSettings

    name = TableSettings.from_env().table_name
    lean_settings()  # a missing Lean setting fails the start, not the first overdue item
    return CoolOffRecovery(payment_source_sync(name), payment_sources(name))


@cache
def events_reconciler() -> EventsReconciler:
    from lean_webhooks.adapters.dynamodb.event_ledger import DynamoEventLedger
    from lean_webhooks.adapters.sqs_queue import SqsSyncQueue
    from lean_webhooks.core.events_reconciliation import EventsReconciler
    from lean_webhooks.runtime.settings.tables import ReconcileSettings

    settings = ReconcileSettings.from_env()
    return EventsReconciler(
        lean(), DynamoEventLedger(table(settings.table_name)), SqsSyncQueue(settings.sync_queue_url)
    )


@cache
def publisher_settings() -> PublisherSettings:
    from lean_webhooks.runtime.settings.publisher import PublisherSettings

    return PublisherSettings.from_env()


@cache
def domain_event_publisher() -> DomainEventPublisher:
    from lean_webhooks.adapters.dynamodb.customer_records import DynamoCustomerRecords
    from lean_webhooks.adapters.eventbridge import EventBridgeBus
    from lean_webhooks.core.domain_events import DomainEventPublisher

    settings = publisher_settings()
    erasures = DynamoCustomerRecords(table(settings.table_name)) if settings.table_name else None
    return DomainEventPublisher(EventBridgeBus(settings.event_bus_name), erasures)


# ---------- customer API ----------
@cache
def customer_api_settings() -> CustomerApiSettings:
    from lean_webhooks.runtime.settings.customer_api import CustomerApiSettings

    return CustomerApiSettings.from_env()


@cache
def device_registry() -> DeviceRegistry:
    from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
    from lean_webhooks.adapters.sns_push import SnsPushPlatform
    from lean_webhooks.core.device_registry import DeviceRegistry

    push = customer_api_settings().push
    return DeviceRegistry(push.platform_applications, DynamoDevices(table(push.table_name)), SnsPushPlatform())


def payment_source_reader() -> DynamoPaymentSources:
    return payment_sources(customer_api_settings().push.table_name)


@cache
def payment_source_refresh() -> PaymentSourceRefresh:
    from lean_webhooks.adapters.dynamodb.refresh_markers import DynamoRefreshMarkers
    from lean_webhooks.core.refresh import PaymentSourceRefresh

    settings = customer_api_settings()
    name = settings.push.table_name
    return PaymentSourceRefresh(
        lean(),
        payment_source_sync(name),
        DynamoRefreshMarkers(table(name)),
        payment_sources(name),
        min_interval=timedelta(seconds=settings.refresh_min_interval_s),
        deadline_s=settings.lean_budget_s,
    )


@cache
def payment_source_deletion() -> PaymentSourceDeletion:
    from lean_webhooks.core.deletion import PaymentSourceDeletion

    settings = customer_api_settings()
    return PaymentSourceDeletion(lean(), payment_sources(settings.push.table_name), settings.lean_budget_s)


@cache
def customer_erasure() -> CustomerErasure:
    from lean_webhooks.adapters.dynamodb.customer_records import DynamoCustomerRecords
    from lean_webhooks.adapters.dynamodb.devices import DynamoDevices
    from lean_webhooks.adapters.sns_push import SnsPushPlatform
    from lean_webhooks.core.erasure import CustomerErasure

    settings = customer_api_settings()
    name = settings.push.table_name
    return CustomerErasure(
        lean(),
        DynamoCustomerRecords(table(name), hold=timedelta(days=settings.erasure_hold_days)),
        payment_sources(name),
        DynamoDevices(table(name)),
        SnsPushPlatform(),
        deadline_s=settings.lean_budget_s,
    )


def reset() -> None:
    """Forget every part built (a new AWS context, new settings): what a new execution environment starts with.
    Every cached builder of this module is found by its `cache_clear`, so none can be left out."""
    for part in list(globals().values()):
        if callable(getattr(part, "cache_clear", None)):
            part.cache_clear()
