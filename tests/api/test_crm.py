"""/v1/crm leads, campaigns and follow-ups over HTTP: idempotent creates, the funnel and the
campaign state machine with their transition errors, stage history, lists, follow-ups sent by
the scheduler once due, and another tenant's ids answered as unknown ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from matrix.api.schemas import schema_uri
from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from matrix.modules import registry
from matrix.modules.crm import outbound
from matrix.modules.crm.outbound import RecordingTransport
from tests.api.conftest import ApiWorld, make_world

UNKNOWN = "00000000-0000-0000-0000-000000000000"
ANA = {"display_name": "Ana Souza", "phone_e164": "+5511999990000"}


@cache
def _catalog(root: Path) -> Catalog:
    return Catalog(root)


def ok(api: ApiWorld, answer: Any, contract: str) -> dict[str, Any]:
    """The body of a 200 answer, checked against the contract its route declares."""
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    problems = _catalog(api.app.settings.contracts_dir).problems(schema_uri(contract), body)
    assert [p.message for p in problems] == []
    return body


def new_lead(api: ApiWorld, tenant: str = "acme", **lead: Any) -> dict[str, Any]:
    answer = api.post(
        "/v1/crm/leads", {"request_id": "r-lead", "lead": {**ANA, **lead}}, tenant=tenant
    )
    lead_record: dict[str, Any] = ok(api, answer, "crm.lead_create_response")["response"]["lead"]
    return lead_record


def move(api: ApiWorld, lead_id: str, tenant: str = "acme", **changes: Any) -> Any:
    return api.patch(f"/v1/crm/leads/{lead_id}/stage", {"request_id": "r-move", "changes": changes},
                     tenant=tenant)  # fmt: skip


def new_campaign(api: ApiWorld, **campaign: Any) -> dict[str, Any]:
    body = {
        "request_id": "r-c",
        "campaign": {"name": "Natal", "message": "Feliz Natal!", **campaign},
    }
    record: dict[str, Any] = ok(api, api.post("/v1/crm/campaigns", body), "crm.campaign_create_response")[
        "response"]["campaign"]  # fmt: skip
    return record


# -- leads --------------------------------------------------------------------------------------


def test_create_lead_is_idempotent_by_its_phone(api: ApiWorld) -> None:
    first = api.post("/v1/crm/leads", {"request_id": "r-1", "lead": ANA})
    again = api.post(
        "/v1/crm/leads", {"request_id": "r-2", "lead": {**ANA, "display_name": "Other"}}
    )
    made = ok(api, first, "crm.lead_create_response")["response"]
    repeated = ok(api, again, "crm.lead_create_response")["response"]
    assert (made["status"], repeated["status"]) == ("created", "idempotent")
    assert made["orchestration"]["lifecycle_event_name"] == "crm.lead.created"
    assert repeated["orchestration"]["lifecycle_event_name"] is None
    assert repeated["lead"]["display_name"] == "Ana Souza"
    assert made["lead"]["external_key"] == "wa:+5511999990000" and made["lead"]["stage"] == "new"
    assert api.app.store.events.count("acme", name="crm.lead.created") == 1


def test_create_lead_may_start_in_a_later_stage(api: ApiWorld) -> None:
    lead = new_lead(api, stage="negotiation", external_key="crm-7", source_channel="web")
    assert (lead["stage"], lead["source_channel"]) == ("negotiation", "web")
    [event] = api.app.store.events.list("acme", name="crm.lead.created")
    assert event["payload"]["stage"] == "proposal"  # the contract's public stage


def test_bad_lead_names_every_field(api: ApiWorld) -> None:
    answer = api.post("/v1/crm/leads", {"request_id": "r-1", "lead": {
        "display_name": "A", "phone_e164": "123", "stage": "archived"}})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert {d["path"] for d in answer.json()["details"]} == {
        "/request/lead/display_name", "/request/lead/phone_e164", "/request/lead/stage"}  # fmt: skip
    assert ok(api, api.get("/v1/crm/leads"), "crm.lead_list_response")["total"] == 0


def test_lead_moves_are_kept_on_the_lead_and_in_its_history(api: ApiWorld) -> None:
    lead = new_lead(api)
    moved = ok(api, move(api, lead["lead_id"], to_stage="contacted", trigger="first_contact_attempt"),
               "crm.lead_stage_response")["response"]  # fmt: skip
    move(api, lead["lead_id"], to_stage="qualified", trigger="qualification_passed")
    assert moved["status"] == "updated" and moved["lead"]["stage"] == "contacted"
    assert moved["orchestration"]["lifecycle_event_name"] == "crm.lead.stage.changed"
    shown = ok(api, api.get(f"/v1/crm/leads/{lead['lead_id']}"), "crm.lead_get_response")["lead"]
    history = ok(
        api, api.get(f"/v1/crm/leads/{lead['lead_id']}/stage-history"), "crm.stage_history_response"
    )
    assert shown["stage"] == "qualified"
    assert [(h["from_stage"], h["to_stage"]) for h in shown["stage_history"]] == [
        ("new", "contacted"), ("contacted", "qualified")]  # fmt: skip
    assert history["items"] == shown["stage_history"] and history["count"] == 2


@pytest.mark.parametrize(("stage", "changes", "code", "path"), [
    ("new", {"to_stage": "contacted"}, "missing_trigger (expected_trigger: first_contact_attempt)", "trigger"),
    ("new", {"to_stage": "contacted", "trigger": "called"}, "trigger_mismatch (expected_trigger: first_contact_attempt)", "trigger"),
    ("new", {"to_stage": "won", "trigger": "deal_closed"}, "transition_not_allowed", "to_stage"),
    ("lost", {"to_stage": "nurturing", "trigger": "reopen_requested"},
     "reason_code_required (expected_trigger: reopen_requested)", "reason_code"),
])  # fmt: skip
def test_refused_lead_move_answers_transition_error(
    api: ApiWorld, stage: str, changes: dict[str, str], code: str, path: str
) -> None:
    lead = new_lead(api, stage=stage)
    answer = move(api, lead["lead_id"], **changes)
    assert answer.status_code == 400
    assert answer.json()["error"] == "transition_error"
    assert answer.json()["details"] == [{"path": f"/request/changes/{path}", "problem": code}]
    assert (
        ok(api, api.get(f"/v1/crm/leads/{lead['lead_id']}"), "crm.lead_get_response")["lead"][
            "stage"
        ]
        == stage
    )


def test_same_stage_changes_only_metadata(api: ApiWorld) -> None:
    lead = new_lead(api)
    still = ok(api, move(api, lead["lead_id"], to_stage="new"), "crm.lead_stage_response")[
        "response"
    ]
    noted = ok(api, move(api, lead["lead_id"], to_stage="new", metadata={"tag": "vip"}),
               "crm.lead_stage_response")["response"]  # fmt: skip
    assert (still["status"], still["orchestration"]["lifecycle_event_name"]) == ("idempotent", None)
    assert (noted["status"], noted["orchestration"]["lifecycle_event_name"]) == ("updated", None)
    shown = ok(api, api.get(f"/v1/crm/leads/{lead['lead_id']}"), "crm.lead_get_response")["lead"]
    assert shown["metadata"] == {"tag": "vip"} and shown["stage_history"] == []


@pytest.mark.parametrize("route", ["get", "history", "move"])
def test_another_tenants_lead_answers_as_unknown(api: ApiWorld, route: str) -> None:
    lead = new_lead(api)

    def ask(lead_id: str) -> Any:
        match route:
            case "get":
                return api.get(f"/v1/crm/leads/{lead_id}", tenant="globex")
            case "history":
                return api.get(f"/v1/crm/leads/{lead_id}/stage-history", tenant="globex")
            case _:
                return move(
                    api,
                    lead_id,
                    tenant="globex",
                    to_stage="contacted",
                    trigger="first_contact_attempt",
                )

    theirs, unknown = ask(lead["lead_id"]), ask(UNKNOWN)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == {
        **unknown.json(),
        "message": unknown.json()["message"].replace(UNKNOWN, lead["lead_id"]),
    }
    assert (
        ok(api, api.get(f"/v1/crm/leads/{lead['lead_id']}"), "crm.lead_get_response")["lead"][
            "stage"
        ]
        == "new"
    )


def test_list_leads_filters_by_stage_and_pages(api: ApiWorld) -> None:
    for n in range(5):
        new_lead(
            api,
            display_name=f"Lead {n}",
            phone_e164=f"+55119999900{n:02d}",
            stage="new" if n < 3 else "won",
        )
    page = ok(
        api,
        api.get("/v1/crm/leads", params={"stage": "new", "limit": 2, "offset": 1}),
        "crm.lead_list_response",
    )
    assert (page["count"], page["total"], page["tenant_id"]) == (2, 3, "acme")
    assert [lead["display_name"] for lead in page["items"]] == ["Lead 1", "Lead 2"]
    assert api.get("/v1/crm/leads", params={"limit": 0}).json()["error"] == "invalid_limit"
    assert api.get("/v1/crm/leads", params={"offset": -1}).json()["error"] == "invalid_offset"
    assert api.get("/v1/crm/leads", params={"stage": "archived"}).status_code == 400


def test_another_tenants_lead_list_answers_as_unknown_tenant(api: ApiWorld) -> None:
    new_lead(api)
    named = api.get("/v1/crm/leads", tenant="globex", params={"tenant_id": "acme"})
    nowhere = api.get("/v1/crm/leads", tenant="globex", params={"tenant_id": "nope"})
    assert named.status_code == nowhere.status_code == 404 and named.json() == nowhere.json()
    assert (
        ok(api, api.get("/v1/crm/leads", tenant="globex"), "crm.lead_list_response")["items"] == []
    )


def test_lead_create_for_another_tenant_answers_as_unknown_tenant(api: ApiWorld) -> None:
    named = api.post(
        "/v1/crm/leads", {"request_id": "r-1", "tenant_id": "acme", "lead": ANA}, tenant="globex"
    )
    nowhere = api.post(
        "/v1/crm/leads", {"request_id": "r-1", "tenant_id": "nope", "lead": ANA}, tenant="globex"
    )
    assert named.status_code == nowhere.status_code == 404 and named.json() == nowhere.json()
    assert ok(api, api.get("/v1/crm/leads"), "crm.lead_list_response")["total"] == 0


# -- campaigns ----------------------------------------------------------------------------------


def test_create_campaign_is_idempotent_by_external_key(api: ApiWorld) -> None:
    first = new_campaign(api, external_key="natal-2026", audience_segment="leads:qualified",
                         scheduled_at="2026-12-20T09:00:00-03:00")  # fmt: skip
    again = api.post("/v1/crm/campaigns", {"request_id": "r-2", "campaign": {
        "name": "Other", "message": "Other text", "external_key": "natal-2026"}})  # fmt: skip
    repeated = ok(api, again, "crm.campaign_create_response")["response"]
    assert (first["state"], first["audience_segment"]) == ("draft", "leads:qualified")
    assert first["scheduled_at"].startswith("2026-12-20T12:00:00")
    assert repeated["status"] == "idempotent" and repeated["campaign"]["name"] == "Natal"
    assert repeated["orchestration"]["lifecycle_event_name"] is None


def test_campaign_moves_by_its_state_machine(api: ApiWorld) -> None:
    campaign = new_campaign(api)
    path = f"/v1/crm/campaigns/{campaign['campaign_id']}/state"
    changes = {"to_state": "scheduled", "trigger": "schedule_campaign"}
    moved = ok(
        api,
        api.patch(path, {"request_id": "r-1", "changes": changes}),
        "crm.campaign_state_response",
    )
    again = ok(
        api,
        api.patch(path, {"request_id": "r-2", "changes": changes}),
        "crm.campaign_state_response",
    )
    assert (moved["response"]["status"], moved["response"]["campaign"]["state"]) == (
        "updated",
        "scheduled",
    )
    assert (
        moved["response"]["orchestration"]["lifecycle_event_name"] == "crm.campaign.state.changed"
    )
    assert (again["response"]["status"], again["response"]["orchestration"]["lifecycle_event_name"]) == (
        "idempotent", None)  # fmt: skip
    assert api.app.store.events.count("acme", name="crm.campaign.state.changed") == 1


@pytest.mark.parametrize(("changes", "detail"), [
    ({"to_state": "running", "trigger": "start_window_open"},
     {"path": "/request/changes/to_state", "problem": "transition_not_allowed"}),
    ({"to_state": "scheduled", "trigger": "start_now"},
     {"path": "/request/changes/trigger", "problem": "trigger_mismatch (expected_trigger: schedule_campaign)"}),
])  # fmt: skip
def test_refused_campaign_move_answers_transition_error(
    api: ApiWorld, changes: dict[str, str], detail: dict[str, str]
) -> None:
    campaign = new_campaign(api)
    answer = api.patch(
        f"/v1/crm/campaigns/{campaign['campaign_id']}/state",
        {"request_id": "r-1", "changes": changes},
    )
    assert answer.status_code == 400
    assert (answer.json()["error"], answer.json()["details"]) == ("transition_error", [detail])


def test_another_tenants_campaign_answers_as_unknown(api: ApiWorld) -> None:
    campaign = new_campaign(api)
    body = {
        "request_id": "r-1",
        "changes": {"to_state": "scheduled", "trigger": "schedule_campaign"},
    }
    theirs = api.patch(f"/v1/crm/campaigns/{campaign['campaign_id']}/state", body, tenant="globex")
    unknown = api.patch(f"/v1/crm/campaigns/{UNKNOWN}/state", body, tenant="globex")
    assert theirs.status_code == unknown.status_code == 404
    assert (
        theirs.json()["message"].replace(campaign["campaign_id"], UNKNOWN)
        == unknown.json()["message"]
    )
    listed = ok(api, api.get("/v1/crm/campaigns"), "crm.campaign_list_response")
    assert [c["state"] for c in listed["items"]] == ["draft"]


def test_list_campaigns_filters_by_state(api: ApiWorld) -> None:
    campaign = new_campaign(api, external_key="a")
    new_campaign(api, external_key="b")
    api.patch(f"/v1/crm/campaigns/{campaign['campaign_id']}/state",
              {"request_id": "r-1", "changes": {"to_state": "scheduled", "trigger": "schedule_campaign"}})  # fmt: skip
    listed = ok(
        api,
        api.get("/v1/crm/campaigns", params={"state": "scheduled"}),
        "crm.campaign_list_response",
    )
    assert [c["campaign_id"] for c in listed["items"]] == [campaign["campaign_id"]] and listed[
        "total"
    ] == 1
    assert api.get("/v1/crm/campaigns", params={"state": "sent"}).status_code == 400


# -- follow-ups ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[tuple[ApiWorld, FrozenClock]]:
    """The API on a frozen clock, so a test decides when a follow-up is due."""
    clock = FrozenClock(NOW)
    for world in make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", clock=clock):
        yield world, clock


def scheduler_round(api: ApiWorld, clock: FrozenClock, transport: RecordingTransport) -> None:
    """What the scheduler's outbound job does on one round."""
    outbound.dispatch_due(api.app.store, transport, clock, on_outcome=registry.outcomes())


