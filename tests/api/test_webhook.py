"""POST /provider/evolution/webhook over HTTP: a signed event files a conversation; a forged,
unsigned, tampered, wrong-tenant or replayed one stores nothing new, and every malformed
signature is a 401, never an internal error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api import evolution
from tests.api.conftest import ApiWorld
from tests.api.evolution import SECRETS, body_of, event, post, signature, signed, stored


@pytest.fixture(autouse=True)
def _secrets(api: ApiWorld) -> None:
    evolution.configure(api)


def test_signed_webhook_creates_a_conversation(api: ApiWorld) -> None:
    answer = signed(api, event())
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "accepted" and body["inbound"]["status"] == "created"
    assert body["normalized"] == {"tenant_id": "acme", "event_type": "message.inbound",
                                  "message_id": "wamid-IN-0001", "delivery_state": "unknown"}  # fmt: skip
    [conversation] = api.get("/v1/crm/conversations").json()["items"]
    assert conversation["conversation_id"] == body["inbound"]["conversation_id"]
    assert conversation["contact_e164"] == "+5511977776666" and conversation["unread_count"] == 1
    assert (
        conversation["lead_id"] == body["inbound"]["lead_id"]
        and conversation["lead_stage"] == "new"
    )
    assert stored(api)["acme.messages"] == 1 and stored(api)["globex.conversations"] == 0


@pytest.mark.parametrize("header", ["X-Hub-Signature-256", "X-Signature", "X-Webhook-Signature"])
def test_webhook_signature_is_read_from_each_header(api: ApiWorld, header: str) -> None:
    body = body_of(event())
    answer = post(api, body, {header: signature(body).upper().replace("SHA256=", "sha256=")})
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"


def test_replayed_webhook_is_a_duplicate_that_stores_nothing_new(api: ApiWorld) -> None:
    doc = event()
    assert signed(api, doc).json()["status"] == "accepted"
    before = stored(api)
    again = signed(api, doc)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert stored(api) == before


def _signed_as(tenant: str, secret: str) -> Any:
    """A case: the body naming ``tenant``, signed with ``secret``."""

    def case(body: bytes) -> tuple[bytes, dict[str, str]]:
        named = body.replace(b'"acme"', f'"{tenant}"'.encode())
        return named, {"X-Hub-Signature-256": signature(named, secret)}

    return case


def _tampered(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body.replace(b"Oi, quero", b"Oi, QUERO"), {"X-Hub-Signature-256": signature(body)}


REJECTED: dict[str, Any] = {
    "forged": _signed_as("acme", "not-the-secret-of-anyone"),
    "unsigned": lambda body: (body, {}),
    "tampered body": _tampered,
    "naming acme, signed with globex's secret": _signed_as("acme", SECRETS["globex"]),
    "naming globex, signed with acme's secret": _signed_as("globex", SECRETS["acme"]),
    "unknown tenant": _signed_as("nobody", SECRETS["acme"]),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected_webhook_stores_nothing_new(api: ApiWorld, case: str) -> None:
    assert signed(api, event(payload={"message_id": "wamid-FIRST"})).status_code == 200
    before = stored(api)
    body, headers = REJECTED[case](body_of(event()))
    answer = post(api, body, headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == (
        "missing_signature" if case == "unsigned" else "invalid_signature"
    )
    assert stored(api) == before


def test_unknown_tenant_answers_exactly_as_a_bad_signature(api: ApiWorld) -> None:
    api.app.store.tenants.add("initech", "INITECH")  # a tenant without a webhook secret
    unknown, wrong, no_secret = (signed(api, event(tenant_id=tenant), "s" * 20)
                                 for tenant in ("nobody", "acme", "initech"))  # fmt: skip
    assert unknown.status_code == wrong.status_code == no_secret.status_code == 401
    assert unknown.json() == wrong.json() == no_secret.json()


MALFORMED: dict[str, Any] = {
    "empty": "",
    "prefix only": "sha256=",
    "no prefix": "a" * 64,
    "wrong prefix": "sha1=" + "a" * 64,
    "no equals sign": "sha256" + "a" * 64,
    "non-hex": "sha256=" + "g" * 64,
    "too short": "sha256=" + "a" * 63,
    "too long": "sha256=" + "a" * 65,
    "odd spaces": "sha256= " + "a" * 63,
    "non-ASCII": ("sha256=" + "é" * 64).encode(),
    "non-ASCII digits": ("sha256=" + "١" * 64).encode(),
    "invalid UTF-8": b"sha256=\xff\xfe" + b"a" * 62,
    "two values": "sha256=" + "a" * 64 + ", sha256=" + "b" * 64,
    "very long": "sha256=" + "a" * 8000,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_signature_is_401(api: ApiWorld, case: str) -> None:
    before = stored(api)
    answer = post(api, body_of(event()), {"X-Hub-Signature-256": MALFORMED[case]})
    assert answer.status_code == 401 and answer.json()["error"] == "malformed_signature"
    assert stored(api) == before


def test_first_signature_header_sent_is_the_one_checked(api: ApiWorld) -> None:
    body = body_of(event())
    answer = post(
        api, body, {"X-Hub-Signature-256": "sha256=" + "0" * 64, "X-Signature": signature(body)}
    )
    assert answer.status_code == 401 and stored(api)["acme.messages"] == 0


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"tenant_id": 7}', b'{"tenant_id": "acme"', b"[" * 10_000]
)
def test_unparseable_body_is_401_without_a_tenant_to_check(api: ApiWorld, body: bytes) -> None:
    answer = post(api, body, {"X-Hub-Signature-256": signature(body)})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_signature"


def test_signed_body_that_breaks_the_contract_names_the_field(api: ApiWorld) -> None:
    answer = signed(api, event(payload={"from_e164": "5511977776666@s.whatsapp.net"}))
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert [d["path"] for d in answer.json()["details"]] == ["/payload/from_e164"]
    assert stored(api)["acme.messages"] == stored(api)["acme.receipts"] == 0


def test_unsigned_body_that_breaks_the_contract_learns_nothing_of_it(api: ApiWorld) -> None:
    body = json.dumps({"tenant_id": "acme", "junk": True}).encode()
    answer = post(api, body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert answer.status_code == 401 and answer.json()["details"] == []


def test_delivery_report_for_an_unknown_message_is_accepted_as_not_found(api: ApiWorld) -> None:
    answer = signed(api, event(event_type="message.read_update", payload={"message_id": "wamid-X"}))
    assert answer.status_code == 200
    assert answer.json()["delivery_update"] == {"status": "not_found", "message_id": "wamid-X",
                                                "delivery_state": "read"}  # fmt: skip


def test_webhook_for_globex_files_into_globex_only(api: ApiWorld) -> None:
    answer = signed(api, event(tenant_id="globex"), SECRETS["globex"])
    assert answer.status_code == 200
    counts = stored(api)
    assert counts["globex.conversations"] == 1 and counts["acme.conversations"] == 0
    assert api.get("/v1/crm/conversations").json()["count"] == 0
    assert api.get("/v1/crm/conversations", tenant="globex").json()["count"] == 1
