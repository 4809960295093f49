"""The WhatsApp gateway (Evolution API): its signed webhook, the outbound contract check, and the
QR code that links a number (origin §g 58–60).

The webhook needs no bearer token: the gateway signs each body with the tenant's webhook secret
(HMAC-SHA256 over the exact bytes, ``sha256=<hex>`` in ``X-Hub-Signature-256``, or
``X-Signature`` / ``X-Webhook-Signature``). A missing, malformed or wrong signature, and a body
naming an unknown tenant or one without a secret, are all answered 401 and store nothing; a
replayed event is answered 200 ``duplicate``. Only a signed body is checked against the
contract (400 with the field's pointer), so an unsigned caller learns nothing from the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query

from matrix.api.errors import ApiError
from matrix.api.routing import Api, Call, TenantQuery
from matrix.modules.crm import inbox
from matrix.providers import pairing

SIGNATURE = (
    "HMAC-SHA256 of the exact body with the tenant's webhook secret: sha256=<64 hex digits>."
)
WEBHOOK_SECRET = "crm_evolution.webhook_secret"


def register(api: Api) -> None:
    catalog = api.schemas.catalog

    @api.post("/provider/evolution/webhook", request="provider.webhook_request",
              response="provider.webhook_response", public=True, raw=True, errors=(401,),
              tags=["provider"])  # fmt: skip
    def evolution_webhook(
        call: Call,
        x_hub_signature_256: Annotated[str | None, Header(alias="X-Hub-Signature-256", description=SIGNATURE)] = None,
        x_signature: Annotated[str | None, Header(alias="X-Signature", description="As X-Hub-Signature-256.")] = None,
        x_webhook_signature: Annotated[str | None, Header(alias="X-Webhook-Signature", description="As X-Hub-Signature-256.")] = None,
    ) -> dict[str, Any]:  # fmt: skip
        """File one signed Evolution event: an inbound message opens or continues the contact's
        conversation (and captures the lead); a delivery report moves a message's state."""
        secrets = call.store.runtime_config
        return inbox.receive(
            call.store, call.app.clock, catalog, body=call.raw,
            signatures=(x_hub_signature_256, x_signature, x_webhook_signature),
            secret_of=lambda tenant_id: secrets.secret(tenant_id, WEBHOOK_SECRET),
        )  # fmt: skip

    @api.post("/provider/evolution/outbound/validate", request="provider.validate_request",
              response="provider.validate_response", tags=["provider"])  # fmt: skip
    def validate_outbound(call: Call) -> dict[str, Any]:
        """Check an outbound queue item against its contract (a 400 names every bad field);
        nothing is queued."""
        item = call.request
        return {"status": "valid", "queue_item_id": item["queue_item_id"], "tenant_id": call.tenant_id,
                "idempotency_key": item["idempotency_key"]}  # fmt: skip

    @api.get("/v1/whatsapp/evolution/qr", response="provider.qr_response", errors=(502, 503),
             tags=["provider"])  # fmt: skip
    def evolution_qr(
        call: Call, tenant_id: TenantQuery = None,
        force_new: Annotated[bool, Query(description="Create the instance anew for a fresh QR code.")] = False,
    ) -> dict[str, Any]:  # fmt: skip
        """The QR code (and pairing code) that links the tenant's WhatsApp number to its
        Evolution instance, or ``connected`` when it is linked already."""
        tenant = call.for_tenant(tenant_id)
        try:
            return pairing.tenant_qr(call.store, call.app.settings, tenant, force_new=force_new)
        except pairing.GatewayUnavailable as exc:
            raise ApiError(status=503, code=exc.code, message=str(exc)) from None