def followups(api: ApiWorld, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api, api.get("/v1/crm/followups", params=params),
                                     "crm.followup_list_response")["items"]  # fmt: skip
    return items


def test_followup_is_sent_by_the_scheduler_once_due(timed: tuple[ApiWorld, FrozenClock]) -> None:
    api, clock = timed
    lead = new_lead(api)
    at = (NOW + timedelta(hours=2)).isoformat()
    made = ok(api, api.post("/v1/crm/followups", {"request_id": "r-1", "followup": {
        "lead_id": lead["lead_id"], "message": "Oi Ana, tudo bem?", "schedule_at": at}}),
        "crm.followup_create_response")["response"]  # fmt: skip
    transport = RecordingTransport()
    scheduler_round(api, clock, transport)
    assert made["status"] == "created" and made["followup"]["phone_e164"] == ANA["phone_e164"]
    assert made["orchestration"]["lifecycle_event_name"] == "crm.followup.scheduled"
    assert transport.sent == [] and [f["status"] for f in followups(api)] == ["pending"]
    clock.advance(timedelta(hours=2))
    scheduler_round(api, clock, transport)
    [sent] = followups(api, status="sent")
    assert [m["text"] for m in transport.sent] == ["Oi Ana, tudo bem?"]
    assert sent["provider_message_id"] == transport.sent[0]["provider_message_id"]
    assert api.app.store.events.count("acme", name="crm.followup.sent") == 1
    assert followups(api, status="pending") == []


