"""/v1/owner-concierge over HTTP: runtime config, audio, the interaction, its confirmations, and the
trace and task queue that show what they did."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from matrix import policy
from matrix.api.schemas import schema_uri
from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.testing.openai_server import Behavior, OpenAIServer
from tests.api.conftest import ApiWorld, make_world

BASE = "/v1/owner-concierge"
KEY = "sk-acme-owner-0123456789SECRET"
WRITE_OFF = "Write off Pedro Alves's debt"


def _id() -> str:
    return str(uuid.uuid4())


def _valid(api: ApiWorld, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` after checking it against the response contract ``name``."""
    problems = Catalog(api.app.settings.contracts_dir).problems(schema_uri(name), body)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in problems] == []
    return body


def _say(api: ApiWorld, text: str, tenant: str = "acme", **request: Any) -> Any:
    body = {"request_id": _id(), "session_id": _id(), "operation": "send_message",
            "channel": "ui-chat", "payload": {"text": text}, **request}  # fmt: skip
    return api.post(f"{BASE}/interaction", body, tenant=tenant)


def _resolve(api: ApiWorld, confirmation_id: str, decision: str, tenant: str = "acme") -> Any:
    return api.post(f"{BASE}/interaction-confirmations", {
        "request_id": _id(), "session_id": _id(), "confirmation_id": confirmation_id,
        "decision": decision}, tenant=tenant)  # fmt: skip


def _configure(api: ApiWorld, config: dict[str, Any], tenant: str = "acme") -> Any:
    """Save ``config`` for ``tenant`` with the admin token (which may set openai.base_url)."""
    answer = api.post(f"{BASE}/runtime-config", {"request_id": "cfg", "tenant_id": tenant,
                                                "config": config}, tenant="admin")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    return answer


def _trace(api: ApiWorld, correlation_id: str, tenant: str = "acme") -> dict[str, Any]:
    answer = api.get("/v1/orchestration/trace", tenant=tenant,
                     params={"correlation_id": correlation_id})  # fmt: skip
    assert answer.status_code == 200
    return _valid(api, "orchestration.trace_response", answer.json())


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
def timed_api(tmp_path: Path, frozen: FrozenClock) -> Iterator[ApiWorld]:
    """The API on a clock the test moves."""
    yield from make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", clock=frozen)


@pytest.fixture
def any_api(backend_url: str) -> Iterator[ApiWorld]:
    """The API on each backend (DuckDB and a throwaway PostgreSQL)."""
    yield from make_world(backend_url)


@pytest.fixture
def keyed_api(api: ApiWorld, openai_server: OpenAIServer) -> ApiWorld:
    """acme with its own OpenAI key, served by the local OpenAI-compatible server."""
    _configure(api, {"openai": {"api_key": KEY, "base_url": openai_server.base_url}})
    return api


# -- runtime config --------------------------------------------------------------------------


def test_runtime_config_has_defaults_with_confirmations_on(api: ApiWorld) -> None:
    answer = api.get(f"{BASE}/runtime-config")
    body = _valid(api, "owner.runtime_config_summary", answer.json())
    assert body["tenant_id"] == "acme" and body["updated_at"] is None
    assert body["execution"]["confirmations_enabled"] is True
    assert body["openai"]["api_key_configured"] is False


def test_runtime_config_never_answers_a_secret(api: ApiWorld) -> None:
    saved = api.post(f"{BASE}/runtime-config", {"request_id": "r-1", "config": {
        "openai": {"api_key": KEY},
        "integrations": {"crm_evolution": {"api_key": "evo-SECRET-key", "webhook_secret": "hook-SECRET"}},
    }})  # fmt: skip
    body = _valid(api, "owner.runtime_config_response", saved.json())["response"]
    read = api.get(f"{BASE}/runtime-config")
    assert body["status"] == "accepted" and body["request_id"] == "r-1"
    assert body["openai"]["api_key_configured"] is True
    assert body["runtime"]["owner_response_mode"] == "openai"
    assert body["integrations"]["crm_evolution"]["api_key"] == "(configured)"
    assert "SECRET" not in saved.text and "SECRET" not in read.text


