"""IAM-authorised API for the app backend: devices, stored payment sources, a refresh from Lean, deletion, erasure.

Each typed route (Powertools Event Handler validation; `runtime.openapi` documents it) is handed its core use case
(`Depends` on its `wiring` builder, or the one the caller of `lambda_handler` passes), calls it and shapes its
answer. `runtime.http_errors` holds the checks before any route and every error answer (`{"error", "message"}`).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Depends, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from lean_webhooks import wiring
from lean_webhooks.core.deletion import PaymentSourceDeletion
from lean_webhooks.core.device_registry import DeviceRegistry
from lean_webhooks.core.erasure import CustomerErasure
from lean_webhooks.core.payment_source_view import page_of
from lean_webhooks.core.ports import PaymentSourceReader
from lean_webhooks.core.refresh import PaymentSourceRefresh
from lean_webhooks.models.customer_api import Deletion, Device, DeviceList, Erasure, PaymentSourcePage
from lean_webhooks.runtime import http_errors
from lean_webhooks.runtime import openapi as doc
from lean_webhooks.runtime.observability import logger, metrics
from lean_webhooks.runtime.openapi import CustomerId, DeviceId, Limit, PageToken, PaymentSourceId, Registration
from lean_webhooks.runtime.snapstart import register_hooks

register_hooks()  # SnapStart, when the SnapStart parameter turns it on
wiring.customer_api_settings()  # a missing or malformed setting fails the start, with its name
app = APIGatewayHttpResolver(enable_validation=True)
http_errors.install(app)

Registry = Annotated[DeviceRegistry, Depends(wiring.device_registry)]
Reader = Annotated[PaymentSourceReader, Depends(wiring.payment_source_reader)]
Refresh = Annotated[PaymentSourceRefresh, Depends(wiring.payment_source_refresh)]
Deleter = Annotated[PaymentSourceDeletion, Depends(wiring.payment_source_deletion)]
Eraser = Annotated[CustomerErasure, Depends(wiring.customer_erasure)]
USE_CASES = (Registry, Reader, Refresh, Deleter, Eraser)  # as lambda_handler takes them
DEVICE = "/customers/<customer_id>/devices/<device_id>"
PAYMENT_SOURCES = "/customers/<customer_id>/payment-sources"


@app.put(DEVICE, **doc.PUT_DEVICE)
def put_device(customer_id: CustomerId, device_id: DeviceId, body: Registration, registry: Registry) -> Device:
    device = registry.register(customer_id.lower(), device_id, body.platform, body.token, body.locale)
    logger.info("device registered", extra={"device_id": device_id, "platform": body.platform})
    return Device.of(device)


@app.get("/customers/<customer_id>/devices", **doc.LIST_DEVICES)
def list_devices(customer_id: CustomerId, registry: Registry) -> DeviceList:
    customer_id = customer_id.lower()
    return DeviceList(customer_id=customer_id, devices=[Device.of(d) for d in registry.devices(customer_id)])


@app.delete(DEVICE, **doc.DELETE_DEVICE)
def delete_device(customer_id: CustomerId, device_id: DeviceId, registry: Registry) -> Response[None]:
    if not registry.unregister(customer_id.lower(), device_id):
        raise NotFoundError("device not registered")
    return Response(status_code=204, content_type="application/json", body="")


@app.get(PAYMENT_SOURCES, **doc.LIST_PAYMENT_SOURCES)
def get_payment_sources(
    customer_id: CustomerId, reader: Reader, limit: Limit = 50, next_token: PageToken = None
) -> PaymentSourcePage:
    customer_id = customer_id.lower()
    page = page_of(reader.list_for_customer(customer_id), limit, next_token)
    return PaymentSourcePage.of(customer_id, page.sources, page.next_token)


@app.post(f"{PAYMENT_SOURCES}/refresh", **doc.REFRESH)
def refresh_payment_sources(customer_id: CustomerId, refresh: Refresh, limit: Limit = 50) -> PaymentSourcePage:
    customer_id = customer_id.lower()
    outcome = refresh.refresh(customer_id)
    metrics.add_metric(name="RefreshesCoalesced" if outcome.coalesced else "Refreshes", unit=MetricUnit.Count, value=1)
    if outcome.unreadable:
        metrics.add_metric(name="LeanItemsUnreadable", unit=MetricUnit.Count, value=outcome.unreadable)
    extra = {"called_lean": outcome.called_lean, "stored": outcome.stored, "foreign": outcome.foreign}
    logger.info("payment sources refreshed", extra=extra)
    page = page_of(outcome.sources, limit, None)
    return PaymentSourcePage.of(customer_id, page.sources, page.next_token)


@app.delete(f"{PAYMENT_SOURCES}/<payment_source_id>", **doc.DELETE_PAYMENT_SOURCE)
def delete_payment_source(customer_id: CustomerId, payment_source_id: PaymentSourceId, deleter: Deleter) -> Deletion:
    """Deleted at Lean (`reason: USER_REQUESTED`), then here with its beneficiaries: not chargeable, not listed."""
    ids = {"customer_id": customer_id.lower(), "payment_source_id": payment_source_id.lower()}
    outcome = deleter.delete(**ids)
    extra = {"deleted_at_lean": outcome.deleted_at_lean_now, "beneficiaries": outcome.beneficiaries}
    logger.info("payment source deleted", extra=extra)
    return Deletion(**ids, deleted=True, already_gone_at_lean=not outcome.deleted_at_lean_now)


@app.delete("/customers/<customer_id>", **doc.ERASE)
def erase_customer(customer_id: CustomerId, eraser: Eraser) -> Erasure:
    customer_id = customer_id.lower()
    outcome = eraser.erase(customer_id)
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1 if outcome.event_id else 0)
    return Erasure(customer_id=customer_id, **vars(outcome))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(
    event: dict,
    context: Any,
    device_registry: DeviceRegistry | None = None,
    payment_source_reader: PaymentSourceReader | None = None,
    payment_source_refresh: PaymentSourceRefresh | None = None,
    payment_source_deletion: PaymentSourceDeletion | None = None,
    customer_erasure: CustomerErasure | None = None,
) -> dict:
    """The routes' use cases are the wired ones, or those handed in here (tests), each by its builder's name."""
    handed = (device_registry, payment_source_reader, payment_source_refresh, payment_source_deletion, customer_erasure)
    builders = (get_args(use_case)[1].dependency for use_case in USE_CASES)  # each one's Depends
    app.dependency_overrides = {b: (lambda u=u: u) for b, u in zip(builders, handed, strict=True) if u is not None}
    return app.resolve(event, context)