def test_followup_fails_once_the_queue_gives_up(timed: tuple[ApiWorld, FrozenClock]) -> None:
    api, clock = timed
    api.post("/v1/crm/followups", {"request_id": "r-1", "followup": {
        "phone_e164": "+5511988887777", "message": "Oi!"}})  # fmt: skip
    scheduler_round(api, clock, RecordingTransport(failures=[("NUMBER_BLOCKED", False)]))
    [failed] = followups(api, status="failed")
    assert (failed["last_error_code"], failed["provider_message_id"]) == ("NUMBER_BLOCKED", None)
    assert api.app.store.events.count("acme", name="crm.followup.failed") == 1


def test_create_followup_is_idempotent_by_external_key(timed: tuple[ApiWorld, FrozenClock]) -> None:
    api, clock = timed
    body = {
        "request_id": "r-1",
        "followup": {"phone_e164": "+5511988887777", "message": "Oi!", "external_key": "f-1"},
    }
    first = ok(api, api.post("/v1/crm/followups", body), "crm.followup_create_response")["response"]
    again = ok(api, api.post("/v1/crm/followups", body), "crm.followup_create_response")["response"]
    transport = RecordingTransport()
    scheduler_round(api, clock, transport)
    assert (first["status"], again["status"]) == ("created", "idempotent")
    assert again["followup"]["followup_id"] == first["followup"]["followup_id"]
    assert len(transport.sent) == 1 and len(followups(api)) == 1