def test_runtime_config_keeps_what_an_update_leaves_out(api: ApiWorld) -> None:
    api.post(f"{BASE}/runtime-config", {"request_id": "r-1", "config": {
        "personas": {"owner_concierge_prompt": "  Be formal.  "}}})  # fmt: skip
    api.post(f"{BASE}/runtime-config", {"request_id": "r-2", "config": {
        "execution": {"confirmations_enabled": False}}})  # fmt: skip
    body = api.get(f"{BASE}/runtime-config").json()
    assert body["personas"]["owner_concierge_prompt"] == "Be formal."
    assert body["execution"]["confirmations_enabled"] is False
    assert body["updated_at"] is not None


def test_runtime_config_takes_the_shipped_rule_files_as_a_tenant_override(api: ApiWorld) -> None:
    data = Path(policy.__file__).parent / "data"
    rules = {"routing": json.loads((data / "task-routing.json").read_text(encoding="utf-8")),
             "execution": json.loads((data / "execution-policy.json").read_text(encoding="utf-8"))}  # fmt: skip
    saved = api.post(f"{BASE}/runtime-config", {"request_id": "r-1", "config": {"policy": rules}})
    assert saved.json()["response"]["policy"] == {"routing": "tenant", "execution": "tenant"}
    broken = {"execution": {**rules["execution"], "rules": rules["execution"]["rules"] * 2}}
    refused = api.post(
        f"{BASE}/runtime-config", {"request_id": "r-2", "config": {"policy": broken}}
    )
    assert refused.status_code == 400 and "duplicate rule id" in refused.json()["message"]
    assert {d["path"] for d in refused.json()["details"]} == {"/request/config/policy/execution"}


def test_runtime_config_refusal_names_each_field(api: ApiWorld) -> None:
    answer = api.post(f"{BASE}/runtime-config", {"request_id": "r-1", "config": {
        "openai": {"modle": "x"}, "execution": {"confirmation_ttl_seconds": 0}}})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    paths = {d["path"] for d in answer.json()["details"]}
    assert paths == {
        "/request/config/openai/modle",
        "/request/config/execution/confirmation_ttl_seconds",
    }


def test_runtime_config_base_url_needs_an_admin_token(api: ApiWorld) -> None:
    config = {"openai": {"base_url": "http://127.0.0.1:9/v1"}}
    refused = api.post(f"{BASE}/runtime-config", {"request_id": "r-1", "config": config})
    assert refused.status_code == 403 and refused.json()["error"] == "admin_required"
    assert api.get(f"{BASE}/runtime-config").json()["openai"]["base_url"] is None
    assert (
        _configure(api, config).json()["response"]["openai"]["base_url"] == "http://127.0.0.1:9/v1"
    )


def test_runtime_config_of_another_tenant_answers_as_unknown(api: ApiWorld) -> None:
    theirs = api.get(f"{BASE}/runtime-config", params={"tenant_id": "globex"})
    nowhere = api.get(f"{BASE}/runtime-config", params={"tenant_id": "nope"})
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == nowhere.json()
    wrote = api.post(f"{BASE}/runtime-config", {"request_id": "r", "tenant_id": "globex",
                                               "config": {"brand": {"palette": "ocean"}}})  # fmt: skip
    assert wrote.status_code == 404 and wrote.json() == nowhere.json()
    assert api.get(f"{BASE}/runtime-config", tenant="globex").json()["updated_at"] is None


# -- audio -----------------------------------------------------------------------------------

AUDIO = base64.b64encode(b"\x1aE\xdf\xa3 a short recording").decode()


def test_transcription_without_a_key_is_not_configured(api: ApiWorld) -> None:
    answer = api.post(f"{BASE}/audio/transcribe", {"request_id": "t-1", "audio_base64": AUDIO})
    assert answer.status_code == 400 and answer.json()["error"] == "openai_not_configured"


