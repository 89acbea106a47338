"""The customer API's contract as its OpenAPI document states it: the typed path and query parameters its routes
validate, each route's summary and answers, and the document itself (`document(app)`, what `make openapi` writes to
docs/openapi.json)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from lean_webhooks.models.customer_api import (
    DEVICE_ID_PATTERN,
    MAX_PAGE,
    Deletion,
    Device,
    DeviceList,
    DeviceRegistration,
    Erasure,
    ErrorBody,
    PaymentSourcePage,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

# Lean ids in paths: a UUID in its canonical form (any case), lower-cased as the rest of the service stores them.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CustomerId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean customer id (a UUID)")]
DeviceId = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="your id for the device (1-128 of A-Za-z0-9._-)")]
PaymentSourceId = Annotated[str, Path(pattern=UUID_PATTERN, description="the Lean payment source id (a UUID)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="payment sources per page")]
PageToken = Annotated[str | None, Query(max_length=512, description="from the previous page")]
Registration = Annotated[DeviceRegistration, Body()]

TITLE = "Lean payment sources: customer API"
VERSION = "1.1.0"
DESCRIPTION = "Called by the fintech's app backend with SigV4 (IAM). Every error is {error, message}."
REASONS = {
    400: "invalid path, query or body",
    403: "not IAM-authorised",
    404: "not found (or a path this API does not route)",
    409: "the token was registered concurrently by another device: retry",
    415: "the body is not application/json",
    500: "our fault: retry",
    502: "Lean refused",
    503: "Lean unavailable: retry after the Retry-After header's seconds",
}


def answers(ok: type | None, *codes: int) -> dict[int, dict[str, Any]]:
    """A route's OpenAPI `responses`: the 200 answer's model (if any), the errors every route can give and
    `codes` (each `{"error", "message"}`)."""
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    found = {code: {"description": REASONS[code], "content": body} for code in (400, 403, 404, 500, *codes)}
    if ok is not None:
        found[200] = {"description": "OK", "content": {"application/json": {"model": ok}}}
    return found


# Each route's summary, description and answers (keyword arguments of its route decorator).
PUT_DEVICE = {"summary": "Register or refresh a device", "responses": answers(Device, 409, 415)}
LIST_DEVICES = {"summary": "The customer's devices", "responses": answers(DeviceList)}
DELETE_DEVICE = {"summary": "Unregister a device", "responses": {204: {"description": "unregistered"}, **answers(None)}}
LIST_PAYMENT_SOURCES = {"summary": "Stored payment sources", "responses": answers(PaymentSourcePage)}
REFRESH = {
    "summary": "Refresh the customer's payment sources from Lean (call it when the LinkSDK reports success)",
    "description": "Lists the customer's payment sources at Lean, stores those of this application under the same "
    "rules as Lean's webhooks, and answers like the GET (first page). At most one call to Lean per customer per "
    "RefreshMinIntervalSeconds: a refresh within it answers from storage. Lean unavailable: 503 with Retry-After, "
    "nothing changed.",
    "responses": answers(PaymentSourcePage, 502, 503),
}
DELETE_PAYMENT_SOURCE = {
    "summary": "Delete a payment source at Lean and here",
    "responses": answers(Deletion, 502, 503),
}
ERASE = {
    "summary": "Erase everything stored for the customer (deleting at Lean first what is still active there)",
    "description": "Deletes at Lean every payment source Lean holds for the customer, then everything here; nothing "
    "read from Lean before the erasure is stored, pushed or published after it. A repeat finds nothing and answers "
    "zeros. Lean failing midway: 503 with Retry-After (or 502 when Lean refused): what Lean deleted is shown as "
    "deleted, and repeating the call completes the erasure. Announced once on the event bus as Customer Erased.",
    "responses": answers(Erasure, 502, 503),
}


def document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The OpenAPI document of `app`'s routes, as they answer: validation errors are 400 (not Powertools' 422,
    whose schemas go), a 204 has no body and no 200, and every error is an `ErrorBody`."""
    schema = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION))
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            if "204" in responses:
                responses["204"].pop("content", None)
                responses.pop("200", None)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema
