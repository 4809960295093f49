"""/v1/agenda over HTTP: appointments booked (idempotent by key), changed and listed; reminders
scheduled and left for the scheduler, listed by time; another tenant's ids answer as unknown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from matrix.api.schemas import schema_uri
from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from tests.api.conftest import ApiWorld, make_world

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
UNKNOWN = "00000000-0000-0000-0000-000000000000"
PHONE = "+5511999990000"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def api(tmp_path: Path, clock: FrozenClock) -> Iterator[ApiWorld]:
    """The API on a fresh store whose clock stands still until a test moves it."""
    yield from make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", clock=clock)


def _at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def _valid(api: ApiWorld, name: str, answer: Any) -> dict[str, Any]:
    """The answer's body, after checking it is a 200 that matches its declared schema."""
    assert answer.status_code == 200, answer.json()
    body: dict[str, Any] = answer.json()
    Catalog(api.app.settings.contracts_dir).validate(schema_uri(name), body)
    return body


def _book(api: ApiWorld, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    appointment = {"title": "Consulta", "start_at": _at(48), "end_at": _at(49), **fields}
    answer = api.post(
        "/v1/agenda/appointments", {"request_id": "r-1", "appointment": appointment}, tenant
    )
    return _valid(api, "agenda.appointment_response", answer)["response"]["appointment"]


def _remind(api: ApiWorld, appointment_id: str, tenant: str = "acme", **fields: Any) -> Any:
    reminder = {"appointment_id": appointment_id, "schedule_at": _at(24), "channel": "whatsapp",
                "recipient": {"phone_e164": PHONE}, **fields}  # fmt: skip
    return api.post("/v1/agenda/reminders", {"request_id": "r-2", "reminder": reminder}, tenant)


def test_create_appointment_is_idempotent_by_external_key(api: ApiWorld) -> None:
    body = {"request_id": "r-1", "appointment": {"external_key": "cal-7", "title": "Consulta", "start_at": _at(48),
                                                 "end_at": _at(49), "metadata": {"room": "2"}}}  # fmt: skip
    first = _valid(api, "agenda.appointment_response", api.post("/v1/agenda/appointments", body))
    body["appointment"]["title"] = "Something else"
    again = _valid(api, "agenda.appointment_response", api.post("/v1/agenda/appointments", body))
    assert first["response"]["status"] == "created" and again["response"]["status"] == "idempotent"
    assert again["response"]["appointment"] == first["response"]["appointment"]
    assert first["response"]["appointment"]["metadata"] == {"room": "2"}
    assert api.get("/v1/agenda/appointments").json()["count"] == 1
    assert api.app.store.events.count("acme") == 0


def test_appointment_ending_before_it_starts_is_a_400(api: ApiWorld) -> None:
    answer = api.post("/v1/agenda/appointments", {"request_id": "r-1", "appointment": {
        "title": "Consulta", "start_at": _at(49), "end_at": _at(48)}})  # fmt: skip
    assert answer.status_code == 400 and "before start_at" in answer.json()["message"]
    assert api.get("/v1/agenda/appointments").json()["count"] == 0


def test_bad_appointment_names_every_field(api: ApiWorld) -> None:
    answer = api.post("/v1/agenda/appointments", {"request_id": "r-1", "appointment": {
        "title": "C", "start_at": "tomorrow", "end_at": _at(49), "colour": "red"}})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    paths = {d["path"] for d in answer.json()["details"]}
    assert paths == {
        "/request/appointment/title",
        "/request/appointment/start_at",
        "/request/appointment/colour",
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_at": "2026-02-30T10:00:00Z"}, "not a time"),
        ({"timezone": "Mars/Olympus"}, "not a time zone"),
        (
            {"start_at": "0001-01-01T00:00:00+23:59", "end_at": "0001-01-02T00:00:00Z"},
            "out of range",
        ),
    ],
)
def test_appointment_the_service_refuses_is_a_400(
    api: ApiWorld, fields: dict[str, str], message: str
) -> None:
    appointment = {"title": "Consulta", "start_at": _at(48), "end_at": _at(49), **fields}
    answer = api.post("/v1/agenda/appointments", {"request_id": "r-1", "appointment": appointment})
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_appointment_with_an_unknown_customer_is_not_found(api: ApiWorld) -> None:
    answer = api.post("/v1/agenda/appointments", {"request_id": "r-1", "appointment": {
        "title": "Consulta", "start_at": _at(48), "end_at": _at(49), "customer_id": UNKNOWN}})  # fmt: skip
    assert answer.status_code == 404 and answer.json()["error"] == "customer_not_found"


