"""The Evolution API (WhatsApp) transport: real HTTP, the tenant's (or the platform's) gateway.

``POST {base_url}/message/sendText/{instance}`` with header ``apikey`` and ``{number, text}``
(the number is the E.164 digits without ``+``); a non-2xx answer is retried once with the
alternative body ``{number, text, textMessage: {text}}`` as the origin did. The idempotency key
travels as a header so that the gateway can drop a duplicate. A tenant's own gateway is checked
at every connection, after DNS (:mod:`matrix.providers.guard`); the platform's is the operator's.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from matrix.addresses import AddressRefused
from matrix.config import Settings
from matrix.modules.crm.outbound import TransportError
from matrix.providers.base import sanitize
from matrix.providers.guard import Guard

SECRET = "crm_evolution.api_key"


class EvolutionTransport:
    def __init__(
        self, *, base_url: str, api_key: str, instance_id: str, timeout: float = 10.0,
        guard: Guard | None = None,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.instance_id = instance_id
        self.timeout = timeout
        self._open = guard.opener().open if guard else urllib.request.urlopen

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
            with self._open(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())
        except AddressRefused as exc:
            raise TransportError("evolution_gateway_refused", str(exc), retryable=False) from None
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


@dataclass(frozen=True, kw_only=True)
class Gateway:
    """Where one tenant's (or the platform's) WhatsApp messages go."""

    base_url: str
    api_key: str = field(repr=False)
    instance_id: str


class OutboundState(StrEnum):
    ON = "on"
    PARTIAL = "partial"
    OFF = "off"


@dataclass(frozen=True, kw_only=True)
class OutboundStatus:
    """Whether the scheduler can deliver outbound WhatsApp messages, and for which tenants.

    ``message`` says it in a sentence, with how to turn delivery on when it is off for anyone.
    """

    state: OutboundState
    message: str
    tenants_on: tuple[str, ...] = ()
    tenants_off: tuple[str, ...] = ()
    every_tenant: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state.value, "message": self.message, "every_tenant": self.every_tenant,
                "tenants_on": list(self.tenants_on), "tenants_off": list(self.tenants_off)}  # fmt: skip


HOW_TO_TURN_ON = (
    "set MATRIX_EVOLUTION_BASE_URL, MATRIX_EVOLUTION_API_KEY and MATRIX_EVOLUTION_INSTANCE for every"
    " tenant, or give one tenant its own gateway with `matrix tenant config ID --set"
    " integrations.crm_evolution.base_url=URL --set integrations.crm_evolution.instance_id=NAME"
    " --set integrations.crm_evolution.api_key=KEY`"
)


def platform_gateway(settings: Settings) -> Gateway | None:
    """The platform's gateway from settings (MATRIX_EVOLUTION_*), or None when not configured."""
    if not (settings.evolution_base_url and settings.evolution_api_key):
        return None
    return Gateway(base_url=settings.evolution_base_url, api_key=settings.evolution_api_key,
                   instance_id=settings.evolution_instance)  # fmt: skip


class TenantTransports:
    """Routes each send to the tenant's own Evolution instance (its runtime config
    ``integrations.crm_evolution`` with its stored api key), else to the platform's gateway.

    A tenant with neither has no transport: :meth:`tenants` leaves it out, so its messages stay
    queued until a gateway is configured, and :meth:`status` says so.
    """

    def __init__(
        self, store: Any, *, platform: Gateway | None = None, timeout: float = 10.0,
        allow_loopback: bool = False,
    ) -> None:  # fmt: skip
        """``allow_loopback``: a tenant's gateway may be on this machine (the setting
        ``MATRIX_ALLOW_LOOPBACK_URLS``)."""
        self.store = store
        self.platform = platform
        self.timeout = timeout
        self.allow_loopback = allow_loopback

    def gateway(self, tenant_id: str) -> Gateway | None:
        """The tenant's own gateway (its config and its key, in one read), else the platform's."""
        loaded = self.store.tenant_runtime.load(tenant_id, SECRET)
        evolution = _evolution(loaded.config if loaded else None)
        if evolution.get("base_url") and loaded and loaded.secret:
            return Gateway(base_url=evolution["base_url"], api_key=loaded.secret,
                           instance_id=evolution.get("instance_id") or "default")  # fmt: skip
        return self.platform

    def tenants(self) -> frozenset[str] | None:
        """The tenants that have a gateway (None: every tenant, through the platform's). Asked on
        every outbound round, so it reads configs only: a stored key is enough, unopened."""
        if self.platform is not None:
            return None
        return frozenset(
            t
            for t in self.store.runtime_config.tenants_with_secret(SECRET)
            if _evolution(self.store.runtime_config.get(t)).get("base_url")
        )

    def status(self) -> OutboundStatus:
        if self.platform is not None:
            return OutboundStatus(state=OutboundState.ON, every_tenant=True, message=(
                f"outbound delivery is on: WhatsApp messages go through the Evolution gateway at"
                f" {self.platform.base_url} (instance {self.platform.instance_id}), or a tenant's own"))  # fmt: skip
        known = [t.tenant_id for t in self.store.tenants.list()]
        on = sorted(self.tenants() or ())
        off = tuple(t for t in known if t not in on)
        if not on:
            return OutboundStatus(state=OutboundState.OFF, tenants_off=off, message=(
                "outbound delivery is off: no WhatsApp gateway is configured, so reminders,"
                f" follow-ups and collections stay queued; to turn it on, {HOW_TO_TURN_ON}"))  # fmt: skip
        if not off:
            return OutboundStatus(state=OutboundState.ON, tenants_on=tuple(on), message=(
                f"outbound delivery is on for every tenant ({_names(on)}), each through its own gateway"))  # fmt: skip
        return OutboundStatus(state=OutboundState.PARTIAL, tenants_on=tuple(on), tenants_off=off, message=(
            f"outbound delivery is on for {_names(on)} and off for {_names(off)}: their messages"
            f" stay queued; to turn it on, {HOW_TO_TURN_ON}"))  # fmt: skip

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str:
        gateway = self.gateway(tenant_id)
        if gateway is None:
            raise TransportError("evolution_not_configured", (
                f"tenant {tenant_id} has no WhatsApp gateway; to send its messages, {HOW_TO_TURN_ON}"),
                retryable=True)  # fmt: skip
        guard = (
            None
            if gateway is self.platform
            else Guard(
                allow_loopback=self.allow_loopback, field="integrations.crm_evolution.base_url"
            )
        )
        transport = EvolutionTransport(base_url=gateway.base_url, api_key=gateway.api_key,
                                       instance_id=gateway.instance_id, timeout=self.timeout,
                                       guard=guard)  # fmt: skip
        return transport.send(tenant_id=tenant_id, phone_e164=phone_e164, text=text,
                              idempotency_key=idempotency_key)  # fmt: skip


def _evolution(stored: tuple[dict[str, Any], int, Any] | None) -> dict[str, Any]:
    """The ``integrations.crm_evolution`` section of a stored tenant config ({} when absent)."""
    section: dict[str, Any] = ((stored[0] if stored else {}).get("integrations") or {}).get(
        "crm_evolution"
    ) or {}
    return section


def _names(tenants: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(tenants) - shown} more" if len(tenants) > shown else ""
    return ", ".join(tenants[:shown]) + more
