"""Memory maintenance (origin §g 68–74): re-embed a tenant's long memory now, and its
re-embedding schedule — set, pause, resume, list, its runs, and running the due ones — at
``/internal/maintenance/owner-memory``.

As the other internal routes, these act for the token's tenant; an admin token names the tenant
it means, or names none to list every tenant's schedules and runs, or to run every due schedule.
The answers keep the origin's shapes, which are not wrapped in ``response``. A value out of range
is a 400 with the origin's code (``invalid_limit``, ``invalid_mode``...) pointing at the field; a
tenant without a schedule answers 404 ``not_found`` to pause and resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Query

from matrix.api.errors import ApiError, Detail
from matrix.api.routing import Api, Call, TenantQuery
from matrix.memory.reembed import DEFAULT_LIMIT, MaintenanceValueError
from matrix.memory.schedules import DEFAULT_LOCK_TTL, DEFAULT_RUNS, MAX_RUNS

TAGS = ["memory-maintenance"]
BASE = "/internal/maintenance/owner-memory/reembed"

RunsLimit = Annotated[
    int, Query(ge=1, le=MAX_RUNS, description=f"At most this many, newest first (1 to {MAX_RUNS}).")
]


def register(api: Api) -> None:
    @api.post(BASE, request="memory_maintenance.reembed_request",
              response="memory_maintenance.reembed_response", errors=(502,), tags=TAGS)  # fmt: skip
    def reembed_owner_memory(call: Call) -> dict[str, Any]:
        """Embed the tenant's live entries lacking a vector of its embedding model (at most
        ``limit``, oldest first), in one call to the embedder; 502 with the embedder's code when
        it fails (nothing written)."""
        r = call.request
        with _fields("request"):
            batch = call.app.memory_maintenance.reembed(
                call.tenant_id, limit=r.get("limit", DEFAULT_LIMIT), dry_run=r.get("dry_run", False),
                mode=r.get("mode"),
            )  # fmt: skip
        return batch.as_dict()

    @api.post(f"{BASE}/schedules", request="memory_maintenance.schedule_request",
              response="memory_maintenance.schedule_response", tags=TAGS)  # fmt: skip
    def set_reembed_schedule(call: Call) -> dict[str, Any]:
        """Set the tenant's re-embedding schedule; fields left out keep their values
        (``interval_minutes`` is required the first time)."""
        r = call.request
        with _fields("request"):
            schedule = call.app.memory_maintenance.upsert_schedule(
                call.tenant_id, interval_minutes=r.get("interval_minutes"), limit=r.get("limit"),
                enabled=r.get("enabled"), mode=r.get("mode"), run_now=r.get("run_now", False),
            )  # fmt: skip
        return {"schedule": schedule}

    @api.post(f"{BASE}/schedules/pause", request="memory_maintenance.pause_request",
              response="memory_maintenance.schedule_response", tags=TAGS)  # fmt: skip
    def pause_reembed_schedule(call: Call) -> dict[str, Any]:
        """Pause the tenant's schedule: no next run, and a held lock is cleared."""
        return {"schedule": call.app.memory_maintenance.pause_schedule(call.tenant_id)}

    @api.post(f"{BASE}/schedules/resume", request="memory_maintenance.resume_request",
              response="memory_maintenance.schedule_response", tags=TAGS)  # fmt: skip
    def resume_reembed_schedule(call: Call) -> dict[str, Any]:
        """Resume the tenant's schedule: its next run now with ``run_now``, else as it was."""
        run_now = call.request.get("run_now", False)
        return {
            "schedule": call.app.memory_maintenance.resume_schedule(call.tenant_id, run_now=run_now)
        }

    @api.get(f"{BASE}/schedules", response="memory_maintenance.schedules_response", tags=TAGS)
    def list_reembed_schedules(call: Call, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """The tenant's schedule (none or one); an admin naming no tenant gets every one."""
        tenant = _tenant_or_all(call, tenant_id)
        items = call.app.memory_maintenance.schedules(tenant)
        return {"tenant_id": tenant, "count": len(items), "items": items}

    @api.get(f"{BASE}/runs", response="memory_maintenance.runs_response", tags=TAGS)
    def list_reembed_runs(
        call: Call, tenant_id: TenantQuery = None, limit: RunsLimit = DEFAULT_RUNS
    ) -> dict[str, Any]:
        """The recorded runs of the tenant's schedule, newest first (an admin naming no tenant
        gets every tenant's)."""
        tenant = _tenant_or_all(call, tenant_id)
        with _fields("query"):
            items = call.app.memory_maintenance.runs(tenant, limit)
        return {"tenant_id": tenant, "count": len(items), "items": items}

    @api.post(f"{BASE}/schedules/run-due", request="memory_maintenance.run_due_request",
              response="memory_maintenance.run_due_response", tags=TAGS)  # fmt: skip
    def run_due_reembed_schedules(call: Call) -> dict[str, Any]:
        """Run the due schedules now: the tenant's (an admin naming no tenant: every tenant's),
        each under its lock; a run whose lock another process holds is ``skipped_locked``."""
        r = call.request
        tenant = _tenant_or_all(call, r.get("tenant_id"))
        with _fields("request"):
            return call.app.memory_maintenance.run_due(
                tenant, dry_run=r.get("dry_run", False), force=r.get("force", False),
                max_concurrency=r.get("max_concurrency", 1),
                lock_ttl_seconds=r.get("lock_ttl_seconds", DEFAULT_LOCK_TTL),
            )  # fmt: skip


def _tenant_or_all(call: Call, tenant_id: str | None) -> str | None:
    """The tenant named (checked as every route checks it); None for an admin naming none."""
    identity = call.caller.identity
    if not tenant_id and identity is not None and identity.admin:
        return None
    return call.for_tenant(tenant_id)


@contextmanager
def _fields(where: str) -> Iterator[None]:
    """Turn a value the service refuses into a 400 pointing at the field in ``where``."""
    try:
        yield
    except MaintenanceValueError as exc:
        raise ApiError(status=400, code=exc.code, message=str(exc),
                       details=[Detail(path=f"/{where}/{exc.field}", problem=str(exc))]) from None  # fmt: skip