def test_update_appointment_changes_its_fields(api: ApiWorld) -> None:
    appointment = _book(api)
    answer = api.patch(f"/v1/agenda/appointments/{appointment['appointment_id']}", {"request_id": "r-3", "changes": {
        "title": "Retorno", "status": "confirmed", "end_at": _at(50)}})  # fmt: skip
    changed = _valid(api, "agenda.appointment_response", answer)["response"]
    assert changed["status"] == "updated"
    assert (changed["appointment"]["title"], changed["appointment"]["status"]) == (
        "Retorno",
        "confirmed",
    )
    [listed] = api.get("/v1/agenda/appointments").json()["items"]
    assert listed["title"] == "Retorno"


def test_update_appointment_needs_a_change_and_keeps_end_after_start(api: ApiWorld) -> None:
    path = f"/v1/agenda/appointments/{_book(api)['appointment_id']}"
    empty = api.patch(path, {"request_id": "r-3", "changes": {}})
    assert empty.status_code == 400 and empty.json()["details"][0]["path"] == "/request/changes"
    backwards = api.patch(path, {"request_id": "r-3", "changes": {"start_at": _at(72)}})
    assert backwards.status_code == 400 and "before start_at" in backwards.json()["message"]


def test_update_unknown_appointment_is_not_found(api: ApiWorld) -> None:
    answer = api.patch(
        f"/v1/agenda/appointments/{UNKNOWN}", {"request_id": "r-3", "changes": {"title": "Retorno"}}
    )
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_canceled_appointment_takes_no_changes_or_reminders(api: ApiWorld) -> None:
    appointment = _book(api)
    path = f"/v1/agenda/appointments/{appointment['appointment_id']}"
    reminder = _remind(api, appointment["appointment_id"]).json()["response"]["reminder"]
    assert (
        api.patch(path, {"request_id": "r-3", "changes": {"status": "canceled"}}).status_code == 200
    )
    [listed] = api.get("/v1/agenda/reminders").json()["items"]
    assert (listed["reminder_id"], listed["status"]) == (reminder["reminder_id"], "canceled")
    moved = api.patch(
        path, {"request_id": "r-4", "changes": {"start_at": _at(10), "end_at": _at(11)}}
    )
    assert moved.status_code == 409 and moved.json()["error"] == "appointment_closed"
    again = _remind(api, appointment["appointment_id"])
    assert again.status_code == 409 and again.json()["error"] == "appointment_closed"
    noted = api.patch(
        path, {"request_id": "r-5", "changes": {"description": "The customer called off."}}
    )
    assert noted.status_code == 200


def test_reminder_is_scheduled_and_sent_only_when_due(api: ApiWorld, clock: FrozenClock) -> None:
    appointment = _book(api)
    body = _valid(api, "agenda.reminder_response", _remind(api, appointment["appointment_id"]))[
        "response"
    ]
    reminder = body["reminder"]
    assert (body["status"], reminder["status"], reminder["dispatch_command_id"]) == (
        "created",
        "scheduled",
        None,
    )
    assert reminder["recipient"] == {"phone_e164": PHONE, "contact_id": None}
    assert body["orchestration"]["lifecycle_events"] == ["agenda.reminder.scheduled"]
    api.app.scheduler().tick(force=True)
    assert api.get("/v1/agenda/reminders").json()["items"][0]["status"] == "scheduled"
    clock.advance(timedelta(hours=25))
    api.app.scheduler().tick(force=True)
    [due] = api.get("/v1/agenda/reminders").json()["items"]
    assert due["status"] in ("dispatch_requested", "sent") and due["dispatch_command_id"]


def test_reminder_is_idempotent_by_external_key(api: ApiWorld) -> None:
    appointment_id = _book(api)["appointment_id"]
    first = _remind(api, appointment_id, external_key="rem-1").json()["response"]
    again = _valid(api, "agenda.reminder_response", _remind(api, appointment_id, external_key="rem-1",
                                                            message="Other text"))["response"]  # fmt: skip
    assert again["status"] == "idempotent" and again["reminder"] == first["reminder"]
    assert again["orchestration"]["lifecycle_event_name"] is None
    assert again["orchestration"]["lifecycle_events"] == []
    assert api.get("/v1/agenda/reminders").json()["count"] == 1


def test_reminder_of_an_unknown_appointment_is_not_found(api: ApiWorld) -> None:
    answer = _remind(api, UNKNOWN)
    assert answer.status_code == 404 and answer.json()["error"] == "appointment_not_found"


