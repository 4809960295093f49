"""Memory maintenance over HTTP (origin §g 68–74): a re-embed now, the schedule set, paused,
resumed, listed, its runs and the run of the due ones; refusals with the origin's codes naming
the field; a tenant token acting for its own tenant, an admin token for every one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matrix.clock import FrozenClock
from matrix.errors import ProviderError
from matrix.memory.service import Memory
from tests.api.conftest import ApiWorld, make_world
from tests.embedding_fakes import Embedders, FakeEmbedder

BASE = "/internal/maintenance/owner-memory/reembed"
SESSION = "6f1c2a4e-0000-4000-8000-0000000000aa"
NOW = "2026-11-02T09:00:00.000000Z"


@pytest.fixture
def embedders() -> Embedders:
    return Embedders()


@pytest.fixture
def api(tmp_path: Path, clock: FrozenClock, embedders: Embedders) -> Iterator[ApiWorld]:
    """The API with the tenants' embedder set (another part of the app chooses it in production)."""
    for world in make_world(f"duckdb:///{tmp_path / 'store.duckdb'}", clock=clock):
        world.app.memory = Memory(world.app.store, clock, embedders=embedders)
        for fact in ("Our accountant is Rui Costa.", "The shop opens at nine on Saturdays."):
            world.app.memory.add("acme", SESSION, fact)
        embedders.current = FakeEmbedder()
        yield world


def error(answer: Any) -> tuple[int, str, list[str]]:
    body = answer.json()
    return answer.status_code, body["error"], [d["path"] for d in body["details"]]


