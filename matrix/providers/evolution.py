"""The Evolution API (WhatsApp) transport: real HTTP, the tenant's instance and key.

``POST {base_url}/message/sendText/{instance}`` with header ``apikey`` and ``{number, text}``
(the number is the E.164 digits without ``+``); a non-2xx answer is retried once with the
alternative body ``{number, text, textMessage: {text}}`` as the origin did. The idempotency key
travels as a header so that the gateway can drop a duplicate.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from matrix.modules.outbound import TransportError
from matrix.providers.base import sanitize


class EvolutionTransport:
    def __init__(
        self, *, base_url: str, api_key: str, instance_id: str, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.instance_id = instance_id
        self.timeout = timeout

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str:
        number = phone_e164.lstrip("+")
        url = f"{self.base_url}/message/sendText/{self.instance_id}"
        last = ""
        for body in ({"number": number, "text": text},
                     {"number": number, "text": text, "textMessage": {"text": text}}):  # fmt: skip
            status, payload = self._post(url, body, idempotency_key)
            if 200 <= status < 300:
                message_id = _message_id(payload)
                if message_id:
                    return message_id
                last = "the gateway accepted the message but returned no id"
                continue
            last = f"HTTP {status}: {sanitize(json.dumps(payload) if payload else '', self._key)}"
            if status in (400, 401, 403, 404):
                raise TransportError(f"EVOLUTION_HTTP_{status}", last, retryable=False)
        raise TransportError("PROVIDER_SEND_ERROR", last, retryable=True)

    def _post(self, url: str, body: dict[str, Any], idempotency_key: str) -> tuple[int, Any]:
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"apikey": self._key, "content-type": "application/json", "idempotency-key": idempotency_key},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransportError(
                "PROVIDER_UNREACHABLE", sanitize(str(exc), self._key), retryable=True
            ) from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


def _message_id(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    key = payload.get("key") or (payload.get("data") or {}).get("key") or {}
    for candidate in (key.get("id") if isinstance(key, dict) else None, payload.get("message_id"),
                      payload.get("messageId"), payload.get("id"), (payload.get("data") or {}).get("id")):  # fmt: skip
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


class UnconfiguredTransport:
    """What a tenant without Evolution settings gets: every send fails, permanently, saying why."""

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str:
        raise TransportError(
            "evolution_not_configured",
            f"tenant {tenant_id} has no WhatsApp gateway: set integrations.crm_evolution.base_url,"
            " instance_id and its api key (matrix tenant config)",
            retryable=False,
        )


class TenantTransports:
    """Routes each send to the tenant's own Evolution instance (from its runtime config)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str:
        stored = self.store.runtime_config.get(tenant_id)
        evolution = ((stored[0] if stored else {}).get("integrations") or {}).get(
            "crm_evolution"
        ) or {}
        key = self.store.runtime_config.secret(tenant_id, "crm_evolution.api_key")
        transport: Any = UnconfiguredTransport()
        if evolution.get("base_url") and evolution.get("instance_id") and key:
            transport = EvolutionTransport(
                base_url=evolution["base_url"], api_key=key, instance_id=evolution["instance_id"]
            )
        return str(
            transport.send(
                tenant_id=tenant_id,
                phone_e164=phone_e164,
                text=text,
                idempotency_key=idempotency_key,
            )
        )
