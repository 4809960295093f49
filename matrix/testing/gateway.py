"""A local Evolution-compatible WhatsApp gateway on 127.0.0.1, for tests and demos.

It speaks the part of the Evolution API that matrix uses — ``POST /message/sendText/{instance}``
with an ``apikey`` header and ``{number, text}``, and pairing a number: ``GET
/instance/connect/{instance}`` (a QR code, or the state once linked), ``GET
/instance/connectionState/{instance}`` and ``POST /instance/create`` — over a real HTTP server,
records every request it receives, and answers like Evolution: a message id, the same id again
for a repeated ``idempotency-key`` (the duplicate is not delivered twice). It fails on demand:
script the next answers with :meth:`EvolutionGateway.fail` (or :attr:`EvolutionGateway.replies`);
set :attr:`EvolutionGateway.state` to ``"open"`` to act linked.

    with EvolutionGateway(api_key="evo-key") as gateway:
        ...  # point MATRIX_EVOLUTION_BASE_URL at gateway.url
        assert [m.text for m in gateway.delivered] == ["Lembrete: ..."]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from matrix.testing.http import LocalServer

_PATH = "/message/sendText/"
_CONNECT = "/instance/connect/"
_STATE = "/instance/connectionState/"
_CREATE = "/instance/create"
QR_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
"""The QR image the gateway answers with (a 1x1 PNG)."""


@dataclass(frozen=True, kw_only=True)
class Delivered:
    """One message the gateway accepted (a repeated idempotency key is not delivered again)."""

    instance: str
    number: str
    text: str
    idempotency_key: str | None
    message_id: str


class EvolutionGateway(LocalServer):
    """A real HTTP server on 127.0.0.1 (a free port) that records what it is sent.

    Attributes:
        seen: every request, in order: ``{"method", "path", "apikey", "key", "body"}``.
        delivered: the messages accepted, once per idempotency key.
        replies: scripted ``(status, body)`` answers, consumed one per request before the
            normal answer.
        state: the instance's connection state: ``close`` until linked (then ``open``).
        qr_count: how many QR codes it has handed out.
        instances: the instances created with ``POST /instance/create``.
    """

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(_handler(self), host=host, name="evolution-gateway")
        self.api_key = api_key
        self.seen: list[dict[str, Any]] = []
        self.delivered: list[Delivered] = []
        self.replies: list[tuple[int, dict[str, Any]]] = []
        self.state = "close"
        self.qr_count = 0
        self.instances: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL to configure as the Evolution gateway."""
        return self.origin

    def fail(
        self, status: int = 503, *, times: int = 1, error: str = "gateway unavailable"
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (a 5xx is retryable, 4xx is not)."""
        with self._lock:
            self.replies += [(status, {"error": error})] * times

    def sent_to(self, number: str) -> list[Delivered]:
        """The messages delivered to one number (E.164 digits, with or without ``+``)."""
        digits = number.lstrip("+")
        return [m for m in self.delivered if m.number == digits]

    def answer(
        self, path: str, headers: dict[str, str], body: Any, method: str = "POST"
    ) -> tuple[int, dict[str, Any]]:
        """Record one request and decide the answer (the HTTP handler calls this)."""
        with self._lock:
            key = headers.get("idempotency-key")
            self.seen.append({"method": method, "path": path, "apikey": headers.get("apikey"),
                              "key": key, "body": body})  # fmt: skip
            if self.replies:
                return self.replies.pop(0)
            if self.api_key is not None and headers.get("apikey") != self.api_key:
                return 401, {"error": "invalid apikey"}
            if path.startswith((_CONNECT, _STATE, _CREATE)):
                return self._pairing(method, path, body)
            if method != "POST" or not path.startswith(_PATH) or not isinstance(body, dict):
                return 404, {"error": f"no route {path}"}
            if not body.get("number") or not isinstance(body.get("text"), str):
                return 400, {"error": "number and text are required"}
            for message in self.delivered:
                if key and message.idempotency_key == key:
                    return 201, {"key": {"id": message.message_id}, "duplicate": True}
            message = Delivered(instance=path[len(_PATH):], number=str(body["number"]), text=body["text"],
                                idempotency_key=key, message_id=f"WA-{len(self.delivered) + 1}")  # fmt: skip
            self.delivered.append(message)
            return 201, {"key": {"id": message.message_id}, "status": "PENDING"}

    def _pairing(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        """Evolution v2's answers: a QR code while not linked, the state once linked."""
        if path.startswith(_STATE) and method == "GET":
            return 200, {"instance": {"instanceName": path[len(_STATE) :], "state": self.state}}
        if path.startswith(_CONNECT) and method == "GET":
            if self.state == "open":
                return 200, {"instance": {"instanceName": path[len(_CONNECT) :], "state": "open"}}
            return 200, self._qr()
        if (
            path == _CREATE
            and method == "POST"
            and isinstance(body, dict)
            and body.get("instanceName")
        ):
            self.instances.append(str(body["instanceName"]))
            return 201, {"instance": {"instanceName": body["instanceName"], "status": "created"},
                         "qrcode": self._qr()}  # fmt: skip
        return 404, {"error": f"no route {method} {path}"}

    def _qr(self) -> dict[str, Any]:
        self.qr_count += 1
        return {"pairingCode": "WZYEH1YY", "code": f"2@matrix-test-qr-{self.qr_count}",
                "base64": QR_IMAGE, "count": self.qr_count}  # fmt: skip


def _handler(gateway: EvolutionGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._answer("GET", None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            self._answer("POST", body)

        def _answer(self, method: str, body: Any) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reply = gateway.answer(self.path, headers, body, method)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
