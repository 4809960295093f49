"""Customers (module 03): create or update, list, read one (origin §g 16–18)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from matrix import envelopes as env
from matrix.api.errors import not_found
from matrix.api.routing import Api, Call, TenantQuery, listing, orchestration
from matrix.modules.customers import service

ID = Annotated[str, Path(min_length=1, max_length=200)]


def register(api: Api) -> None:
    @api.post("/v1/customers", request="customers.create_request",
              response="customers.create_response", tags=["customers"])  # fmt: skip
    def create_customer(call: Call) -> dict[str, Any]:
        """Create a customer; the same ``external_key`` again changes nothing (``idempotent``),
        an existing ``customer_id`` is overwritten (``updated``)."""
        r, work = call.request, call.work()
        given = r["customer"]
        event: str | None
        fields = {
            k: given[k] for k in ("display_name", "primary_phone", "primary_email") if k in given
        }
        if "customer_id" in given:
            if call.store.modules.customers.get(call.tenant_id, given["customer_id"]) is None:
                raise not_found("customer")
            customer = service.update(call.store, work, given["customer_id"], fields)
            status, event = "updated", "customer.updated"
        else:
            source = r.get("source_module", env.OWNER)
            customer, status = service.upsert(
                call.store, work, display_name=given["display_name"],
                phone=given.get("primary_phone"), email=given.get("primary_email"),
                external_key=given.get("external_key"),
                origin=r.get("origin", "manual_owner"), source_module=source,
                lead_id=(r.get("lead") or {}).get("lead_id"),
                metadata={**given.get("metadata", {}), "request_id": r["request_id"]},
            )  # fmt: skip
            event = "customer.created" if status == "created" else None
        return {"response": {"request_id": r["request_id"], "status": status, "customer": customer,
                             "orchestration": orchestration(work, event)}}  # fmt: skip

    @api.get("/v1/customers", response="customers.list_response", tags=["customers"])
    def list_customers(call: Call, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """The tenant's customers, oldest first."""
        tenant = call.for_tenant(tenant_id)
        return listing(tenant, call.store.modules.customers.find(tenant, limit=10_000))

    @api.get("/v1/customers/{customer_id}", response="customers.get_response", tags=["customers"])
    def get_customer(call: Call, customer_id: ID, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """One customer."""
        customer = call.store.modules.customers.get(call.for_tenant(tenant_id), customer_id)
        if customer is None:
            raise not_found("customer")
        return {"customer": customer}
