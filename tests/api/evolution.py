"""What the API tests of the WhatsApp side share: tenants' webhook secrets and gateways, events as
the Evolution gateway posts them, signed or not, and the rows a webhook may store."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from matrix.modules.crm import inbox
from tests.api.conftest import ApiWorld
from tests.conftest import ROOT

SECRETS = {"acme": "whsec-acme-0123456789", "globex": "whsec-globex-9876543210"}
GATEWAY_KEY = "evo-acme-key-5f1e2d3c"
WEBHOOK = "/provider/evolution/webhook"
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def configure(world: ApiWorld, *, gateway_url: str | None = None) -> None:
    """Give acme and globex their webhook secrets; with ``gateway_url``, acme its own gateway."""
    for tenant, secret in SECRETS.items():
        config: dict[str, Any] = {}
        secrets = {"crm_evolution.webhook_secret": secret}
        if gateway_url and tenant == "acme":
            config = {
                "integrations": {
                    "crm_evolution": {"base_url": gateway_url, "instance_id": "acme-main"}
                }
            }
            secrets["crm_evolution.api_key"] = GATEWAY_KEY
        world.app.store.runtime_config.save(tenant, config, secrets, AT)


def event(**changes: Any) -> dict[str, Any]:
    """An inbound text from a new contact to acme (a fresh event id), with ``changes`` on top."""
    example = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())
    doc: dict[str, Any] = {**example["instance"], "event_id": str(uuid.uuid4())}
    payload = changes.pop("payload", {})
    doc.update(changes)
    doc["payload"] = {**doc["payload"], **payload}
    return doc


def body_of(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def signature(body: bytes, secret: str = SECRETS["acme"]) -> str:
    return "sha256=" + inbox.sign(body, secret)


def post(world: ApiWorld, body: bytes, headers: dict[str, Any] | None = None) -> Any:
    """POST ``body`` to the webhook as is, with ``headers`` (no bearer token: it is public)."""
    return world.client.post(
        WEBHOOK, content=body, headers={"content-type": "application/json", **(headers or {})}
    )


def signed(world: ApiWorld, doc: dict[str, Any], secret: str = SECRETS["acme"]) -> Any:
    body = body_of(doc)
    return post(world, body, {"X-Hub-Signature-256": signature(body, secret)})


def stored(world: ApiWorld) -> dict[str, int]:
    """How many rows every tenant has that a webhook could have added."""
    store = world.app.store
    counts = {}
    for tenant in SECRETS:
        m = store.modules
        counts |= {
            f"{tenant}.messages": len(m.messages.find(tenant)),
            f"{tenant}.conversations": len(m.conversations.find(tenant)),
            f"{tenant}.leads": len(m.leads.find(tenant)),
            f"{tenant}.receipts": len(m.webhook_receipts.find(tenant)),
            f"{tenant}.events": store.events.count(tenant),
        }
    return counts
