"""A local Evolution-compatible WhatsApp gateway on 127.0.0.1, for tests and demos.

It speaks the part of the Evolution API that matrix uses — ``POST /message/sendText/{instance}``
with an ``apikey`` header and ``{number, text}`` — over a real HTTP server, records every request
it receives, and answers like Evolution: a message id, the same id again for a repeated
``idempotency-key`` (the duplicate is not delivered twice). It fails on demand: script the next
answers with :meth:`EvolutionGateway.fail` (or :attr:`EvolutionGateway.replies`).

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
        seen: every request, in order: ``{"path", "apikey", "key", "body"}``.
        delivered: the messages accepted, once per idempotency key.
        replies: scripted ``(status, body)`` answers, consumed one per request before the
            normal answer.
    """

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(_handler(self), host=host, name="evolution-gateway")
        self.api_key = api_key
        self.seen: list[dict[str, Any]] = []
        self.delivered: list[Delivered] = []
        self.replies: list[tuple[int, dict[str, Any]]] = []
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

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        """Record one request and decide the answer (the HTTP handler calls this)."""
        with self._lock:
            key = headers.get("idempotency-key")
            self.seen.append(
                {"path": path, "apikey": headers.get("apikey"), "key": key, "body": body}
            )
            if self.replies:
                return self.replies.pop(0)
            if not path.startswith(_PATH) or not isinstance(body, dict):
                return 404, {"error": f"no route {path}"}
            if self.api_key is not None and headers.get("apikey") != self.api_key:
                return 401, {"error": "invalid apikey"}
            if not body.get("number") or not isinstance(body.get("text"), str):
                return 400, {"error": "number and text are required"}
            for message in self.delivered:
                if key and message.idempotency_key == key:
                    return 201, {"key": {"id": message.message_id}, "duplicate": True}
            message = Delivered(instance=path[len(_PATH):], number=str(body["number"]), text=body["text"],
                                idempotency_key=key, message_id=f"WA-{len(self.delivered) + 1}")  # fmt: skip
            self.delivered.append(message)
            return 201, {"key": {"id": message.message_id}, "status": "PENDING"}


def _handler(gateway: EvolutionGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reply = gateway.answer(self.path, headers, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
