"""Linking a tenant's WhatsApp number to its Evolution instance: the QR code to scan (origin §g 60).

:func:`tenant_qr` finds the tenant's gateway (its own ``integrations.crm_evolution``, else the
platform's) and asks it, as the origin did: ``GET /instance/connect/{instance}`` (``POST`` when
the gateway answers 404/405), reading the code, the image, the pairing code and the state under
the names Evolution versions use; ``GET /instance/connectionState/{instance}`` when it answered
neither; ``POST /instance/create`` when connecting failed or ``force_new`` asks for a new
instance; then a few more connects while the gateway has no code yet. A tenant's own gateway URL
is checked first (:mod:`matrix.addresses`): its key goes to a public HTTPS host only.
Redirects are not followed, so the key cannot be bounced elsewhere.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from matrix import addresses
from matrix.config import Settings
from matrix.errors import ConfigError, ProviderError
from matrix.providers.base import sanitize
from matrix.providers.evolution import HOW_TO_TURN_ON, Gateway, TenantTransports, platform_gateway
from matrix.providers.guard import Guard

ATTEMPTS = 3
"""Connects after the first while the gateway has no code yet, or failed with a 5xx (the origin
tried 16, 1.2 s apart: too long for a request to wait)."""
PAUSE_SECONDS = 1.0


class GatewayUnavailable(ConfigError):
    """The tenant has no gateway matrix may call: none configured, or one whose URL is refused.
    The API answers 503 with :attr:`code`."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a 3xx is then answered as the gateway's own status


_OPENER = urllib.request.build_opener(_NoRedirect)


