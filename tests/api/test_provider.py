"""The gateway's other routes over HTTP: the outbound contract check, and the QR code that links
a tenant's WhatsApp number, from its own gateway (a real one on 127.0.0.1) or the platform's."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matrix.testing.gateway import QR_IMAGE, EvolutionGateway
from tests.api import evolution
from tests.api.conftest import ApiWorld, make_world
from tests.api.evolution import GATEWAY_KEY
from tests.conftest import ROOT

QR = "/v1/whatsapp/evolution/qr"
VALIDATE = "/provider/evolution/outbound/validate"
ITEM = json.loads((ROOT / "contracts/examples/valid/outbound-queue.json").read_text())["instance"]


@pytest.fixture
def gateway() -> Iterator[EvolutionGateway]:
    with EvolutionGateway(api_key=GATEWAY_KEY) as server:
        yield server


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[ApiWorld]:
    """The API of a platform that does not allow tenant URLs on this machine (the default)."""
    yield from make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", allow_loopback_urls=False)


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[ApiWorld]:
    """The API with gateways on this machine allowed, as in a test or beside the server."""
    yield from make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", allow_loopback_urls=True)


def test_valid_outbound_item_is_valid(api: ApiWorld) -> None:
    answer = api.post(VALIDATE, ITEM)
    assert answer.status_code == 200
    assert answer.json() == {"status": "valid", "queue_item_id": ITEM["queue_item_id"],
                             "tenant_id": "acme", "idempotency_key": ITEM["idempotency_key"]}  # fmt: skip
    assert api.app.store.modules.outbound.find("acme") == []


@pytest.mark.parametrize(("change", "path"), [
    (("message", "text", None), "/request/message/text"),
    (("message", "type", "image"), "/request/message/media_ref"),
    (("retry_policy", "max_attempts", 11), "/request/retry_policy/max_attempts"),
    (("recipient", "phone_e164", "11977776666"), "/request/recipient/phone_e164"),
    (("context", "type", "reminder"), "/request/context/type"),
])  # fmt: skip
def test_invalid_outbound_item_names_the_field(
    api: ApiWorld, change: tuple[str, str, Any], path: str
) -> None:
    item = copy.deepcopy(ITEM)
    section, field, value = change
    if value is None:
        del item[section][field]
    else:
        item[section][field] = value
    answer = api.post(VALIDATE, item)
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert path in [d["path"] for d in answer.json()["details"]]


def test_outbound_item_of_another_tenant_answers_as_unknown(api: ApiWorld) -> None:
    theirs = api.post(VALIDATE, ITEM, tenant="globex")
    nobody = api.post(VALIDATE, {**ITEM, "tenant_id": "nobody"}, tenant="globex")
    assert theirs.status_code == nobody.status_code == 404 and theirs.json() == nobody.json()


def test_qr_comes_from_the_tenants_own_gateway(
    loopback: ApiWorld, gateway: EvolutionGateway
) -> None:
    evolution.configure(loopback, gateway_url=gateway.url)
    answer = loopback.get(QR)
    assert answer.status_code == 200
    assert answer.json() == {"code": "2@matrix-test-qr-1", "base64": QR_IMAGE, "pairingCode": "WZYEH1YY",
                             "count": 1, "connectionState": None, "instanceId": "acme-main", "status": "ready",
                             "message": answer.json()["message"]}  # fmt: skip
    [call] = gateway.seen
    assert (call["method"], call["path"], call["apikey"]) == (
        "GET",
        "/instance/connect/acme-main",
        GATEWAY_KEY,
    )


def test_qr_force_new_creates_the_instance(loopback: ApiWorld, gateway: EvolutionGateway) -> None:
    evolution.configure(loopback, gateway_url=gateway.url)
    answer = loopback.get(QR, params={"force_new": 1})
    assert answer.status_code == 200 and answer.json()["status"] == "ready"
    assert gateway.instances == ["acme-main"]
    assert [c["path"] for c in gateway.seen] == ["/instance/create"]


def test_qr_of_a_linked_number_says_connected(
    loopback: ApiWorld, gateway: EvolutionGateway
) -> None:
    evolution.configure(loopback, gateway_url=gateway.url)
    gateway.state = "open"
    body = loopback.get(QR).json()
    assert (
        body["status"] == "connected" and body["code"] is None and body["connectionState"] == "open"
    )


def test_qr_without_a_gateway_is_503(api: ApiWorld) -> None:
    answer = api.get(QR)
    assert answer.status_code == 503 and answer.json()["error"] == "evolution_not_configured"


def test_qr_from_the_platforms_gateway(tmp_path: Path, gateway: EvolutionGateway) -> None:
    """The operator's own gateway (MATRIX_EVOLUTION_*) serves a tenant without one."""
    for world in make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", evolution_base_url=gateway.url,
                            evolution_api_key=GATEWAY_KEY, evolution_instance="platform"):  # fmt: skip
        answer = world.get(QR, tenant="globex")
        assert answer.status_code == 200 and answer.json()["instanceId"] == "platform"


@pytest.mark.parametrize("status", [401, 403])
def test_qr_gateway_refusal_is_502(
    loopback: ApiWorld, gateway: EvolutionGateway, status: int
) -> None:
    evolution.configure(loopback, gateway_url=gateway.url)
    gateway.fail(status, times=10)
    answer = loopback.get(QR, params={"force_new": 1})
    assert answer.status_code == 502 and answer.json()["error"] == "evolution_error"
    assert f"HTTP {status}" in answer.json()["message"]
    assert GATEWAY_KEY not in answer.text


def test_qr_unreachable_gateway_is_502(loopback: ApiWorld, gateway: EvolutionGateway) -> None:
    evolution.configure(loopback, gateway_url=gateway.url)
    gateway.stop()
    answer = loopback.get(QR, params={"force_new": 1})
    assert answer.status_code == 502 and answer.json()["error"] == "evolution_unreachable"
    assert GATEWAY_KEY not in answer.text


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest", "http://[fd00:ec2::254]", "https://10.0.0.7:8080",
    "https://192.168.1.20", "https://[fe80::1]", "http://metadata.google.internal",
    "https://[::ffff:169.254.169.254]", "http://127.0.0.1:9",
])  # fmt: skip
def test_qr_never_sends_the_key_to_a_private_address(strict: ApiWorld, url: str) -> None:
    """Without MATRIX_ALLOW_LOOPBACK_URLS even this machine is refused; no request is made."""
    evolution.configure(strict, gateway_url=url)
    answer = strict.get(QR)
    assert answer.status_code == 503 and answer.json()["error"] == "evolution_gateway_refused"
    assert GATEWAY_KEY not in answer.text
