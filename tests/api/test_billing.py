"""/v1/billing over HTTP: charges created (idempotent by key), changed and listed; collections
queued for Persona 2; payments that settle their charge (idempotent by key); another tenant's ids
answer as unknown."""

from __future__ import annotations

from typing import Any

import pytest

from matrix.api.schemas import schema_uri
from matrix.contracts import Catalog
from tests.api.conftest import ApiWorld

UNKNOWN = "00000000-0000-0000-0000-000000000000"
PHONE = "+5511999990000"


def _valid(api: ApiWorld, name: str, answer: Any) -> dict[str, Any]:
    """The answer's body, after checking it is a 200 that matches its declared schema."""
    assert answer.status_code == 200, answer.json()
    body: dict[str, Any] = answer.json()
    Catalog(api.app.settings.contracts_dir).validate(schema_uri(name), body)
    return body


def _customer(api: ApiWorld, tenant: str = "acme") -> str:
    made = api.post("/v1/customers", {"request_id": "r-0", "customer": {
        "display_name": "Ana Souza", "primary_phone": PHONE}}, tenant)  # fmt: skip
    return str(made.json()["response"]["customer"]["customer_id"])


def _charge_body(customer_id: str, **fields: Any) -> dict[str, Any]:
    return {"request_id": "r-1", "charge": {"customer_id": customer_id, "amount": 350, "currency": "brl",
                                            "due_date": "2026-10-20", **fields}}  # fmt: skip


def _charge(api: ApiWorld, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    answer = api.post("/v1/billing/charges", _charge_body(_customer(api, tenant), **fields), tenant)
    return _valid(api, "billing.charge_response", answer)["response"]["charge"]


def _pay(api: ApiWorld, charge_id: str, tenant: str = "acme", **fields: Any) -> Any:
    payment = {"charge_id": charge_id, "amount": 350, **fields}
    return api.post("/v1/billing/payments", {"request_id": "r-5", "payment": payment}, tenant)


def _collect(api: ApiWorld, charge_id: str, tenant: str = "acme", **collection: Any) -> Any:
    body = {"request_id": "r-4", **({"collection": collection} if collection else {})}
    return api.post(f"/v1/billing/charges/{charge_id}/collection-request", body, tenant)


def test_create_charge_is_idempotent_by_external_key(api: ApiWorld) -> None:
    customer_id = _customer(api)
    first = _valid(api, "billing.charge_response",
                   api.post("/v1/billing/charges", _charge_body(customer_id, external_key="inv-1")))  # fmt: skip
    again = _valid(api, "billing.charge_response", api.post("/v1/billing/charges", _charge_body(
        customer_id, external_key="inv-1", amount=999)))  # fmt: skip
    assert first["response"]["status"] == "created"
    assert first["response"]["orchestration"]["lifecycle_event_name"] == "billing.charge.created"
    assert (first["response"]["charge"]["currency"], first["response"]["charge"]["amount"]) == (
        "BRL",
        350,
    )
    assert again["response"]["status"] == "idempotent"
    assert again["response"]["charge"] == first["response"]["charge"]
    assert again["response"]["orchestration"]["lifecycle_event_name"] is None
    assert api.get("/v1/billing/charges").json()["count"] == 1
    assert api.app.store.events.count("acme", name="billing.charge.created") == 1


def test_charge_for_an_unknown_customer_is_not_found(api: ApiWorld) -> None:
    answer = api.post("/v1/billing/charges", _charge_body(UNKNOWN))
    assert answer.status_code == 404 and answer.json()["error"] == "customer_not_found"


def test_bad_charge_names_every_field(api: ApiWorld) -> None:
    answer = api.post(
        "/v1/billing/charges",
        _charge_body(_customer(api), amount=-1, currency="R$", due_date="soon"),
    )
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    paths = {d["path"] for d in answer.json()["details"]}
    assert paths == {
        "/request/charge/amount",
        "/request/charge/currency",
        "/request/charge/due_date",
    }
    assert api.get("/v1/billing/charges").json()["count"] == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": "XYZ"}, "not a supported ISO 4217 code"),
        ({"due_date": "2026-02-30"}, "not a date"),
        ({"amount": 10.005}, "more than two decimal places"),
    ],
)
def test_charge_the_service_refuses_is_a_400(
    api: ApiWorld, fields: dict[str, Any], message: str
) -> None:
    answer = api.post("/v1/billing/charges", _charge_body(_customer(api), **fields))
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_update_charge_changes_its_fields(api: ApiWorld) -> None:
    charge = _charge(api)
    answer = api.patch(f"/v1/billing/charges/{charge['charge_id']}", {"request_id": "r-2", "changes": {
        "amount": 400.5, "due_date": "2026-12-01", "metadata": {"invoice": "F-9"}}})  # fmt: skip
    changed = _valid(api, "billing.charge_update_response", answer)["response"]
    assert changed["status"] == "updated"
    [listed] = api.get("/v1/billing/charges").json()["items"]
    assert (listed["amount"], listed["due_date"], listed["metadata"]) == (
        400.5,
        "2026-12-01",
        {"invoice": "F-9"},
    )


