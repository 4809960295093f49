"""Episode summaries from the tenant's own model, on both backends: the extractive summary is
replaced by the model's, a failure keeps it and is retried later (bounded per run of the job and
in attempts), only tenants with their own key are asked, and every call is a telemetry row."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from matrix import envelopes as env
from matrix.app import App, build
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.memory.summaries import MAX_ATTEMPTS, PER_TICK
from matrix.storage import Store
from matrix.testing.openai_server import Behavior, OpenAIServer

SESSIONS = [f"6f1c2a4e-0000-4000-8000-{n:012d}" for n in range(1, 9)]


@pytest.fixture
def app(store: Store, clock: FrozenClock, openai_server: OpenAIServer) -> App:
    settings = Settings.load(storage_url=store.settings.storage_url, provider_mode="local")
    for tenant in ("acme", "globex"):
        store.tenants.add(tenant, tenant.upper())
    wired = build(settings, store=store, clock=clock)
    wired.concierge.save_config("acme", {"openai": {"api_key": "sk-acme-0123456789",
                                                    "base_url": openai_server.base_url}})  # fmt: skip
    return wired


def talk(app: App, tenant: str, session: str) -> None:
    """Five exchanges: the session's first episode, with its extractive summary."""
    chain = env.Chain(
        tenant_id=tenant, clock=app.clock, correlation_id=env.new_id(), trace_id=env.new_id()
    )
    lines = ["Our accountant is now Rui Costa.", "The shop opens at nine on Saturdays.",
             "Remind me to call the bank on Monday.", "We stopped selling gift cards.", "Thanks!"]  # fmt: skip
    with app.store.transaction():
        for line in lines:
            app.memory.remember(chain, session, line, "Noted.")
    app.clock.advance(1)  # type: ignore[attr-defined]


def episode(app: App, tenant: str, session: str) -> dict[str, Any]:
    [found] = app.store.memory.episodes(tenant, session, 5)
    return found


def calls(store: Store) -> list[tuple[Any, ...]]:
    with store.backend.transaction() as tx:
        return tx.query("SELECT tenant_id, name, feature, status, error_code, input_tokens > 0"
                        " FROM telemetry WHERE kind = 'provider_call' ORDER BY recorded_at")  # fmt: skip


def test_the_job_replaces_the_extractive_summary_by_the_models(
    app: App, openai_server: OpenAIServer
) -> None:
    talk(app, "acme", SESSIONS[0])
    talk(app, "globex", SESSIONS[1])  # no key of its own: never asked
    before = episode(app, "acme", SESSIONS[0])
    assert before["summary_source"] == "extractive" and "Rui Costa" in before["summary"]
    assert app.memory_maintenance.tick() == 1
    after = episode(app, "acme", SESSIONS[0])
    assert after["summary_source"] == "provider"
    assert after["summary"] == "The owner said: Our accountant is now Rui Costa."
    assert episode(app, "globex", SESSIONS[1])["summary_source"] == "extractive"
    [asked] = [r for r in openai_server.requests if r["endpoint"] == "responses"]
    body = asked["json"]
    assert body["text"]["format"]["name"] == "episode_summary"
    assert "owner: Our accountant is now Rui Costa." in json.dumps(
        body["input"], ensure_ascii=False
    )
    assert calls(app.store) == [("acme", "memory.summary", "memory_summary", "ok", None, True)]
    assert app.memory_maintenance.tick() == 0  # nothing left to ask


def test_a_failure_keeps_the_extractive_summary_and_is_retried_later(
    app: App, openai_server: OpenAIServer, clock: FrozenClock
) -> None:
    talk(app, "acme", SESSIONS[0])
    extractive = episode(app, "acme", SESSIONS[0])["summary"]
    openai_server.script("responses", Behavior(status=500), Behavior(reply='{"summary": "  "}'))
    assert app.memory_maintenance.tick() == 0
    kept = episode(app, "acme", SESSIONS[0])
    assert (kept["summary"], kept["summary_source"]) == (extractive, "extractive")
    assert app.memory_maintenance.tick() == 0 and openai_server.count("responses") == 1  # waits
    clock.advance(timedelta(minutes=3))
    assert app.memory_maintenance.tick() == 0  # an empty summary is no summary
    clock.advance(timedelta(minutes=5))
    assert app.memory_maintenance.tick() == 1
    assert episode(app, "acme", SESSIONS[0])["summary_source"] == "provider"
    assert [(c[3], c[4]) for c in calls(app.store)] == [
        ("error", "openai_classify_http_500"), ("error", "memory_summary_invalid_output"), ("ok", None)]  # fmt: skip


def test_attempts_are_bounded_per_run_and_in_number(
    app: App, openai_server: OpenAIServer, clock: FrozenClock
) -> None:
    for session in SESSIONS[:7]:
        talk(app, "acme", session)
    assert app.memory_maintenance.tick() == PER_TICK
    assert app.memory_maintenance.tick() == 7 - PER_TICK
    talk(app, "acme", SESSIONS[7])
    openai_server.script("responses", *[Behavior(status=503)] * MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS + 2):
        app.memory_maintenance.tick()
        clock.advance(timedelta(hours=2))
    assert openai_server.count("responses") == 7 + MAX_ATTEMPTS  # then it gives up
    assert episode(app, "acme", SESSIONS[7])["summary_source"] == "extractive"