@pytest.mark.parametrize("field", ["lead_id", "customer_id", "campaign_id"])
def test_followup_for_another_tenants_record_answers_as_unknown(api: ApiWorld, field: str) -> None:
    lead = new_lead(api)
    customer = api.post(
        "/v1/customers", {"request_id": "r-c", "customer": {"display_name": "Ana"}}
    ).json()
    theirs = {"lead_id": lead["lead_id"], "customer_id": customer["response"]["customer"]["customer_id"],
              "campaign_id": new_campaign(api)["campaign_id"]}[field]  # fmt: skip

    def ask(record_id: str) -> Any:
        return api.post("/v1/crm/followups", {"request_id": "r-1", "followup": {
            field: record_id, "phone_e164": "+5511988887777", "message": "Oi!"}}, tenant="globex")  # fmt: skip

    answer, unknown = ask(theirs), ask(UNKNOWN)
    assert answer.status_code == unknown.status_code == 404
    assert answer.json()["message"].replace(theirs, UNKNOWN) == unknown.json()["message"]
    assert (
        ok(api, api.get("/v1/crm/followups", tenant="globex"), "crm.followup_list_response")[
            "total"
        ]
        == 0
    )


def test_followup_without_a_number_is_refused(api: ApiWorld) -> None:
    customer = api.post(
        "/v1/customers", {"request_id": "r-c", "customer": {"display_name": "Sem Fone"}}
    ).json()
    answer = api.post("/v1/crm/followups", {"request_id": "r-1", "followup": {
        "customer_id": customer["response"]["customer"]["customer_id"], "message": "Oi!"}})  # fmt: skip
    assert answer.status_code == 400 and "phone_e164" in answer.json()["message"]
    assert api.get("/v1/crm/followups", params={"status": "queued"}).status_code == 400


def test_tenant_id_in_any_script_answers_as_unknown_tenant(api: ApiWorld) -> None:
    accented = api.get("/v1/crm/leads", params={"tenant_id": "ácme"})
    nowhere = api.get("/v1/crm/leads", params={"tenant_id": "nope"})
    assert accented.status_code == nowhere.status_code == 404 and accented.json() == nowhere.json()