def test_whatsapp_reminder_without_a_number_is_a_400(api: ApiWorld) -> None:
    answer = _remind(api, _book(api)["appointment_id"], recipient={})
    assert answer.status_code == 400 and "phone_e164" in answer.json()["message"]
    bad = _remind(api, _book(api)["appointment_id"], recipient={"phone_e164": "11 99999-0000"})
    assert (
        bad.status_code == 400
        and bad.json()["details"][0]["path"] == "/request/reminder/recipient/phone_e164"
    )


def test_reminders_are_listed_by_schedule_time(api: ApiWorld) -> None:
    appointment_id = _book(api)["appointment_id"]
    for hours in (30, 10, 20):
        _remind(api, appointment_id, schedule_at=_at(hours), channel="ui-chat", recipient={})
    body = _valid(api, "agenda.reminder_list_response", api.get("/v1/agenda/reminders"))
    times = [item["schedule_at"] for item in body["items"]]
    assert body["count"] == body["total"] == 3 and times == sorted(times)
    page = api.get(
        "/v1/agenda/reminders", params={"limit": 1, "offset": 1, "status": "scheduled"}
    ).json()
    assert (page["count"], page["total"], page["items"][0]["schedule_at"]) == (1, 3, times[1])


def test_appointments_list_pages_filters_and_checks_its_parameters(api: ApiWorld) -> None:
    first, second = _book(api, start_at=_at(5), end_at=_at(6)), _book(api)
    api.patch(f"/v1/agenda/appointments/{second['appointment_id']}", {"request_id": "r-3",
                                                                      "changes": {"status": "confirmed"}})  # fmt: skip
    body = _valid(
        api,
        "agenda.appointment_list_response",
        api.get("/v1/agenda/appointments", params={"limit": 1}),
    )
    assert (body["count"], body["total"], body["items"][0]["appointment_id"]) == (
        1,
        2,
        first["appointment_id"],
    )
    confirmed = api.get("/v1/agenda/appointments", params={"status": "confirmed"}).json()
    assert [a["appointment_id"] for a in confirmed["items"]] == [second["appointment_id"]]
    assert (
        api.get("/v1/agenda/appointments", params={"limit": 0}).json()["error"] == "invalid_limit"
    )
    assert api.get("/v1/agenda/appointments", params={"status": "lost"}).status_code == 400


def test_another_tenants_appointment_answers_as_unknown(api: ApiWorld) -> None:
    appointment = _book(api)
    theirs = f"/v1/agenda/appointments/{appointment['appointment_id']}"
    change = {"request_id": "r-3", "changes": {"title": "Mine now"}}
    answers = [
        api.patch(theirs, change, "globex"),
        api.patch(f"/v1/agenda/appointments/{UNKNOWN}", change, "globex"),
    ]
    assert [a.status_code for a in answers] == [404, 404] and answers[0].json() == answers[1].json()
    reminders = [
        _remind(api, appointment["appointment_id"], "globex"),
        _remind(api, UNKNOWN, "globex"),
    ]
    assert [a.status_code for a in reminders] == [404, 404] and reminders[0].json() == reminders[
        1
    ].json()
    assert api.get("/v1/agenda/appointments", "globex").json()["items"] == []
    assert api.get("/v1/agenda/reminders", "globex").json()["items"] == []
    assert api.get("/v1/agenda/appointments").json()["items"][0]["title"] == "Consulta"
    named = api.post("/v1/agenda/appointments", {"request_id": "r-1", "tenant_id": "acme", "appointment": {
        "title": "Consulta", "start_at": _at(48), "end_at": _at(49)}}, "globex")  # fmt: skip
    listed = api.get("/v1/agenda/reminders", "globex", params={"tenant_id": "acme"})
    nowhere = api.get("/v1/agenda/reminders", "globex", params={"tenant_id": "nope"})
    assert named.status_code == listed.status_code == nowhere.status_code == 404
    assert named.json() == listed.json() == nowhere.json()


def test_any_text_as_tenant_id_answers_as_an_unknown_tenant(api: ApiWorld) -> None:
    answers = [
        api.get("/v1/agenda/reminders", params={"tenant_id": name})
        for name in ("é", "nope", "globex")
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert answers[0].json() == answers[1].json() == answers[2].json()


def test_body_nested_too_deep_is_a_400(api: ApiWorld) -> None:
    deep = b'{"request":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    answer = api.client.post("/v1/agenda/appointments", content=deep,
                             headers={**api.headers(), "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_json"