def test_update_charge_cannot_mark_it_paid_or_change_a_closed_one(api: ApiWorld) -> None:
    path = f"/v1/billing/charges/{_charge(api)['charge_id']}"
    paid = api.patch(path, {"request_id": "r-2", "changes": {"status": "paid"}})
    assert (
        paid.status_code == 400 and paid.json()["details"][0]["path"] == "/request/changes/status"
    )
    assert (
        api.patch(path, {"request_id": "r-2", "changes": {"status": "canceled"}}).status_code == 200
    )
    reopened = api.patch(path, {"request_id": "r-3", "changes": {"status": "open"}})
    assert reopened.status_code == 409 and reopened.json()["error"] == "charge_closed"


def test_update_unknown_charge_is_not_found(api: ApiWorld) -> None:
    answer = api.patch(
        f"/v1/billing/charges/{UNKNOWN}", {"request_id": "r-2", "changes": {"amount": 10}}
    )
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_collection_request_queues_a_message_for_persona_2(api: ApiWorld) -> None:
    charge = _charge(api)
    body = _valid(api, "billing.collection_response", _collect(api, charge["charge_id"]))[
        "response"
    ]
    assert (body["status"], body["charge"]["collection_state"]) == (
        "collection_requested",
        "queued",
    )
    assert body["orchestration"]["lifecycle_event_name"] == "billing.collection.requested"
    [message] = api.app.store.modules.outbound.find("acme")
    assert (
        message["causation_id"] == body["orchestration"]["command_id"]
        and "350.00" in message["text"]
    )
    again = _collect(api, charge["charge_id"])
    assert again.status_code == 409 and again.json()["error"] == "collection_already_requested"


def test_collection_goes_to_the_given_number_with_the_given_text(api: ApiWorld) -> None:
    charge = _charge(api)
    answer = _collect(
        api, charge["charge_id"], recipient={"phone_e164": "+5511988887777"}, message="Pague hoje."
    )
    assert answer.status_code == 200
    [message] = api.app.store.modules.outbound.find("acme")
    assert (message["phone_e164"], message["text"]) == ("+5511988887777", "Pague hoje.")


@pytest.mark.parametrize("status", ["paid", "canceled"])
def test_collection_of_a_closed_charge_is_a_409(api: ApiWorld, status: str) -> None:
    charge = _charge(api)
    if status == "paid":
        _pay(api, charge["charge_id"])
    else:
        api.patch(
            f"/v1/billing/charges/{charge['charge_id']}",
            {"request_id": "r-2", "changes": {"status": status}},
        )
    answer = _collect(api, charge["charge_id"])
    assert answer.status_code == 409 and answer.json()["error"] == "charge_not_collectable"
    assert api.app.store.modules.outbound.find("acme") == []


def test_collection_of_an_unknown_charge_is_not_found(api: ApiWorld) -> None:
    answer = _collect(api, UNKNOWN)
    assert answer.status_code == 404 and answer.json()["error"] == "charge_not_found"


def test_confirmed_payment_settles_its_charge(api: ApiWorld) -> None:
    charge = _charge(api)
    body = _valid(
        api,
        "billing.payment_response",
        _pay(api, charge["charge_id"], paid_at="2026-10-19T15:00:00-03:00"),
    )
    response = body["response"]
    assert (response["status"], response["payment"]["status"], response["charge"]["status"]) == (
        "created", "confirmed", "paid")  # fmt: skip
    assert response["orchestration"]["lifecycle_event_name"] == "billing.payment.confirmed"
    paid = api.get("/v1/billing/charges", params={"status": "paid"}).json()
    assert [c["charge_id"] for c in paid["items"]] == [charge["charge_id"]]


