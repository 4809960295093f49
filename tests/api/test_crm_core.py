"""/v1/crm core over HTTP: accounts, contacts and deals created once per external key and
patched, activities, tasks and views created and listed; filters, text search and bounded pages;
and no record of one tenant reachable, or attachable, from another."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiWorld
from tests.api.test_crm import UNKNOWN, ok

PLURAL = {"account": "accounts", "contact": "contacts", "deal": "deals", "activity": "activities",
          "task": "tasks", "view": "views"}  # fmt: skip


def create(api: ApiWorld, what: str, tenant: str = "acme", **fields: Any) -> Any:
    return api.post(
        f"/v1/crm/{PLURAL[what]}", {"request_id": f"r-{what}", what: fields}, tenant=tenant
    )


def made(api: ApiWorld, what: str, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    """A new record of kind ``what``, its answer checked against the contract."""
    body = ok(api, create(api, what, tenant, **fields), f"crm_core.{what}_create_response")
    record: dict[str, Any] = body["response"][what]
    return record


def patch(api: ApiWorld, what: str, record_id: str, tenant: str = "acme", **request: Any) -> Any:
    return api.patch(
        f"/v1/crm/{PLURAL[what]}/{record_id}", {"request_id": "r-patch", **request}, tenant=tenant
    )


def listed(api: ApiWorld, what: str, **params: Any) -> dict[str, Any]:
    return ok(
        api, api.get(f"/v1/crm/{PLURAL[what]}", params=params), f"crm_core.{what}_list_response"
    )


def test_create_account_is_idempotent_by_external_key(api: ApiWorld) -> None:
    first = ok(api, create(api, "account", name="Padaria Boa Massa", external_key="acc-1", owner_user_id="u-ana",
                           website="https://boamassa.example", document_number="12.345.678/0001-90"),
               "crm_core.account_create_response")["response"]  # fmt: skip
    again = ok(api, create(api, "account", name="Other", external_key="acc-1"),
               "crm_core.account_create_response")["response"]  # fmt: skip
    assert (first["status"], again["status"]) == ("created", "idempotent")
    assert first["orchestration"]["lifecycle_event_name"] == "crm.account.created"
    assert again["orchestration"]["lifecycle_event_name"] is None
    assert again["account"] == first["account"]
    assert (first["account"]["owner_user_id"], first["account"]["status"]) == ("u-ana", "active")
    assert listed(api, "account")["total"] == 1


def test_account_patch_changes_only_the_given_fields(api: ApiWorld) -> None:
    account = made(api, "account", name="Padaria", industry="Food", owner_user_id="u-ana")
    answer = ok(api, patch(api, "account", account["account_id"], account_id=account["account_id"],
                           patch={"status": "inactive", "industry": None, "metadata": {"tier": "gold"}}),
                "crm_core.account_patch_response")["response"]  # fmt: skip
    changed = answer["account"]
    assert (answer["status"], answer["orchestration"]["lifecycle_event_name"]) == (
        "updated",
        "crm.account.updated",
    )
    assert (changed["status"], changed["industry"], changed["metadata"]) == (
        "inactive",
        None,
        {"tier": "gold"},
    )
    assert (changed["name"], changed["owner_user_id"]) == ("Padaria", "u-ana")
    assert listed(api, "account", status="inactive")["items"] == [changed]


def test_patch_naming_another_id_is_refused(api: ApiWorld) -> None:
    account = made(api, "account", name="Padaria")
    answer = patch(
        api, "account", account["account_id"], account_id=UNKNOWN, patch={"name": "Outra"}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "account_id_mismatch"
    assert answer.json()["details"][0]["path"] == "/request/account_id"
    assert listed(api, "account")["items"][0]["name"] == "Padaria"


@pytest.mark.parametrize(("body", "path"), [
    ({"patch": {}}, "/request/patch"),
    ({"patch": {"name": None}}, "/request/patch/name"),
    ({"patch": {"status": "archived"}}, "/request/patch/status"),
    ({"patch": {"website": "not a url"}}, "/request/patch/website"),
])  # fmt: skip
def test_bad_patch_is_refused_with_its_path(api: ApiWorld, body: dict[str, Any], path: str) -> None:
    account = made(api, "account", name="Padaria")
    answer = patch(api, "account", account["account_id"], **body)
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert path in {d["path"] for d in answer.json()["details"]}


@pytest.mark.parametrize("kind", ["account", "contact", "deal"])
def test_another_tenants_record_patch_answers_as_unknown(api: ApiWorld, kind: str) -> None:
    fields = {"account": {"name": "Padaria"}, "contact": {"display_name": "Carla"},
              "deal": {"title": "Atacado", "stage": "new"}}[kind]  # fmt: skip
    record = made(api, kind, **fields)
    theirs = patch(api, kind, record[f"{kind}_id"], tenant="globex", patch={"status": "inactive"}
                   if kind != "deal" else {"stage": "won"})  # fmt: skip
    unknown = patch(api, kind, UNKNOWN, tenant="globex", patch={"status": "inactive"}
                    if kind != "deal" else {"stage": "won"})  # fmt: skip
    assert theirs.status_code == unknown.status_code == 404
    assert (
        theirs.json()["message"].replace(record[f"{kind}_id"], UNKNOWN) == unknown.json()["message"]
    )
    assert listed(api, kind)["items"] == [record]
    assert api.app.store.events.count("globex") == 0


def test_contact_may_not_point_at_another_tenants_account(api: ApiWorld) -> None:
    theirs = made(api, "account", tenant="globex", name="Globex")
    attached = create(api, "contact", display_name="Carla", account_id=theirs["account_id"])
    unknown = create(api, "contact", display_name="Carla", account_id=UNKNOWN)
    assert attached.status_code == unknown.status_code == 404
    assert (
        attached.json()["message"].replace(theirs["account_id"], UNKNOWN)
        == unknown.json()["message"]
    )
    contact = made(api, "contact", display_name="Carla")
    moved = patch(api, "contact", contact["contact_id"], patch={"account_id": theirs["account_id"]})
    assert moved.status_code == 404
    assert listed(api, "contact")["items"] == [contact]


@pytest.mark.parametrize("field", ["lead_id", "account_id", "contact_id"])
def test_deal_may_not_point_at_another_tenants_record(api: ApiWorld, field: str) -> None:
    lead = api.post("/v1/crm/leads", {"request_id": "r-l", "lead": {"display_name": "Ana", "phone_e164": "+5511999990000"}},
                    tenant="globex").json()["response"]["lead"]  # fmt: skip
    theirs = {"lead_id": lead["lead_id"], "account_id": made(api, "account", tenant="globex", name="Globex")["account_id"],
              "contact_id": made(api, "contact", tenant="globex", display_name="Gil")["contact_id"]}[field]  # fmt: skip
    answer = create(api, "deal", title="Atacado", stage="new", **{field: theirs})
    unknown = create(api, "deal", title="Atacado", stage="new", **{field: UNKNOWN})
    assert answer.status_code == unknown.status_code == 404
    assert answer.json()["message"].replace(theirs, UNKNOWN) == unknown.json()["message"]
    assert listed(api, "deal")["total"] == 0


def test_deal_patch_reports_the_stage_event_when_the_stage_changes(api: ApiWorld) -> None:
    contact = made(api, "contact", display_name="Carla Dias", email="carla@example.com")
    deal = made(api, "deal", title="Pão de queijo", stage="new", amount=1200.5, contact_id=contact["contact_id"],
                expected_close_date="2026-12-15")  # fmt: skip
    moved = ok(api, patch(api, "deal", deal["deal_id"], patch={"stage": "proposal"}),
               "crm_core.deal_patch_response")["response"]  # fmt: skip
    kept = ok(api, patch(api, "deal", deal["deal_id"], patch={"stage": "proposal", "amount": 1500}),
              "crm_core.deal_patch_response")["response"]  # fmt: skip
    assert (deal["amount"], deal["currency"], deal["expected_close_date"]) == (
        1200.5,
        "BRL",
        "2026-12-15",
    )
    assert moved["orchestration"]["lifecycle_event_name"] == "crm.deal.updated"
    assert moved["orchestration"]["stage_lifecycle_event_name"] == "crm.deal.stage.changed"
    assert (
        kept["orchestration"]["stage_lifecycle_event_name"] is None
        and kept["deal"]["amount"] == 1500
    )
    [changed] = api.app.store.events.list("acme", name="crm.deal.stage.changed")
    [first, _] = api.app.store.events.list("acme", name="crm.deal.updated")[::-1]
    assert changed["causation_id"] == first["event_id"]
    assert changed["correlation_id"] == moved["orchestration"]["correlation_id"]


@pytest.mark.parametrize(("fields", "path"), [
    ({"amount": 1e15}, "/request/deal/amount"),
    ({"amount": -1}, "/request/deal/amount"),
    ({"stage": "negotiation"}, "/request/deal/stage"),
    ({"expected_close_date": "2026-13-01"}, ""),
    ({"currency": "XYZ"}, ""),
])  # fmt: skip
def test_bad_deal_is_refused(api: ApiWorld, fields: dict[str, Any], path: str) -> None:
    answer = create(api, "deal", **{"title": "Atacado", "stage": "new", **fields})
    assert answer.status_code == 400
    if path:
        assert path in {d["path"] for d in answer.json()["details"]}
    assert listed(api, "deal")["total"] == 0


def test_lists_filter_and_find_text_in_any_case(api: ApiWorld) -> None:
    made(api, "account", name="Padaria Boa Massa", owner_user_id="u-ana")
    made(
        api,
        "account",
        name="Açougue Central",
        legal_name="CENTRAL CARNES LTDA",
        owner_user_id="u-bia",
    )
    made(api, "account", name="Mercado 100%", owner_user_id="u-ana")
    assert [a["name"] for a in listed(api, "account", query="carnes")["items"]] == [
        "Açougue Central"
    ]
    assert [a["name"] for a in listed(api, "account", query="PADARIA")["items"]] == [
        "Padaria Boa Massa"
    ]
    assert [a["name"] for a in listed(api, "account", query="%")["items"]] == ["Mercado 100%"]
    assert listed(api, "account", owner_user_id="u-ana")["total"] == 2
    assert listed(api, "account", owner_user_id="u-ana", query="mercado")["total"] == 1
    assert api.get("/v1/crm/accounts", params={"status": "archived"}).status_code == 400


def test_lists_answer_pages_with_their_total(api: ApiWorld) -> None:
    for n in range(5):
        made(api, "contact", display_name=f"Contato {n}")
    page = listed(api, "contact", limit=2, offset=2)
    assert (page["tenant_id"], page["count"], page["total"]) == ("acme", 2, 5)
    assert [c["display_name"] for c in page["items"]] == ["Contato 2", "Contato 3"]
    assert listed(api, "contact", offset=10_000)["items"] == []


@pytest.mark.parametrize(("path", "params", "code"), [
    ("/v1/crm/accounts", {"limit": 0}, "invalid_limit"),
    ("/v1/crm/accounts", {"limit": 201}, "invalid_limit"),
    ("/v1/crm/deals", {"limit": -1}, "invalid_limit"),
    ("/v1/crm/tasks", {"limit": "many"}, "invalid_limit"),
    ("/v1/crm/activities", {"limit": 501}, "invalid_limit"),
    ("/v1/crm/views", {"offset": 10_001}, "invalid_offset"),
    ("/v1/crm/contacts", {"offset": -1}, "invalid_offset"),
    ("/v1/crm/activities", {"since": "yesterday"}, "validation_error"),
    ("/v1/crm/activities", {"since": "2026-02-30T00:00:00Z"}, "validation_error"),
])  # fmt: skip
def test_list_bounds_are_enforced(
    api: ApiWorld, path: str, params: dict[str, Any], code: str
) -> None:
    answer = api.get(path, params=params)
    assert answer.status_code == 400 and answer.json()["error"] == code


def test_list_limits_default_to_the_origins(api: ApiWorld) -> None:
    assert api.get("/v1/crm/activities", params={"limit": 500}).status_code == 200
    assert api.get("/v1/crm/accounts", params={"limit": 200}).status_code == 200


def test_activities_list_newest_first_by_kind_and_time(api: ApiWorld) -> None:
    deal = made(api, "deal", title="Atacado", stage="new")
    for kind, at in (("call", "2026-10-01T10:00:00Z"), ("note", "2026-10-02T10:00:00Z"),
                     ("call", "2026-10-03T10:00:00-03:00")):  # fmt: skip
        made(api, "activity", kind=kind, body=f"{kind} at {at}", occurred_at=at, deal_id=deal["deal_id"],
             author_user_id="u-ana")  # fmt: skip
    calls = listed(api, "activity", kind="call", deal_id=deal["deal_id"])
    recent = listed(api, "activity", since="2026-10-02T00:00:00Z")
    assert [a["occurred_at"][:13] for a in calls["items"]] == ["2026-10-03T13", "2026-10-01T10"]
    assert recent["total"] == 2
    [event] = api.app.store.events.list("acme", name="crm.activity.created", limit=1)
    assert event["payload"]["deal_id"] == deal["deal_id"]


def test_activity_with_an_impossible_time_is_refused(api: ApiWorld) -> None:
    answer = create(api, "activity", kind="note", body="x", occurred_at="2026-02-30T10:00:00Z")
    assert answer.status_code == 400 and "occurred_at" in answer.json()["message"]
    assert listed(api, "activity")["total"] == 0


def test_tasks_filter_by_assignee_status_and_priority(api: ApiWorld) -> None:
    contact = made(api, "contact", display_name="Carla")
    task = made(api, "task", title="Ligar para Carla", status="pending", priority="high",
                contact_id=contact["contact_id"], assignee_user_id="u-ana", due_at="2026-11-03T12:00:00Z")  # fmt: skip
    made(api, "task", title="Enviar proposta", status="done", assignee_user_id="u-ana")
    assert task["task_id"] and task["due_at"].startswith("2026-11-03T12:00:00")
    assert listed(api, "task", assignee_user_id="u-ana")["total"] == 2
    assert listed(api, "task", status="pending", priority="high")["items"] == [task]
    assert listed(api, "task", contact_id=contact["contact_id"])["items"] == [task]
    events = api.app.store.events.list("acme", name="crm.task.created")
    assert {(e["payload"]["task_id"], e["payload"]["status"]) for e in events} >= {
        (task["task_id"], "pending")
    }


def test_task_needs_its_status(api: ApiWorld) -> None:
    answer = create(api, "task", title="Ligar")
    assert (
        answer.status_code == 400 and answer.json()["details"][0]["path"] == "/request/task/status"
    )


def test_views_are_listed_by_module_scope_and_owner(api: ApiWorld) -> None:
    view = made(api, "view", name="Meus negócios", module="crm.deals", owner_user_id="u-ana", is_default=True,
                filters={"stage": ["proposal"]}, columns=["title", "amount"], sort={"field": "amount", "direction": "desc"})  # fmt: skip
    made(api, "view", name="Caixa de entrada", module="crm.inbox", scope="tenant", filters={})
    assert (view["scope"], view["columns"], view["sort"]) == (
        "private",
        ["title", "amount"],
        {"field": "amount", "direction": "desc"},
    )
    assert listed(api, "view", module="crm.deals")["items"] == [view]
    assert listed(api, "view", scope="tenant", owner_user_id="u-ana")["total"] == 0
    assert api.get("/v1/crm/views", params={"module": "crm.billing"}).status_code == 400


def test_view_needs_its_filters(api: ApiWorld) -> None:
    answer = create(api, "view", name="Meus", module="crm.deals")
    assert (
        answer.status_code == 400 and answer.json()["details"][0]["path"] == "/request/view/filters"
    )


@pytest.mark.parametrize("kind", list(PLURAL))
def test_another_tenants_lists_answer_as_unknown_tenant(api: ApiWorld, kind: str) -> None:
    named = api.get(f"/v1/crm/{PLURAL[kind]}", tenant="globex", params={"tenant_id": "acme"})
    nowhere = api.get(f"/v1/crm/{PLURAL[kind]}", tenant="globex", params={"tenant_id": "nope"})
    assert named.status_code == nowhere.status_code == 404 and named.json() == nowhere.json()


def test_records_of_one_tenant_are_not_listed_for_another(api: ApiWorld) -> None:
    account = made(api, "account", name="Padaria", owner_user_id="u-ana")
    made(api, "contact", display_name="Carla", account_id=account["account_id"])
    assert listed(api, "contact", account_id=account["account_id"])["total"] == 1
    theirs = ok(api, api.get("/v1/crm/contacts", tenant="globex", params={"account_id": account["account_id"]}),
                "crm_core.contact_list_response")  # fmt: skip
    assert (theirs["tenant_id"], theirs["total"]) == ("globex", 0)
