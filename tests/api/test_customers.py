"""/v1/customers over HTTP: create (idempotent by key), overwrite by id, list, read one."""

from __future__ import annotations

from tests.api.conftest import ApiWorld


def test_create_customer_is_idempotent_by_external_key(api: ApiWorld) -> None:
    body = {"request_id": "r-1", "customer": {"display_name": "Ana Souza", "external_key": "ana"}}
    first = api.post("/v1/customers", body)
    again = api.post("/v1/customers", {**body, "customer": {**body["customer"], "display_name": "Other"}})
    assert first.status_code == again.status_code == 200
    assert first.json()["response"]["status"] == "created"
    assert first.json()["response"]["orchestration"]["lifecycle_event_name"] == "customer.created"
    assert again.json()["response"]["status"] == "idempotent"
    assert again.json()["response"]["customer"]["display_name"] == "Ana Souza"
    assert again.json()["response"]["orchestration"]["lifecycle_event_name"] is None
    assert api.get("/v1/customers").json()["count"] == 1


def test_existing_customer_id_is_overwritten(api: ApiWorld) -> None:
    made = api.post("/v1/customers", {"request_id": "r-1", "customer": {"display_name": "Ana"}})
    customer_id = made.json()["response"]["customer"]["customer_id"]
    changed = api.post("/v1/customers", {"request_id": "r-2", "customer": {
        "customer_id": customer_id, "display_name": "Ana Souza"}})  # fmt: skip
    assert changed.json()["response"]["status"] == "updated"
    assert api.get(f"/v1/customers/{customer_id}").json()["customer"]["display_name"] == "Ana Souza"


def test_bad_customer_names_every_field(api: ApiWorld) -> None:
    answer = api.post("/v1/customers", {"request_id": "r-1", "customer": {
        "display_name": "A", "primary_phone": "123"}})  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"] == "validation_error"
    paths = {d["path"] for d in answer.json()["details"]}
    assert paths == {"/request/customer/display_name", "/request/customer/primary_phone"}
    assert api.get("/v1/customers").json()["count"] == 0


def test_another_tenants_customer_answers_as_unknown(api: ApiWorld) -> None:
    made = api.post("/v1/customers", {"request_id": "r-1", "customer": {"display_name": "Ana"}})
    customer_id = made.json()["response"]["customer"]["customer_id"]
    theirs = api.get(f"/v1/customers/{customer_id}", tenant="globex")
    unknown = api.get("/v1/customers/00000000-0000-0000-0000-000000000000", tenant="globex")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    named = api.get("/v1/customers", tenant="globex", params={"tenant_id": "acme"})
    nowhere = api.get("/v1/customers", tenant="globex", params={"tenant_id": "nope"})
    assert named.status_code == nowhere.status_code == 404
    assert named.json() == nowhere.json()


def test_an_unknown_query_parameter_is_named_not_ignored(api: ApiWorld) -> None:
    answer = api.get("/v1/customers", params={"tenant": "acme"})
    assert answer.status_code == 400 and answer.json()["error"] == "unknown_parameter"
    assert answer.json()["details"] == [{"path": "/query/tenant", "problem": "not a parameter of this route"}]
    assert "tenant_id" in answer.json()["message"]
    assert api.client.get("/v1/customers", params={"tenant": "acme"}).status_code == 401  # the token first


def test_a_query_parameter_given_twice_is_refused(api: ApiWorld) -> None:
    answer = api.get("/v1/customers", params=[("tenant_id", "acme"), ("tenant_id", "globex")])
    assert answer.status_code == 400 and answer.json()["error"] == "repeated_parameter"
    assert answer.json()["details"][0]["path"] == "/query/tenant_id"


def test_a_huge_refused_value_is_not_echoed_whole(api: ApiWorld) -> None:
    answer = api.post("/v1/customers", {"request_id": "r-1", "customer": {"display_name": "x" * 50_000}})
    assert answer.status_code == 400 and len(answer.text) < 2_000
    assert answer.json()["details"][0]["path"] == "/request/customer/display_name"