def test_payment_is_idempotent_by_external_key(api: ApiWorld) -> None:
    charge = _charge(api)
    first = _pay(api, charge["charge_id"], external_key="psp-1").json()["response"]
    again = _valid(
        api,
        "billing.payment_response",
        _pay(api, charge["charge_id"], external_key="psp-1", amount=1),
    )
    assert again["response"]["status"] == "idempotent"
    assert again["response"]["payment"] == first["payment"]
    assert again["response"]["charge"]["status"] == "paid"
    assert again["response"]["orchestration"]["lifecycle_event_name"] is None
    assert api.app.store.events.count("acme", name="billing.payment.confirmed") == 1


def test_failed_payment_settles_nothing(api: ApiWorld) -> None:
    charge = _charge(api)
    body = _valid(api, "billing.payment_response", _pay(api, charge["charge_id"], status="failed"))[
        "response"
    ]
    assert (body["payment"]["status"], body["charge"]["status"]) == ("failed", "open")
    assert body["orchestration"]["lifecycle_event_name"] is None
    assert _pay(api, charge["charge_id"]).json()["response"]["charge"]["status"] == "paid"


def test_payment_refusals(api: ApiWorld) -> None:
    charge = _charge(api)
    unknown = _pay(api, UNKNOWN)
    assert unknown.status_code == 404 and unknown.json()["error"] == "charge_not_found"
    other = _pay(api, charge["charge_id"], currency="USD")
    assert other.status_code == 400 and "does not match" in other.json()["message"]
    _pay(api, charge["charge_id"])
    twice = _pay(api, charge["charge_id"])
    assert twice.status_code == 409 and twice.json()["error"] == "charge_closed"


def test_charges_list_filters_pages_and_checks_its_parameters(api: ApiWorld) -> None:
    first, second = (
        _charge(api, due_date="2026-12-01"),
        _charge(api, due_date="2026-11-01", status="draft"),
    )
    body = _valid(
        api, "billing.charge_list_response", api.get("/v1/billing/charges", params={"limit": 1})
    )
    assert (body["count"], body["total"], body["items"][0]["charge_id"]) == (
        1,
        2,
        second["charge_id"],
    )
    rest = api.get("/v1/billing/charges", params={"offset": 1}).json()
    assert [c["charge_id"] for c in rest["items"]] == [first["charge_id"]]
    drafts = api.get("/v1/billing/charges", params={"status": "draft"}).json()
    assert [c["charge_id"] for c in drafts["items"]] == [second["charge_id"]]
    mine = api.get("/v1/billing/charges", params={"customer_id": first["customer_id"]}).json()
    assert [c["charge_id"] for c in mine["items"]] == [first["charge_id"]]
    assert api.get("/v1/billing/charges", params={"limit": 500}).json()["error"] == "invalid_limit"
    assert api.get("/v1/billing/charges", params={"offset": -1}).json()["error"] == "invalid_offset"
    assert api.get("/v1/billing/charges", params={"status": "lost"}).status_code == 400


def test_another_tenants_charge_answers_as_unknown(api: ApiWorld) -> None:
    charge = _charge(api)
    theirs, unknown = charge["charge_id"], UNKNOWN
    attempts = [
        lambda cid: api.patch(
            f"/v1/billing/charges/{cid}", {"request_id": "r-2", "changes": {"amount": 1}}, "globex"
        ),
        lambda cid: _collect(api, cid, "globex", recipient={"phone_e164": "+5511911112222"}),
        lambda cid: _pay(api, cid, "globex"),
    ]
    for attempt in attempts:
        mine, nobodys = attempt(theirs), attempt(unknown)
        assert mine.status_code == nobodys.status_code == 404 and mine.json() == nobodys.json()
    foreign = api.post("/v1/billing/charges", _charge_body(charge["customer_id"]), "globex")
    assert foreign.status_code == 404 and foreign.json() == api.post(
        "/v1/billing/charges", _charge_body(UNKNOWN), "globex").json()  # fmt: skip
    [stored] = api.get("/v1/billing/charges").json()["items"]
    assert (stored["amount"], stored["status"], stored["collection_state"]) == (350, "open", None)
    assert api.get("/v1/billing/charges", "globex").json()["items"] == []
    assert (
        api.app.store.modules.outbound.find("acme") == []
        and api.app.store.modules.payments.find("acme") == []
    )
    named = api.get("/v1/billing/charges", "globex", params={"tenant_id": "acme"})
    nowhere = api.get("/v1/billing/charges", "globex", params={"tenant_id": "nope"})
    assert named.status_code == nowhere.status_code == 404 and named.json() == nowhere.json()
