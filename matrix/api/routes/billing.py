"""Billing (module 05): charges, their collection over WhatsApp, payments that settle them
(origin §g 23–27)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query

from matrix.api.routing import Api, Call, TenantQuery, listing, orchestration
from matrix.modules.billing import service

ID = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200, description="At most this many items (1–200).")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="Skip this many items first.")]
ChargeStatus = Literal["draft", "open", "overdue", "paid", "written_off", "canceled"]
CustomerQuery = Annotated[
    str | None, Query(min_length=1, max_length=200, description="One customer's charges.")
]


def register(api: Api) -> None:
    @api.post("/v1/billing/charges", request="billing.create_charge_request",
              response="billing.charge_response", tags=["billing"])  # fmt: skip
    def create_charge(call: Call) -> dict[str, Any]:
        """Create a charge for a customer (404 ``customer_not_found``); the same
        ``external_key`` again changes nothing (``idempotent``)."""
        work = call.work()
        charge, status = service.create_charge(
            call.store, work, **{"currency": "BRL", **call.request["charge"]}
        )
        event = "billing.charge.created" if status == "created" else None
        return {"response": {"request_id": call.request["request_id"], "status": status, "charge": charge,
                             "orchestration": orchestration(work, event)}}  # fmt: skip

    @api.patch("/v1/billing/charges/{charge_id}", request="billing.update_charge_request",
               response="billing.charge_update_response", errors=(409,), tags=["billing"])  # fmt: skip
    def update_charge(call: Call, charge_id: ID) -> dict[str, Any]:
        """Change a charge's amount, currency, due date, status or metadata. 409 when it is paid,
        canceled or written off (only metadata still changes), or a change would contradict the
        payments already made."""
        charge = service.update_charge(call.store, call.work(), charge_id, call.request["changes"])
        return {
            "response": {
                "request_id": call.request["request_id"],
                "status": "updated",
                "charge": charge,
            }
        }

    @api.post("/v1/billing/charges/{charge_id}/collection-request", request="billing.collection_request",
              response="billing.collection_response", errors=(409,), tags=["billing"])  # fmt: skip
    def request_collection(call: Call, charge_id: ID) -> dict[str, Any]:
        """Ask Persona 2 to send the customer a collection message on WhatsApp (404
        ``charge_not_found``; 409 when the charge is not open, or its last collection message has
        not gone out yet)."""
        given, work = call.request.get("collection", {}), call.work()
        charge, command_id = service.request_collection(
            call.store, work, charge_id, phone=given.get("recipient", {}).get("phone_e164"),
            message=given.get("message"), language=given.get("language", "pt"))  # fmt: skip
        return {"response": {"request_id": call.request["request_id"], "status": "collection_requested",
                             "charge": charge, "orchestration": orchestration(
                                 work, "billing.collection.requested", command_id=command_id)}}  # fmt: skip

    @api.post("/v1/billing/payments", request="billing.create_payment_request",
              response="billing.payment_response", errors=(409,), tags=["billing"])  # fmt: skip
    def create_payment(call: Call) -> dict[str, Any]:
        """Record a payment (404 ``charge_not_found``; 409 when the charge is already paid,
        canceled or written off). Confirmed payments that cover the charge settle it (``paid``);
        a failed one settles nothing. The same ``external_key`` again changes nothing."""
        work = call.work()
        payment, charge, status = service.record_payment(
            call.store, work, **call.request["payment"]
        )
        confirmed = status == "created" and payment["status"] == "confirmed"
        return {"response": {"request_id": call.request["request_id"], "status": status, "payment": payment,
                             "charge": charge, "orchestration": orchestration(
                                 work, "billing.payment.confirmed" if confirmed else None)}}  # fmt: skip

    @api.get("/v1/billing/charges", response="billing.charge_list_response", tags=["billing"])
    def list_charges(
        call: Call, tenant_id: TenantQuery = None, status: ChargeStatus | None = None,
        customer_id: CustomerQuery = None, limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's charges (in one status, of one customer), earliest due first."""
        tenant = call.for_tenant(tenant_id)
        given = {"status": status, "customer_id": customer_id}
        filters: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        items, total = call.store.modules.charges.page(tenant, order="due_date", limit=limit, offset=offset,
                                                       **filters)  # fmt: skip
        return listing(tenant, items, total)
