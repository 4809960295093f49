"""The QR code of an Evolution instance, from a real gateway on 127.0.0.1: the steps the origin
took (connect, state, create, a few more connects), the names each version answers with, and
refusals that never show the key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from matrix.errors import ProviderError
from matrix.providers.evolution import Gateway
from matrix.providers.pairing import qr
from matrix.testing.gateway import EvolutionGateway

KEY = "evo-key-0a1b2c3d"


@pytest.fixture
def gateway() -> Iterator[EvolutionGateway]:
    with EvolutionGateway(api_key=KEY) as server:
        yield server


def _qr(gateway: EvolutionGateway, **kwargs: object) -> dict[str, object]:
    pauses: list[float] = []
    found = qr(Gateway(base_url=gateway.url, api_key=KEY, instance_id="acme main"),
               wait=pauses.append, **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return {**found, "pauses": len(pauses)}


def test_qr_reads_the_code_of_a_connect(gateway: EvolutionGateway) -> None:
    found = _qr(gateway)
    assert (
        found["status"] == "ready"
        and found["code"] == "2@matrix-test-qr-1"
        and found["pauses"] == 0
    )
    assert gateway.seen[0]["path"] == "/instance/connect/acme%20main"


def test_qr_asks_again_after_a_gateway_error(gateway: EvolutionGateway) -> None:
    gateway.fail(503, times=2)  # connect, then create, fail: connects again at once, then succeeds
    found = _qr(gateway)
    assert found["status"] == "ready" and found["pauses"] == 0
    assert [c["path"] for c in gateway.seen] == [
        "/instance/connect/acme%20main", "/instance/create", "/instance/connect/acme%20main"]  # fmt: skip


def test_qr_without_a_code_yet_is_pending(gateway: EvolutionGateway) -> None:
    gateway.replies = [(200, {"instance": {"state": "connecting"}})] * 5
    found = _qr(gateway, attempts=2)
    assert found["status"] == "pending_qr" and found["connectionState"] == "connecting"
    assert found["pauses"] == 2


def test_qr_reads_the_names_of_older_gateways(gateway: EvolutionGateway) -> None:
    gateway.replies = [
        (200, {"qrcode": {"base64": "data:image/png;base64,AA", "code": "2@old"}, "count": 3})
    ]
    found = _qr(gateway)
    assert (found["code"], found["base64"], found["count"]) == (
        "2@old",
        "data:image/png;base64,AA",
        3,
    )


def test_qr_gateway_refusing_the_key_is_an_evolution_error(gateway: EvolutionGateway) -> None:
    with pytest.raises(ProviderError) as info:
        qr(
            Gateway(base_url=gateway.url, api_key="the-wrong-key", instance_id="acme"),
            wait=lambda _s: None,
        )
    assert info.value.code == "evolution_error" and "HTTP 401" in str(info.value)
    assert len(gateway.seen) == 3 and "the-wrong-key" not in str(info.value)