def test_transcription_of_bad_base64_is_refused(keyed_api: ApiWorld) -> None:
    answer = keyed_api.post(
        f"{BASE}/audio/transcribe", {"request_id": "t-1", "audio_base64": "@@not base64@@"}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_audio_base64"
    assert answer.json()["details"][0]["path"] == "/request/audio_base64"


def test_transcription_answers_the_text(keyed_api: ApiWorld) -> None:
    answer = keyed_api.post(f"{BASE}/audio/transcribe", {"request_id": "t-1", "audio_base64": AUDIO,
                                                       "language": "pt"})  # fmt: skip
    body = _valid(keyed_api, "owner.transcribe_response", answer.json())["response"]
    assert body["transcription"]["text"] and body["transcription"]["model"] == "whisper-1"


def test_transcription_upstream_failure_is_a_502_without_the_key(
    keyed_api: ApiWorld, openai_server: OpenAIServer
) -> None:
    openai_server.script("transcriptions", *[Behavior(status=500)] * 2)
    answer = keyed_api.post(
        f"{BASE}/audio/transcribe", {"request_id": "t-1", "audio_base64": AUDIO}
    )
    assert answer.status_code == 502 and answer.json()["error"] == "owner_audio_transcription_error"
    assert KEY not in answer.text


def test_speech_answers_audio_with_what_made_it(keyed_api: ApiWorld) -> None:
    answer = keyed_api.post(
        f"{BASE}/audio/speech", {"request_id": "s-1", "text": "Bom dia", "speed": 1.5}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/mpeg"
    assert answer.content.startswith(b"ID3")
    assert answer.headers["x-owner-speech-voice"] == "shimmer"
    assert answer.headers["x-owner-speech-speed"] == "1.5"
    assert answer.headers["x-owner-speech-request-id"] == "s-1"
    assert answer.headers["cache-control"] == "no-store"


def test_speech_is_refused_when_the_tenant_turned_voice_off(keyed_api: ApiWorld) -> None:
    keyed_api.post(
        f"{BASE}/runtime-config",
        {"request_id": "r", "config": {"openai": {"voice_enabled": False}}},
    )
    answer = keyed_api.post(f"{BASE}/audio/speech", {"request_id": "s-1", "text": "Bom dia"})
    assert answer.status_code == 400 and answer.json()["error"] == "voice_disabled_by_tenant"


def test_speech_upstream_failure_is_a_502(keyed_api: ApiWorld, openai_server: OpenAIServer) -> None:
    openai_server.script("speech", *[Behavior(status=500)] * 2)
    answer = keyed_api.post(f"{BASE}/audio/speech", {"request_id": "s-1", "text": "Bom dia"})
    assert answer.status_code == 502 and answer.json()["error"] == "owner_audio_speech_error"
    assert answer.headers["content-type"] == "application/json"


# -- interaction -----------------------------------------------------------------------------


def test_greeting_is_answered_and_queues_no_task(api: ApiWorld) -> None:
    answer = _say(api, "Oi, tudo bem?")
    body = _valid(api, "owner.interaction_response", answer.json())["response"]
    assert body["policy_decision"]["execution_decision"] == "none"
    assert "downstream_tasks" not in body and "confirmation" not in body
    assert [r["receipt"] for r in body["execution_receipts"]] == ["owner.command.persisted"]
    assert api.get("/v1/orchestration/module-task-queue").json()["pending_count"] == 0


def test_plain_request_queues_its_task(api: ApiWorld) -> None:
    body = _valid(
        api, "owner.interaction_response", _say(api, "Agendar reunião com a Ana amanhã").json()
    )
    tasks = body["response"]["downstream_tasks"]
    assert [(t["task_type"], t["status"]) for t in tasks] == [
        ("agenda.commitment.schedule", "queued")
    ]
    queue = _valid(api, "orchestration.queue_response",
                   api.get("/v1/orchestration/module-task-queue").json())  # fmt: skip
    assert queue["pending_count"] == 1 and queue["pending"][0]["task_id"] == tasks[0]["task_id"]


def test_sensitive_request_waits_for_confirmation_by_default(api: ApiWorld) -> None:
    body = _say(api, WRITE_OFF).json()["response"]
    assert body["policy_decision"]["execution_decision"] == "confirm_required"
    assert body["confirmation"]["status"] == "pending" and "downstream_tasks" not in body
    assert api.get("/v1/orchestration/module-task-queue").json()["pending_count"] == 0


def test_tenant_that_turned_confirmations_off_gets_the_task(api: ApiWorld) -> None:
    api.post(
        f"{BASE}/runtime-config",
        {"request_id": "r", "config": {"execution": {"confirmations_enabled": False}}},
    )
    body = _say(api, WRITE_OFF).json()["response"]
    assert body["policy_decision"]["execution_decision"] == "allow"
    assert body["downstream_tasks"][0]["task_type"] == "billing.writeoff.request"


def test_full_confirmation_queue_is_a_429_that_stores_nothing(api: ApiWorld) -> None:
    api.post(
        f"{BASE}/runtime-config",
        {"request_id": "r", "config": {"execution": {"max_pending_confirmations": 1}}},
    )
    assert _say(api, WRITE_OFF).status_code == 200
    before = api.app.store.events.count("acme")
    answer = _say(api, WRITE_OFF)
    assert (
        answer.status_code == 429 and answer.json()["error"] == "confirmation_queue_limit_reached"
    )
    assert api.app.store.events.count("acme") == before
    assert api.get(f"{BASE}/interaction-confirmations").json()["count"] == 1


def test_provider_failure_still_answers_the_outcome_with_a_warning(
    keyed_api: ApiWorld, openai_server: OpenAIServer
) -> None:
    # Three failures: the intent classifier's one try (the rules stand in), then the reply's two.
    openai_server.script("responses", *[Behavior(status=500, error_message=f"bad {KEY}")] * 3)
    openai_server.script("chat", *[Behavior(status=500)] * 2)
    before = keyed_api.app.store.events.count("acme", name="owner.command.create")
    answer = _say(keyed_api, "Agendar reunião com a Ana sexta às 10h")
    assert answer.status_code == 200, answer.text
    body = answer.json()["response"]
    assert body["provider_error"]["code"] and KEY not in answer.text
    [task] = body["downstream_tasks"]
    assert task["task_id"] in body["assistant_output"]["text"]  # the reply names what was queued
    assert keyed_api.app.store.tasks.get("acme", task["task_id"]) is not None
    assert keyed_api.app.store.events.count("acme", name="owner.command.create") == before + 1


def test_strict_openai_without_any_key_is_a_400_that_stores_nothing(api: ApiWorld) -> None:
    api.post(
        f"{BASE}/runtime-config", {"request_id": "r", "config": {"provider": {"mode": "openai"}}}
    )
    before = api.app.store.events.count("acme")
    answer = _say(api, "Agendar reunião com a Ana")
    assert answer.status_code == 400 and answer.json()["error"] == "openai_api_key_missing"
    assert api.app.store.events.count("acme") == before


def test_interaction_refusal_points_at_the_payload_field(api: ApiWorld) -> None:
    cases = {
        "/request/payload/text": {"operation": "send_message", "payload": {"text": "   "}},
        "/request/payload/enabled": {"operation": "toggle_continuous_mode", "payload": {}},
        "/request/payload/persona_overrides": {"operation": "send_message",
                                               "payload": {"text": "Oi", "persona_overrides": {}}},
        "/request/session_id": {"session_id": "not-a-uuid"},
    }  # fmt: skip
    for path, change in cases.items():
        answer = _say(api, "Oi", **change)
        assert answer.status_code == 400, path
        assert path in {d["path"] for d in answer.json()["details"]}, answer.json()
    assert api.app.store.events.count("acme") == 0


def test_blank_persona_overrides_are_refused(api: ApiWorld) -> None:
    answer = _say(
        api, "Oi", payload={"text": "Oi", "persona_overrides": {"owner_concierge_prompt": " "}}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert [d["path"] for d in answer.json()["details"]] == ["/request/payload/persona_overrides"]
    assert api.app.store.events.count("acme") == 0


def test_continuous_mode_toggle_changes_the_session_and_queues_nothing(api: ApiWorld) -> None:
    answer = _say(api, "", operation="toggle_continuous_mode", payload={"enabled": True})
    body = _valid(api, "owner.interaction_response", answer.json())["response"]
    assert body["session_state"] == {"mode": "continuous", "state": "active_continuous"}
    assert body["assistant_output"]["fallback_reason"] == "non_message_operation"
    assert "downstream_tasks" not in body


# -- confirmations ---------------------------------------------------------------------------


def _pending(api: ApiWorld, tenant: str = "acme") -> dict[str, Any]:
    confirmation: dict[str, Any] = _say(api, WRITE_OFF, tenant=tenant).json()["response"][
        "confirmation"
    ]
    return confirmation


def test_confirmation_listing_filters_and_limits(api: ApiWorld) -> None:
    first, _, third = (_pending(api) for _ in range(3))
    _resolve(api, third["confirmation_id"], "reject")
    listed = api.get(f"{BASE}/interaction-confirmations", params={"status": "pending"}).json()
    assert _valid(api, "owner.confirmation_list_response", listed)["status_filter"] == "pending"
    assert (
        listed["count"] == 2 and listed["items"][-1]["confirmation_id"] == first["confirmation_id"]
    )
    assert api.get(f"{BASE}/interaction-confirmations", params={"limit": 1}).json()["count"] == 1
    assert api.get(f"{BASE}/interaction-confirmations").json()["count"] == 3
    rejected = api.get(f"{BASE}/interaction-confirmations", params={"status": "rejected"}).json()
    assert [i["confirmation_id"] for i in rejected["items"]] == [third["confirmation_id"]]


@pytest.mark.parametrize(
    ("params", "code"),
    [({"limit": 0}, "invalid_limit"), ({"limit": 201}, "invalid_limit"),
     ({"status": "done"}, "validation_error")],
)  # fmt: skip
def test_confirmation_listing_refuses_bad_parameters(
    api: ApiWorld, params: dict[str, Any], code: str
) -> None:
    answer = api.get(f"{BASE}/interaction-confirmations", params=params)
    assert answer.status_code == 400 and answer.json()["error"] == code


def test_rejection_queues_nothing_and_happens_once(api: ApiWorld) -> None:
    confirmation = _pending(api)
    answer = _resolve(api, confirmation["confirmation_id"], "reject")
    body = _valid(api, "owner.confirmation_resolve_response", answer.json())["response"]
    assert body["confirmation"]["status"] == "rejected" and "downstream_task" not in body
    again = _resolve(api, confirmation["confirmation_id"], "approve")
    assert again.status_code == 409 and again.json()["error"] == "confirmation_not_pending"
    assert api.get("/v1/orchestration/module-task-queue").json()["pending_count"] == 0


def test_expired_confirmation_answers_409_on_approval(
    timed_api: ApiWorld, frozen: FrozenClock
) -> None:
    confirmation = _pending(timed_api)
    frozen.advance(901)
    answer = _resolve(timed_api, confirmation["confirmation_id"], "approve")
    assert answer.status_code == 409 and answer.json()["error"] == "confirmation_expired"
    expired = timed_api.get(
        f"{BASE}/interaction-confirmations", params={"status": "expired"}
    ).json()
    assert [i["confirmation_id"] for i in expired["items"]] == [confirmation["confirmation_id"]]
    assert timed_api.get("/v1/orchestration/module-task-queue").json()["pending_count"] == 0


def test_another_tenants_confirmation_answers_as_unknown(api: ApiWorld) -> None:
    theirs, made_up = _pending(api, tenant="acme")["confirmation_id"], _id()
    tried = _resolve(api, theirs, "approve", tenant="globex")
    unknown = _resolve(api, made_up, "approve", tenant="globex")
    assert tried.status_code == unknown.status_code == 404
    assert tried.json() == unknown.json()
    assert tried.json()["error"] == "confirmation_not_found"
    assert (
        api.get(f"{BASE}/interaction-confirmations", params={"status": "pending"}).json()["count"]
        == 1
    )


# -- the whole flow and the read-outs --------------------------------------------------------


def test_approved_request_runs_and_the_trace_shows_every_step(any_api: ApiWorld) -> None:
    """Owner asks → confirmation pending → approved over HTTP → the worker runs the task → the
    trace shows the command, the decision and approval, the task and its events."""
    made = any_api.post(
        "/v1/customers", {"request_id": "c-1", "customer": {"display_name": "Pedro Alves"}}
    )
    customer_id = made.json()["response"]["customer"]["customer_id"]
    work = Work.new("acme", any_api.app.clock)
    charge, _ = billing.create_charge(any_api.app.store, work, customer_id=customer_id,
                                      amount=300, currency="BRL", due_date=date(2026, 1, 10))  # fmt: skip
    asked = _say(any_api, WRITE_OFF).json()["response"]
    pending = any_api.get(f"{BASE}/interaction-confirmations", params={"status": "pending"}).json()
    assert [i["confirmation_id"] for i in pending["items"]] == [
        asked["confirmation"]["confirmation_id"]
    ]

    approved = _resolve(any_api, asked["confirmation"]["confirmation_id"], "approve").json()[
        "response"
    ]
    assert approved["downstream_task"]["status"] == "queued"
    assert any_api.get("/v1/orchestration/module-task-queue").json()["pending_count"] == 1
    assert any_api.app.worker.run_once().completed == 1

    trace = _trace(any_api, asked["owner_command"]["correlation_id"])
    assert [c["name"] for c in trace["commands"]] == ["owner.command.create", "module.task.create"]
    assert [e["name"] for e in trace["events"]] == [
        "owner.command.created", "owner.decision.made", "owner.confirmation.requested",
        "owner.response.sent", "module.task.created", "owner.confirmation.approved", "module.task.accepted", "module.task.completed",
    ]  # fmt: skip
    assert (
        trace["events"][2]["payload"]["confirmation_id"] == asked["confirmation"]["confirmation_id"]
    )
    stored = any_api.app.store.modules.charges.get("acme", charge["charge_id"])
    assert stored is not None and stored["status"] == "written_off"
    queue = any_api.get("/internal/orchestration/module-task-queue").json()
    assert (queue["pending_count"], queue["history_count"]) == (0, 1)
    assert queue["history"][0]["status"] == "completed"
    assert queue["history"][0]["correlation_id"] == asked["owner_command"]["correlation_id"]


def test_trace_of_another_tenant_answers_as_unknown(api: ApiWorld) -> None:
    correlation = _say(api, WRITE_OFF).json()["response"]["owner_command"]["correlation_id"]
    assert len(_trace(api, correlation)["events"]) == 4
    theirs = _trace(api, correlation, tenant="globex")
    unknown = _trace(api, _id(), tenant="globex")
    assert theirs["commands"] == theirs["events"] == unknown["commands"] == unknown["events"] == []
    named = api.get("/v1/orchestration/trace", tenant="globex",
                    params={"correlation_id": correlation, "tenant_id": "acme"})  # fmt: skip
    nowhere = api.get("/v1/orchestration/trace", tenant="globex",
                      params={"correlation_id": correlation, "tenant_id": "nope"})  # fmt: skip
    assert named.status_code == nowhere.status_code == 404 and named.json() == nowhere.json()


@pytest.mark.parametrize("prefix", ["/v1/orchestration", "/internal/orchestration"])
def test_trace_needs_a_correlation_id(api: ApiWorld, prefix: str) -> None:
    answer = api.get(f"{prefix}/trace")
    assert answer.status_code == 400 and answer.json()["error"] == "missing_correlation_id"


def test_both_trace_paths_answer_the_same(api: ApiWorld) -> None:
    correlation = _say(api, "Agendar reunião com a Ana").json()["response"]["owner_command"][
        "correlation_id"
    ]
    params = {"correlation_id": correlation}
    internal = api.get("/internal/orchestration/trace", params=params)
    assert internal.json() == api.get("/v1/orchestration/trace", params=params).json()


def test_task_queue_is_scoped_to_the_tenant_and_limited(api: ApiWorld) -> None:
    for _ in range(3):
        _say(api, "Agendar reunião com a Ana")
    limited = api.get("/v1/orchestration/module-task-queue", params={"limit": 2}).json()
    assert limited["pending_count"] == 3 and len(limited["pending"]) == 2
    assert (
        api.get("/v1/orchestration/module-task-queue", tenant="globex").json()["pending_count"] == 0
    )
    refused = api.get("/v1/orchestration/module-task-queue", params={"limit": 0})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_limit"


def test_tenant_id_with_non_ascii_characters_answers_as_unknown(api: ApiWorld) -> None:
    odd = api.get(f"{BASE}/runtime-config", params={"tenant_id": "açaí"})
    nowhere = api.get(f"{BASE}/runtime-config", params={"tenant_id": "nope"})
    assert odd.status_code == 404 and odd.json() == nowhere.json()