def tenant_qr(
    store: Any, settings: Settings, tenant_id: str, *, force_new: bool = False,
    wait: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:  # fmt: skip
    """The QR code (or pairing code) that links ``tenant_id``'s WhatsApp number, or its state
    when it is linked already.

    Raises:
        GatewayUnavailable: ``evolution_not_configured``, or ``evolution_gateway_refused`` for a
            tenant gateway URL on a private, link-local, metadata or (unless allowed) loopback
            address, or plain HTTP.
        ProviderError: ``evolution_unreachable`` (no answer), ``evolution_error`` (the gateway
            refused; the message gives its status).
    """
    platform = platform_gateway(settings)
    gateway = TenantTransports(store, platform=platform).gateway(tenant_id)
    if gateway is None:
        raise GatewayUnavailable(f"Tenant {tenant_id} has no WhatsApp gateway; to pair a number,"
                                 f" {HOW_TO_TURN_ON}.", code="evolution_not_configured")  # fmt: skip
    if gateway is not platform:  # the platform's comes from the operator's own settings
        try:
            addresses.check(
                gateway.base_url,
                allow_loopback=settings.allow_loopback_urls,
                field="integrations.crm_evolution.base_url",
            )
        except addresses.AddressRefused as exc:
            raise GatewayUnavailable(str(exc), code="evolution_gateway_refused") from None
        except OSError:
            raise _unreachable(gateway) from None
        guard = Guard(
            allow_loopback=settings.allow_loopback_urls, field="integrations.crm_evolution.base_url"
        )
        return qr(gateway, force_new=force_new, timeout=settings.provider_timeout_seconds, wait=wait,
                  guard=guard)  # fmt: skip
    return qr(gateway, force_new=force_new, timeout=settings.provider_timeout_seconds, wait=wait)


def qr(
    gateway: Gateway, *, force_new: bool = False, timeout: float = 10.0,
    attempts: int = ATTEMPTS, wait: Callable[[float], None] = time.sleep, guard: Guard | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Ask ``gateway`` for its instance's QR code (see the module docstring for the steps); with
    ``guard`` (a tenant's own gateway), every connection is checked after DNS."""
    opener = _OPENER
    if guard is not None:
        opener = guard.opener()
        opener.add_handler(_NoRedirect())
    client = _Client(gateway, timeout, opener)
    instance = quote(gateway.instance_id, safe="")
    found: dict[str, Any] = {}
    status = 0
    if not force_new:
        status, found = client.connect(instance)
        if _ok(status) and not (_scannable(found) or found["connectionState"]):
            state_status, state = client.call("GET", f"/instance/connectionState/{instance}")
            if _ok(state_status):
                found["connectionState"] = _read(state)["connectionState"]
    if force_new or not _ok(status):
        created, body = client.call("POST", "/instance/create", {
            "instanceName": gateway.instance_id, "qrcode": True, "integration": "WHATSAPP-BAILEYS"})  # fmt: skip
        if _ok(created):
            status, found = created, _read(body)
    for attempt in range(attempts):
        if _ok(status) and (_scannable(found) or found["connectionState"] == "open"):
            break
        if 400 <= status < 500 and attempt:
            break  # the gateway refuses this instance or key: asking again changes nothing
        if _ok(status) or attempt:
            wait(PAUSE_SECONDS)  # a failed create is followed by a connect at once
        status, found = client.connect(instance)
    if not _ok(status):
        raise ProviderError(f"The Evolution gateway refused to pair the instance (HTTP {status});"
                            " check the instance name and the gateway's api key.",
                            code="evolution_error", provider="evolution")  # fmt: skip
    return {**found, "instanceId": gateway.instance_id, **_status(found)}


class _Client:
    def __init__(
        self, gateway: Gateway, timeout: float, opener: urllib.request.OpenerDirector
    ) -> None:
        self.gateway = gateway
        self.timeout = timeout
        self.opener = opener

    def connect(self, instance: str) -> tuple[int, dict[str, Any]]:
        status, body = self.call("GET", f"/instance/connect/{instance}")
        if status in (404, 405):
            status, body = self.call("POST", f"/instance/connect/{instance}", {})
        return status, _read(body)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.gateway.base_url.rstrip("/") + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"apikey": self.gateway.api_key, "content-type": "application/json"},
        )  # fmt: skip
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return answer.status, _json(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())
        except addresses.AddressRefused as exc:  # the name resolved where the key may not go
            raise GatewayUnavailable(str(exc), code="evolution_gateway_refused") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            raise _unreachable(self.gateway) from None


def _unreachable(gateway: Gateway) -> ProviderError:
    return ProviderError(f"The Evolution gateway at {sanitize(gateway.base_url, gateway.api_key)}"
                         " did not answer; check that it runs and that its URL is right.",
                         code="evolution_unreachable", provider="evolution")  # fmt: skip


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return {}


def _read(body: Any) -> dict[str, Any]:
    """The pairing fields of an answer, under whichever names this Evolution version uses."""
    doc = body if isinstance(body, dict) else {}
    nests = [doc] + [
        doc[k] for k in ("qrcode", "qr", "data", "instance") if isinstance(doc.get(k), dict)
    ]

    def first(*names: str, kind: type = str) -> Any:
        for nest in nests:
            for name in names:
                value = nest.get(name)
                if isinstance(value, kind) and not isinstance(value, bool) and value != "":
                    return value
        return None

    return {"code": first("code", "qr", "qrcode"), "base64": first("base64", "qrBase64", "image"),
            "pairingCode": first("pairingCode", "pairing_code"), "count": first("count", kind=int),
            "connectionState": first("state", "connectionState", "connection_state")}  # fmt: skip


def _scannable(found: dict[str, Any]) -> bool:
    return bool(found["code"] or found["pairingCode"])


def _status(found: dict[str, Any]) -> dict[str, str]:
    if found["connectionState"] == "open":
        return {"status": "connected", "message": "The WhatsApp number is linked; nothing to scan."}
    if _scannable(found):
        return {"status": "ready",
                "message": "Scan the QR code in WhatsApp (Linked devices), or enter the pairing code."}  # fmt: skip
    return {"status": "pending_qr",
            "message": "The gateway has no QR code yet; ask again in a few seconds."}  # fmt: skip
