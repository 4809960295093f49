"""Re-embedding on both backends: a batch (dry run, mode off, vectors refused, a failing
embedder), schedules from set to run, the run lock (held, expired and taken over, two processes
at once on PostgreSQL), the scheduler's ``memory`` job, and recall ignoring another model's
vectors until the entries are re-embedded."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest

from matrix.app import build
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.errors import NotFoundError, ProviderError
from matrix.memory.maintenance import Maintenance
from matrix.memory.reembed import MaintenanceValueError
from matrix.memory.service import Memory
from matrix.storage import Store, open_store
from tests.embedding_fakes import Embedders, FakeEmbedder

SESSION = "6f1c2a4e-0000-4000-8000-0000000000aa"
FACTS = ("Our accountant is Rui Costa.", "The shop opens at nine on Saturdays.",
         "Invoices go out on the first Monday of the month.")  # fmt: skip


@pytest.fixture
def embedders() -> Embedders:
    return Embedders()


@pytest.fixture
def memory(store: Store, clock: FrozenClock, embedders: Embedders) -> Memory:
    store.tenants.add("acme", "ACME")
    store.tenants.add("globex", "GLOBEX")
    return Memory(store, clock, embedders=embedders)


def upkeep(store: Store, clock: FrozenClock, embedders: Embedders) -> Maintenance:
    return Maintenance(store, clock, embedders=embedders, ai_of=lambda tenant_id: None)


@pytest.fixture
def maintenance(
    memory: Memory, store: Store, clock: FrozenClock, embedders: Embedders
) -> Maintenance:
    return upkeep(store, clock, embedders)


def remember(
    memory: Memory, clock: FrozenClock, tenant: str = "acme", facts: Sequence[str] = FACTS
) -> list[str]:
    """Entries kept while the tenant has no embedder here (a remote one, say): no vectors yet."""
    ids = []
    for fact in facts:
        ids.append(memory.add(tenant, SESSION, fact).entry["memory_id"])
        clock.advance(60)
    return ids


def test_batch_embeds_the_entries_lacking_a_vector_oldest_first_in_one_call(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    ids = remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    batch = maintenance.reembed("acme", limit=2).as_dict()
    assert (batch["scanned_count"], batch["updated_count"], batch["failed_count"]) == (2, 2, 0)
    assert [p["memory_id"] for p in batch["processed"]] == ids[:2]
    assert {p["status"] for p in batch["processed"]} == {"updated"}
    assert {p["embedding_ref"] for p in batch["processed"]} == {"fake-a"}
    assert fake.calls == [list(FACTS[:2])]
    assert store.memory.vector("acme", ids[0], "fake-a") == pytest.approx(fake._vector(FACTS[0]))
    entry, history = memory.show("acme", ids[0])
    assert entry["metadata"]["embedding_backfill"] == {
        "model": "fake-a", "dimension": 16, "updated_at": "2026-11-02T09:03:00.000000Z"}  # fmt: skip
    assert entry["metadata"]["mentions"] == 1  # the rest of the metadata kept
    assert [h["action"] for h in history][-1] == "reembedded"
    assert history[-1]["actor"] == "reembed" and history[-1]["reason_code"] == "manual"
    rest = maintenance.reembed("acme").as_dict()
    assert [p["memory_id"] for p in rest["processed"]] == [ids[2]]
    assert maintenance.reembed("acme").as_dict()["scanned_count"] == 0
    assert len(fake.calls) == 2  # nothing left: no call
    assert store.memory.lacking_vector("globex", "fake-a", 10) == []


def test_dry_run_lists_what_would_be_embedded_and_writes_nothing(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    ids = remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    batch = maintenance.reembed("acme", dry_run=True).as_dict()
    assert batch["dry_run"] and batch["scanned_count"] == 3 and batch["updated_count"] == 0
    assert [(p["memory_id"], p["status"]) for p in batch["processed"]] == [
        (i, "dry_run") for i in ids
    ]
    assert fake.calls == [] and len(store.memory.lacking_vector("acme", "fake-a", 10)) == 3


def test_mode_off_or_no_embedder_is_nothing_to_do(
    memory: Memory, maintenance: Maintenance, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock)
    embedders.current, embedders.modes = (fake := FakeEmbedder()), []
    off = maintenance.reembed("acme", mode="off").as_dict()
    assert (off["status"], off["reason"], off["mode"], off["processed"]) == (
        "skipped", "embedding_mode_off", "off", [])  # fmt: skip
    embedders.current = None
    assert maintenance.reembed("acme", mode="local").as_dict()["reason"] == "no_embedder"
    assert fake.calls == [] and embedders.modes == ["local"]  # off never asks for an embedder


@pytest.mark.parametrize(
    ("given", "code"),
    [({"limit": 0}, "invalid_limit"), ({"limit": 501}, "invalid_limit"),
     ({"limit": True}, "invalid_limit"), ({"mode": "remote"}, "invalid_mode")],
)  # fmt: skip
def test_batch_refuses_bad_values_by_name(
    maintenance: Maintenance, given: dict[str, object], code: str
) -> None:
    with pytest.raises(MaintenanceValueError) as caught:
        maintenance.reembed("acme", **given)  # type: ignore[arg-type]
    assert caught.value.code == code and caught.value.field in str(caught.value)
    with pytest.raises(NotFoundError):
        maintenance.reembed("acmee")


def test_a_vector_of_the_wrong_dimension_or_with_nan_fails_its_entry_only(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    ids = remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    fake.answers = {FACTS[0]: [1.0] * 8, FACTS[1]: [math.nan] + [0.0] * 15}
    processed = maintenance.reembed("acme").as_dict()["processed"]
    assert [(p["status"], p["reason"]) for p in processed] == [
        ("failed", "wrong_dimension"), ("failed", "not_finite"), ("updated", None)]  # fmt: skip
    assert store.memory.vector("acme", ids[0], "fake-a") is None
    assert store.memory.vector("acme", ids[1], "fake-a") is None
    assert store.memory.vector("acme", ids[2], "fake-a") is not None


def test_a_failing_embedder_fails_the_batch_and_writes_nothing(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock)
    embedders.current = fake = FakeEmbedder("openai:text-embedding-3-small", remote=True)
    fake.fail = ProviderError("the embeddings endpoint answered 500", code="openai_embed_http_500")
    with pytest.raises(ProviderError) as caught:
        maintenance.reembed("acme")
    assert caught.value.code == "openai_embed_http_500"
    assert len(store.memory.lacking_vector("acme", fake.model, 10)) == 3
    with store.backend.transaction() as tx:
        rows = tx.query("SELECT kind, feature, status, error_code, model FROM telemetry"
                        " WHERE tenant_id = 'acme'")  # fmt: skip
    assert rows == [
        ("provider_call", "memory_embedding", "error", "openai_embed_http_500", fake.model)
    ]


def events(store: Store, name: str) -> list[dict[str, object]]:
    return [e for e in store.events.list("acme", limit=100) if e["name"] == name]


def test_schedule_lifecycle_from_set_to_run(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    ids = remember(memory, clock)
    embedders.current = FakeEmbedder()
    with pytest.raises(MaintenanceValueError) as caught:
        maintenance.upsert_schedule("acme")
    assert caught.value.code == "invalid_interval_minutes"
    for bad, code in (({"interval_minutes": 0}, "invalid_interval_minutes"),
                      ({"interval_minutes": 1441}, "invalid_interval_minutes"),
                      ({"interval_minutes": 5, "limit": 501}, "invalid_limit"),
                      ({"interval_minutes": 5, "mode": "cloud"}, "invalid_mode")):  # fmt: skip
        with pytest.raises(MaintenanceValueError) as caught:
            maintenance.upsert_schedule("acme", **bad)
        assert caught.value.code == code
    assert maintenance.schedules("acme") == []  # nothing was stored
    made = maintenance.upsert_schedule("acme", interval_minutes=60, limit=2)
    now = "2026-11-02T09:03:00.000000Z"
    assert made == {"tenant_id": "acme", "enabled": True, "interval_minutes": 60, "limit": 2,
                    "mode": "auto", "created_at": now, "updated_at": now, "last_run_at": None,
                    "next_run_at": now, "last_result": None, "run_lock": None}  # fmt: skip
    assert maintenance.pause_schedule("acme")["next_run_at"] is None
    assert maintenance.run_due()["due_count"] == 0  # paused
    assert maintenance.resume_schedule("acme")["next_run_at"] == now
    result = maintenance.run_due()
    assert {k: result[k] for k in ("due_count", "executed_count", "failed_count")} == {
        "due_count": 1, "executed_count": 1, "failed_count": 0}  # fmt: skip
    [run] = result["runs"]
    assert run["status"] == "completed" and run["trigger"] == "manual-run-due"
    assert run["details"]["updated_count"] == 2 and run["details"]["stale_recovered"] is False
    [started], [completed] = (
        events(store, "owner.memory.reembed.started"),
        events(store, "owner.memory.reembed.completed"),
    )
    assert started["correlation_id"] == completed["correlation_id"] == run["run_id"]
    assert started["payload"] == {"run_id": run["run_id"], "trigger": "manual-run-due", "dry_run": False,
                                  "limit": 2, "mode": "auto"}  # fmt: skip
    assert completed["payload"]["updated"] == 2
    [after] = maintenance.schedules("acme")
    assert after["last_run_at"] == now and after["next_run_at"] == "2026-11-02T10:03:00.000000Z"
    assert after["last_result"]["status"] == "completed" and after["run_lock"] is None
    clock.advance(60)
    assert maintenance.run_due()["due_count"] == 0  # not due again before the interval
    forced = maintenance.run_due(force=True, dry_run=True)
    assert forced["executed_count"] == 1 and forced["runs"][0]["dry_run"]
    assert maintenance.schedules("acme")[0]["last_run_at"] == now  # a dry run changes nothing
    assert store.memory.vector("acme", ids[2], "fake-a") is None
    assert [r["run_id"] for r in maintenance.runs("acme")] == [
        forced["runs"][0]["run_id"],
        run["run_id"],
    ]
    assert len(maintenance.runs("acme", limit=1)) == 1
    with pytest.raises(MaintenanceValueError):
        maintenance.runs("acme", limit=201)
    with pytest.raises(NotFoundError) as missing:
        maintenance.pause_schedule("globex")
    assert missing.value.code == "not_found"


def test_run_due_refuses_bad_options(maintenance: Maintenance) -> None:
    for bad, code in (({"max_concurrency": 0}, "invalid_max_concurrency"),
                      ({"max_concurrency": 21}, "invalid_max_concurrency"),
                      ({"lock_ttl_seconds": 29}, "invalid_lock_ttl_seconds"),
                      ({"lock_ttl_seconds": 3601}, "invalid_lock_ttl_seconds")):  # fmt: skip
        with pytest.raises(MaintenanceValueError) as caught:
            maintenance.run_due(**bad)
        assert caught.value.code == code


def test_run_due_runs_several_tenants_at_once(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock, "acme")
    remember(memory, clock, "globex", ["Globex pays its suppliers on Fridays."])
    embedders.current = FakeEmbedder()
    for tenant in ("acme", "globex"):
        maintenance.upsert_schedule(tenant, interval_minutes=15)
    result = maintenance.run_due(max_concurrency=2)
    assert (result["due_count"], result["executed_count"], result["max_concurrency"]) == (2, 2, 2)
    assert sorted(r["details"]["updated_count"] for r in result["runs"]) == [1, 3]
    assert store.memory.lacking_vector("acme", "fake-a", 10) == []
    assert store.memory.lacking_vector("globex", "fake-a", 10) == []


def test_a_failing_embedder_fails_the_run_emits_failed_and_reschedules(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    fake.fail = ProviderError("the embedder is down", code="embedder_down")
    maintenance.upsert_schedule("acme", interval_minutes=30)
    result = maintenance.run_due()
    assert (result["executed_count"], result["failed_count"]) == (0, 1)
    [run] = result["runs"]
    assert run["status"] == "failed" and run["details"]["error_code"] == "embedder_down"
    [failed] = events(store, "owner.memory.reembed.failed")
    assert (
        failed["payload"]["error_code"] == "embedder_down"
        and failed["correlation_id"] == run["run_id"]
    )
    assert events(store, "owner.memory.reembed.completed") == []
    [schedule] = maintenance.schedules("acme")
    assert (
        schedule["last_result"]["status"] == "failed"
        and schedule["last_result"]["error_code"] == "embedder_down"
    )
    assert schedule["next_run_at"] == "2026-11-02T09:33:00.000000Z" and schedule["run_lock"] is None


def test_a_held_lock_skips_the_run_and_an_expired_one_is_taken_over(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    maintenance.upsert_schedule("acme", interval_minutes=10)
    now = clock.now()
    assert store.memory_maintenance.take_lock("acme", "other-process", now, now + timedelta(seconds=120),
                                              force=False)[0] == "taken"  # fmt: skip
    held = maintenance.run_due()
    assert held["skipped_locked_count"] == 1 and held["executed_count"] == 0
    assert held["runs"][0]["details"]["reason"] == "lock_active"
    assert held["runs"][0]["details"]["locked_by"] == "other-process"
    assert fake.calls == [] and events(store, "owner.memory.reembed.started") == []
    assert maintenance.schedules("acme")[0]["run_lock"]["run_id"] == "other-process"
    clock.advance(121)  # the other process died: its lock expired
    taken = maintenance.run_due()
    assert taken["executed_count"] == 1 and taken["runs"][0]["details"]["stale_recovered"] is True
    assert maintenance.schedules("acme")[0]["run_lock"] is None
    assert [r["status"] for r in maintenance.runs("acme")] == [
        "completed",
        "skipped_locked",
    ]  # newest first


def test_the_memory_job_runs_schedules_and_embeds_for_tenants_without_one(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock, "acme")
    remember(memory, clock, "globex", ["Globex pays its suppliers on Fridays."])
    embedders.current = fake = FakeEmbedder()
    maintenance.upsert_schedule("acme", interval_minutes=60, limit=1)
    assert maintenance.tick() == 2  # acme's scheduled run (one entry), globex's backfill
    assert store.memory.lacking_vector("globex", "fake-a", 10) == []
    assert len(store.memory.lacking_vector("acme", "fake-a", 10)) == 2  # only its schedule embeds
    [run] = maintenance.runs("acme")
    assert run["trigger"] == "schedule-run-due"
    assert maintenance.tick() == 0 and len(fake.calls) == 2
    with store.backend.transaction() as tx:
        audit = tx.query("SELECT reason_code FROM memory_audit WHERE tenant_id = 'globex'"
                         " AND action = 'reembedded'")  # fmt: skip
    assert audit == [("backfill",)]


def test_the_scheduler_every_face_runs_holds_the_memory_job(
    memory: Memory, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    """``matrix worker``, ``matrix serve`` and the simulator all run ``app.scheduler()``."""
    remember(memory, clock)
    app = build(Settings.load(storage_url=store.settings.storage_url, provider_mode="local"),
                store=store, clock=clock)  # fmt: skip
    app.memory = memory  # with the tenant's embedder
    embedders.current = FakeEmbedder()
    scheduler = app.scheduler()
    scheduler.run(until_idle=True)
    assert scheduler.report()["memory"] == {"runs": 2, "done": 3, "errors": 0}
    assert store.memory.lacking_vector("acme", "fake-a", 10) == []


def test_the_job_leaves_a_failing_tenant_alone_for_a_while(
    memory: Memory, maintenance: Maintenance, store: Store, clock: FrozenClock, embedders: Embedders
) -> None:
    remember(memory, clock)
    embedders.current = fake = FakeEmbedder()
    fake.fail = ProviderError("down", code="embedder_down")
    assert maintenance.tick() == 0 and maintenance.tick() == 0
    assert len(fake.calls) == 1  # not asked again at once
    fake.fail = None
    clock.advance(timedelta(minutes=6))
    assert maintenance.tick() == 3


def test_recall_ignores_another_models_vectors_until_re_embedded(
    memory: Memory, maintenance: Maintenance, clock: FrozenClock, embedders: Embedders
) -> None:
    embedders.current = FakeEmbedder("fake-a")  # runs here: entries get a vector as they are kept
    remember(memory, clock)

    def vector_ranks() -> list[int | None]:
        ranked, _, _ = memory.retrieve("acme", FACTS[0], include_candidates=True)
        return [r.vector_rank for r in ranked if r.entry["content"] == FACTS[0]]

    assert vector_ranks() == [1]
    embedders.current = FakeEmbedder("fake-b")  # the tenant's model changed
    assert vector_ranks() == [None]  # fake-a's vectors are never compared with fake-b's
    assert maintenance.reembed("acme").as_dict()["updated_count"] == 3
    assert vector_ranks() == [1]


@pytest.fixture
def two_stores(postgres_url: str, clock: FrozenClock) -> Iterator[tuple[Store, Store]]:
    settings = Settings.load(storage_url=postgres_url)
    first = open_store(settings=settings, clock=clock, migrate=True)
    second = open_store(settings=settings, clock=clock)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_two_processes_never_run_one_tenant_at_once(
    two_stores: tuple[Store, Store], clock: FrozenClock
) -> None:
    first, second = two_stores
    first.tenants.add("acme", "ACME")
    remember(Memory(first, clock, embedders=Embedders()), clock)
    slow, quick = FakeEmbedder(), FakeEmbedder()
    slow.release = threading.Event()
    a, b = upkeep(first, clock, Embedders(slow)), upkeep(second, clock, Embedders(quick))
    a.upsert_schedule("acme", interval_minutes=60)
    results: list[dict[str, object]] = []
    running = threading.Thread(target=lambda: results.append(a.run_due()))
    running.start()
    assert slow.started.wait(30)  # the first process holds the lock, embedding
    meanwhile = b.run_due(force=True)
    slow.release.set()
    running.join(30)
    assert meanwhile["skipped_locked_count"] == 1 and quick.calls == []
    assert results[0]["executed_count"] == 1
    assert sorted(r["status"] for r in b.runs("acme")) == ["completed", "skipped_locked"]


@pytest.mark.postgres
def test_two_processes_racing_run_a_due_schedule_once(
    two_stores: tuple[Store, Store], clock: FrozenClock
) -> None:
    first = two_stores[0]
    first.tenants.add("acme", "ACME")
    remember(Memory(first, clock, embedders=Embedders()), clock)
    embedders = [FakeEmbedder(), FakeEmbedder()]
    sides = [upkeep(s, clock, Embedders(e)) for s, e in zip(two_stores, embedders, strict=True)]
    sides[0].upsert_schedule("acme", interval_minutes=60)
    gate = threading.Barrier(2)
    results: list[dict[str, object]] = []

    def race(side: Maintenance) -> None:
        gate.wait(30)
        results.append(side.run_due())

    threads = [threading.Thread(target=race, args=(side,)) for side in sides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(int(r["executed_count"]) for r in results) == 1  # type: ignore[call-overload]
    assert sum(len(e.calls) for e in embedders) == 1
    assert [r["status"] for r in sides[0].runs("acme")].count("completed") == 1