def test_reembed_embeds_now_and_a_dry_run_writes_nothing(api: ApiWorld) -> None:
    dry = api.post(BASE, {"dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["scanned_count"] == 2 and {p["status"] for p in dry.json()["processed"]} == {
        "dry_run"
    }
    done = api.post(BASE, {"limit": 1}).json()
    assert (done["tenant_id"], done["mode"], done["updated_count"], done["model"]) == (
        "acme",
        "auto",
        1,
        "fake-a",
    )
    assert (
        done["processed"][0]["embedding_ref"] == "fake-a" and done["processed"][0]["reason"] is None
    )
    assert api.post(BASE, {"mode": "off"}).json()["status"] == "skipped"
    assert api.post(BASE, {}, tenant="globex").json()["scanned_count"] == 0


@pytest.mark.parametrize(
    ("request_body", "code", "path"),
    [({"limit": 0}, "invalid_limit", "/request/limit"), ({"limit": 501}, "invalid_limit", "/request/limit"),
     ({"mode": "cloud"}, "invalid_mode", "/request/mode"), ({"limit": "5"}, "validation_error", "/request/limit")],
)  # fmt: skip
def test_reembed_refuses_bad_values_naming_the_field(
    api: ApiWorld, request_body: dict[str, Any], code: str, path: str
) -> None:
    assert error(api.post(BASE, request_body)) == (400, code, [path])


def test_a_failing_embedder_answers_502_with_its_code(api: ApiWorld, embedders: Embedders) -> None:
    assert embedders.current is not None
    embedders.current.fail = ProviderError(
        "The embeddings endpoint answered 500.", code="openai_embed_http_500"
    )
    status, code, _ = error(api.post(BASE, {}))
    assert (status, code) == (502, "openai_embed_http_500")


def test_an_admin_names_the_tenant_and_another_tenant_is_not_found(api: ApiWorld) -> None:
    assert error(api.post(BASE, {}, tenant="admin"))[:2] == (400, "missing_tenant_id")
    assert (
        api.post(BASE, {"tenant_id": "acme", "dry_run": True}, tenant="admin").json()[
            "scanned_count"
        ]
        == 2
    )
    assert error(api.post(BASE, {"tenant_id": "globex"}))[:2] == (404, "tenant_not_found")
    assert error(api.post(BASE, {"tenant_id": "nobody"}))[:2] == (404, "tenant_not_found")


def test_schedule_set_pause_resume_list_and_runs(api: ApiWorld) -> None:
    assert error(api.post(f"{BASE}/schedules", {})) == (
        400,
        "invalid_interval_minutes",
        ["/request/interval_minutes"],
    )
    assert (
        error(api.post(f"{BASE}/schedules", {"interval_minutes": 1441}))[1]
        == "invalid_interval_minutes"
    )
    assert error(api.post(f"{BASE}/schedules/pause", {}))[:2] == (404, "not_found")
    assert error(api.post(f"{BASE}/schedules/resume", {}))[:2] == (404, "not_found")
    made = api.post(f"{BASE}/schedules", {"interval_minutes": 30, "limit": 5, "mode": "local"})
    assert made.status_code == 200, made.text
    assert made.json()["schedule"] == {
        "tenant_id": "acme", "enabled": True, "interval_minutes": 30, "limit": 5, "mode": "local",
        "created_at": NOW, "updated_at": NOW, "last_run_at": None, "next_run_at": NOW,
        "last_result": None, "run_lock": None}  # fmt: skip
    paused = api.post(f"{BASE}/schedules/pause", {}).json()["schedule"]
    assert (paused["enabled"], paused["next_run_at"]) == (False, None)
    assert api.post(f"{BASE}/schedules/run-due", {}).json()["due_count"] == 0
    assert (
        api.post(f"{BASE}/schedules/resume", {"run_now": True}).json()["schedule"]["next_run_at"]
        == NOW
    )
    listed = api.get(f"{BASE}/schedules").json()
    assert (listed["tenant_id"], listed["count"]) == ("acme", 1)
    assert api.get(f"{BASE}/schedules", tenant="globex").json() == {
        "tenant_id": "globex",
        "count": 0,
        "items": [],
    }
    due = api.post(f"{BASE}/schedules/run-due", {"max_concurrency": 2}).json()
    assert (due["due_count"], due["executed_count"], due["lock_ttl_seconds"]) == (1, 1, 120)
    [run] = due["runs"]
    assert run["status"] == "completed" and run["trigger"] == "manual-run-due"
    assert run["details"]["updated_count"] == 2
    runs = api.get(f"{BASE}/runs", params={"limit": 5}).json()
    assert runs["count"] == 1 and runs["items"][0]["run_id"] == run["run_id"]
    assert api.get(f"{BASE}/runs", tenant="globex").json()["count"] == 0
    trace = api.get("/v1/orchestration/trace", params={"correlation_id": run["run_id"]}).json()
    assert [e["name"] for e in trace["events"]] == [
        "owner.memory.reembed.started",
        "owner.memory.reembed.completed",
    ]


@pytest.mark.parametrize(
    ("request_body", "code"),
    [({"max_concurrency": 0}, "invalid_max_concurrency"), ({"max_concurrency": 21}, "invalid_max_concurrency"),
     ({"lock_ttl_seconds": 10}, "invalid_lock_ttl_seconds"), ({"lock_ttl_seconds": 4000}, "invalid_lock_ttl_seconds")],
)  # fmt: skip
def test_run_due_refuses_bad_options_naming_the_field(
    api: ApiWorld, request_body: dict[str, Any], code: str
) -> None:
    field = next(iter(request_body))
    assert error(api.post(f"{BASE}/schedules/run-due", request_body)) == (
        400,
        code,
        [f"/request/{field}"],
    )


def test_runs_limit_is_checked(api: ApiWorld) -> None:
    for bad in ("0", "201", "x"):
        status, code, paths = error(api.get(f"{BASE}/runs", params={"limit": bad}))
        assert (status, code, paths) == (400, "invalid_limit", ["/query/limit"])


def test_an_admin_lists_and_runs_every_tenants_schedules(api: ApiWorld) -> None:
    api.post(f"{BASE}/schedules", {"interval_minutes": 60})
    api.post(f"{BASE}/schedules", {"interval_minutes": 60}, tenant="globex")
    every = api.get(f"{BASE}/schedules", tenant="admin").json()
    assert every["tenant_id"] is None and [s["tenant_id"] for s in every["items"]] == [
        "acme",
        "globex",
    ]
    assert (
        api.get(f"{BASE}/schedules", tenant="admin", params={"tenant_id": "globex"}).json()["count"]
        == 1
    )
    due = api.post(f"{BASE}/schedules/run-due", {}, tenant="admin").json()
    assert due["due_count"] == 2 and due["executed_count"] == 2
    assert api.get(f"{BASE}/runs", tenant="admin").json()["count"] == 2
    own = api.post(
        f"{BASE}/schedules/run-due", {"force": True, "dry_run": True}, tenant="globex"
    ).json()
    assert [r["tenant_id"] for r in own["runs"]] == ["globex"]  # a tenant token runs its own only
