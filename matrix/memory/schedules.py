"""Re-embedding schedules: each tenant may have one, run by the scheduler's ``memory`` job (or
by an explicit run-due) every ``interval_minutes``, a batch of ``limit`` entries in its ``mode``.

A run takes the tenant's lock in the store first, so two processes never run one tenant at once:
a lock held and unexpired makes the run ``skipped_locked``; an expired one (a process died
mid-run) is taken over and the run says ``stale_recovered``. A run that takes the lock emits
``owner.memory.reembed.started`` (its correlation id is the run's id), runs the batch, emits
``completed`` or ``failed``, and — unless it was a dry run — sets the schedule's last run, next
run and last result. Every run is recorded, and the lock released, whatever happened.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix.errors import MatrixError, NotFoundError
from matrix.memory.ports import Record
from matrix.memory.reembed import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Batch,
    Context,
    MaintenanceValueError,
    mode_of,
    run_batch,
    whole,
)

MAX_INTERVAL_MINUTES = 1440
DEFAULT_RUNS, MAX_RUNS = 50, 200
DEFAULT_LOCK_TTL, MIN_LOCK_TTL, MAX_LOCK_TTL = 120, 30, 3600
MAX_CONCURRENCY = 20


def _at(value: datetime | None) -> str | None:
    return None if value is None else env.timestamp(value)


def shown(schedule: Record) -> dict[str, Any]:
    """A schedule as the API and the command line show it (the origin's shape)."""
    lock = None
    if schedule["lock_owner"] is not None:
        lock = {"run_id": schedule["lock_owner"], "until": _at(schedule["lock_until"])}
    return {
        "tenant_id": schedule["tenant_id"], "enabled": bool(schedule["enabled"]),
        "interval_minutes": int(schedule["interval_minutes"]), "limit": int(schedule["limit_items"]),
        "mode": schedule["mode"], "created_at": _at(schedule["created_at"]),
        "updated_at": _at(schedule["updated_at"]), "last_run_at": _at(schedule["last_run_at"]),
        "next_run_at": _at(schedule["next_run_at"]), "last_result": schedule["last_result"],
        "run_lock": lock,
    }  # fmt: skip


def run_shown(run: Record) -> dict[str, Any]:
    return {
        "run_id": run["run_id"], "tenant_id": run["tenant_id"], "trigger": run["trigger"],
        "status": run["status"], "dry_run": bool(run["dry_run"]), "started_at": _at(run["started_at"]),
        "finished_at": _at(run["finished_at"]), "details": run["details"],
        "created_at": _at(run["created_at"]),
    }  # fmt: skip


def _require(ctx: Context, tenant_id: str) -> Record:
    ctx.store.tenants.require(tenant_id)
    found = ctx.store.memory_maintenance.schedule(tenant_id)
    if found is None:
        raise NotFoundError(
            f"Tenant {tenant_id!r} has no re-embedding schedule; set one with `matrix memory"
            " schedule set --tenant ID --interval-minutes N`.", code="not_found",
        )  # fmt: skip
    return found


def upsert(
    ctx: Context, tenant_id: str, *, interval_minutes: Any = None, limit: Any = None,
    enabled: bool | None = None, mode: Any = None, run_now: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Set the tenant's schedule; fields left out keep their values (``interval_minutes`` is
    required the first time). The next run is now for a new schedule or with ``run_now``, none
    while disabled, else as it was.

    Raises:
        MaintenanceValueError: a value out of range, or no interval for a new schedule.
        NotFoundError: unknown tenant.
    """
    ctx.store.tenants.require(tenant_id)
    repo, now = ctx.store.memory_maintenance, ctx.clock.now()
    before = repo.schedule(tenant_id)
    if interval_minutes is None and before is None:
        raise MaintenanceValueError(
            "interval_minutes is required the first time a tenant's schedule is set; give 1 to"
            f" {MAX_INTERVAL_MINUTES} minutes.", code="invalid_interval_minutes",
            field="interval_minutes",
        )  # fmt: skip
    changes: Record = {"updated_at": now}
    if interval_minutes is not None:
        changes["interval_minutes"] = whole(
            interval_minutes, "interval_minutes", 1, MAX_INTERVAL_MINUTES
        )
    if limit is not None:
        changes["limit_items"] = whole(limit, "limit", 1, MAX_LIMIT)
    if mode is not None:
        changes["mode"] = mode_of(mode)
    on = enabled if enabled is not None else (True if before is None else bool(before["enabled"]))
    changes["enabled"] = on
    previous = before["next_run_at"] if before is not None else None
    changes["next_run_at"] = None if not on else now if (run_now or previous is None) else previous
    if before is None:
        record = {"tenant_id": tenant_id, "limit_items": DEFAULT_LIMIT, "mode": ctx.default_mode,
                  "last_run_at": None, "last_result": None, "lock_owner": None,
                  "lock_until": None, "created_at": now, **changes}  # fmt: skip
        if repo.insert_schedule(record):
            return shown(record)
    repo.update_schedule(tenant_id, changes)
    return shown(_require(ctx, tenant_id))


def pause(ctx: Context, tenant_id: str) -> dict[str, Any]:
    """Stop the tenant's schedule (no next run; a held lock is cleared)."""
    _require(ctx, tenant_id)
    ctx.store.memory_maintenance.update_schedule(tenant_id, {
        "enabled": False, "next_run_at": None, "lock_owner": None, "lock_until": None,
        "updated_at": ctx.clock.now(),
    })  # fmt: skip
    return shown(_require(ctx, tenant_id))


def resume(ctx: Context, tenant_id: str, *, run_now: bool = False) -> dict[str, Any]:
    """Start the tenant's schedule again: its next run now with ``run_now``, else as it was
    (now, when it had none)."""
    before, now = _require(ctx, tenant_id), ctx.clock.now()
    due = now if run_now or before["next_run_at"] is None else before["next_run_at"]
    ctx.store.memory_maintenance.update_schedule(
        tenant_id, {"enabled": True, "next_run_at": due, "updated_at": now}
    )
    return shown(_require(ctx, tenant_id))


def listed(ctx: Context, tenant_id: str | None = None) -> list[dict[str, Any]]:
    """One tenant's schedule (none or one), or every tenant's, by tenant."""
    if tenant_id is not None:
        ctx.store.tenants.require(tenant_id)
    return [shown(s) for s in ctx.store.memory_maintenance.schedules(tenant_id)]


def runs(
    ctx: Context, tenant_id: str | None = None, limit: Any = DEFAULT_RUNS
) -> list[dict[str, Any]]:
    """Recorded runs, newest first."""
    limit = whole(limit, "limit", 1, MAX_RUNS)
    if tenant_id is not None:
        ctx.store.tenants.require(tenant_id)
    return [run_shown(r) for r in ctx.store.memory_maintenance.runs(tenant_id, limit)]


def run_due(
    ctx: Context, tenant_id: str | None = None, *, dry_run: bool = False, force: bool = False,
    max_concurrency: Any = 1, lock_ttl_seconds: Any = DEFAULT_LOCK_TTL,
    trigger: str = "manual-run-due",
) -> dict[str, Any]:  # fmt: skip
    """Run every due schedule (one tenant's with ``tenant_id``; every enabled one with
    ``force``), at most ``max_concurrency`` tenants at a time. Call it outside any transaction.

    Raises:
        MaintenanceValueError: ``max_concurrency`` not 1 to 20, ``lock_ttl_seconds`` not 30
            to 3600.
    """
    workers = whole(max_concurrency, "max_concurrency", 1, MAX_CONCURRENCY)
    ttl = whole(lock_ttl_seconds, "lock_ttl_seconds", MIN_LOCK_TTL, MAX_LOCK_TTL)
    if tenant_id is not None:
        ctx.store.tenants.require(tenant_id)
    due = ctx.store.memory_maintenance.due_schedules(
        ctx.clock.now(), tenant_id=tenant_id, force=force
    )

    def one(schedule: Record) -> Record | None:
        return _run(ctx, schedule, dry_run=dry_run, force=force, ttl=ttl, trigger=trigger)

    if workers == 1 or len(due) <= 1:
        done = [one(s) for s in due]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reembed") as pool:
            done = list(pool.map(one, due))
    recorded = [r for r in done if r is not None]
    return {
        "dry_run": dry_run, "force": force, "max_concurrency": workers, "lock_ttl_seconds": ttl,
        "due_count": len(due), "executed_count": sum(r["status"] == "completed" for r in recorded),
        "failed_count": sum(r["status"] == "failed" for r in recorded),
        "skipped_locked_count": sum(r["status"] == "skipped_locked" for r in recorded),
        "runs": [run_shown(r) for r in recorded],
    }  # fmt: skip


def _run(
    ctx: Context, schedule: Record, *, dry_run: bool, force: bool, ttl: int, trigger: str
) -> Record | None:
    """One tenant's run; None when another process ran it meanwhile (nothing to record)."""
    store, repo = ctx.store, ctx.store.memory_maintenance
    tenant_id, run_id, started = schedule["tenant_id"], env.new_id(), ctx.clock.now()
    chain = env.Chain(
        tenant_id=tenant_id, clock=ctx.clock, correlation_id=run_id, trace_id=env.new_id()
    )
    limit, mode = int(schedule["limit_items"]), str(schedule["mode"])
    run: Record = {"run_id": run_id, "tenant_id": tenant_id, "trigger": trigger, "dry_run": dry_run,
                   "started_at": started, "created_at": started}  # fmt: skip
    with store.transaction():
        taken, before = repo.take_lock(tenant_id, run_id, started, started + timedelta(seconds=ttl),
                                       force=force)  # fmt: skip
        if taken == "not_due":
            return None
        if taken == "locked":
            assert before is not None
            run |= {"status": "skipped_locked", "finished_at": started, "details": {
                "reason": "lock_active", "locked_by": before["lock_owner"],
                "locked_until": _at(before["lock_until"])}}  # fmt: skip
            repo.add_run(run)
            return run
        store.events.append_many([chain.event(
            "owner.memory.reembed.started", env.OWNER, env.OWNER, status="info",
            payload={"run_id": run_id, "trigger": trigger, "dry_run": dry_run, "limit": limit, "mode": mode},
        )])  # fmt: skip
    details: Record = {"limit": limit, "mode": mode, "stale_recovered": taken == "stale"}
    try:
        batch = run_batch(ctx, tenant_id, limit=limit, dry_run=dry_run, mode=mode, trigger=trigger,
                          run_id=run_id)  # fmt: skip
        error: MatrixError | None = None
    except MatrixError as exc:
        batch, error = None, exc
    except BaseException:
        repo.update_schedule(tenant_id, {"lock_owner": None, "lock_until": None}, lock_owner=run_id)
        raise
    finished = ctx.clock.now()
    with store.transaction():
        changes = _finish(ctx, schedule, batch, error, details, run, chain, finished)
        if not dry_run:
            changes |= {"last_run_at": finished, "updated_at": finished,
                        "next_run_at": finished + timedelta(minutes=int(schedule["interval_minutes"]))}  # fmt: skip
        repo.update_schedule(tenant_id, {**changes, "lock_owner": None, "lock_until": None},
                             lock_owner=run_id)  # fmt: skip
        repo.add_run(run)
    return run


def _finish(
    ctx: Context, schedule: Record, batch: Batch | None, error: MatrixError | None,
    details: Record, run: Record, chain: env.Chain, finished: datetime,
) -> Record:  # fmt: skip
    """Complete ``run`` (its status, details, the closing event); the schedule's changes."""
    common = {"run_id": run["run_id"], "trigger": run["trigger"], "dry_run": run["dry_run"]}
    if batch is not None:
        counts = {k: v for k, v in batch.as_dict().items() if k.endswith("_count")}
        run |= {"status": "completed", "finished_at": finished,
                "details": {**details, **counts, "status": batch.status, "reason": batch.reason,
                            "model": batch.model}}  # fmt: skip
        event = chain.event("owner.memory.reembed.completed", env.OWNER, env.OWNER, status="completed",
                            payload={**common, "scanned": batch.scanned_count,
                                     "updated": batch.count("updated"), "failed": batch.count("failed"),
                                     "skipped": batch.count("skipped")})  # fmt: skip
        result = {"status": "completed", "dry_run": run["dry_run"], **counts,
                  "completed_at": env.timestamp(finished)}  # fmt: skip
    else:
        assert error is not None
        code = str(getattr(error, "code", None) or type(error).__name__)
        message = str(error) or code
        run |= {"status": "failed", "finished_at": finished,
                "details": {**details, "error_code": code, "error_message": message}}  # fmt: skip
        event = chain.event("owner.memory.reembed.failed", env.OWNER, env.OWNER, status="failed",
                            payload={**common, "error_code": code, "error_message": message[:500]})  # fmt: skip
        result = {"status": "failed", "error_code": code, "details": {"message": message},
                  "failed_at": env.timestamp(finished)}  # fmt: skip
    ctx.store.events.append_many([event])
    return {} if run["dry_run"] else {"last_result": result}
