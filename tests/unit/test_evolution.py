"""The Evolution transport over real HTTP against a small gateway on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matrix.modules.crm.outbound import TransportError
from matrix.providers.evolution import EvolutionTransport
from matrix.testing.gateway import EvolutionGateway as Gateway

KEY = "evo-key-0123456789"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with Gateway() as g:
        yield g


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
