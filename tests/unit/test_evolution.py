"""The Evolution transport over real HTTP against a small gateway on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from matrix.modules.crm.outbound import TransportError
from matrix.providers.evolution import EvolutionTransport

KEY = "evo-key-0123456789"


class Gateway:
    def __init__(self) -> None:
        self.replies: list[tuple[int, dict[str, Any]]] = []
        self.seen: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                gateway.seen.append({"path": self.path, "apikey": self.headers.get("apikey"),
                                     "key": self.headers.get("idempotency-key"), "body": body})  # fmt: skip
                status, reply = (
                    gateway.replies.pop(0) if gateway.replies else (201, {"key": {"id": "WA-1"}})
                )
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    yield g
    g.server.shutdown()


def _send(gateway: Gateway) -> str:
    transport = EvolutionTransport(
        base_url=gateway.url, api_key=KEY, instance_id="acme-main", timeout=2
    )
    return transport.send(
        tenant_id="acme", phone_e164="+5511999990000", text="Olá", idempotency_key="k-1"
    )


def test_send_posts_the_origin_shape_and_returns_the_message_id(gateway: Gateway) -> None:
    assert _send(gateway) == "WA-1"
    [call] = gateway.seen
    assert (
        call["path"] == "/message/sendText/acme-main"
        and call["apikey"] == KEY
        and call["key"] == "k-1"
    )
    assert call["body"] == {"number": "5511999990000", "text": "Olá"}


def test_a_failed_first_body_is_retried_with_the_alternative_payload(gateway: Gateway) -> None:
    gateway.replies = [(500, {"error": "bad"}), (200, {"data": {"key": {"id": "WA-2"}}})]
    assert _send(gateway) == "WA-2"
    assert gateway.seen[1]["body"]["textMessage"] == {"text": "Olá"}


def test_rejections_are_permanent_and_never_show_the_key(gateway: Gateway) -> None:
    gateway.replies = [(401, {"error": f"invalid apikey {KEY}"})]
    with pytest.raises(TransportError) as info:
        _send(gateway)
    assert (
        info.value.code == "EVOLUTION_HTTP_401"
        and not info.value.retryable
        and KEY not in str(info.value)
    )


def test_server_errors_and_an_unreachable_gateway_are_retryable(gateway: Gateway) -> None:
    gateway.replies = [(502, {}), (503, {})]
    with pytest.raises(TransportError) as info:
        _send(gateway)
    assert info.value.code == "PROVIDER_SEND_ERROR" and info.value.retryable
    transport = EvolutionTransport(
        base_url="http://127.0.0.1:9", api_key=KEY, instance_id="x", timeout=1
    )
    with pytest.raises(TransportError) as info:
        transport.send(
            tenant_id="acme", phone_e164="+5511999990000", text="Olá", idempotency_key="k"
        )
    assert info.value.code == "PROVIDER_UNREACHABLE" and info.value.retryable
