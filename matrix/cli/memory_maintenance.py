"""``matrix memory reembed`` and ``matrix memory schedule …``: memory's re-embedding, now or on
a schedule. :func:`register` adds them to the ``memory`` group."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from matrix.cli.options import CONTEXT, F, json_option, open_app, storage_option, tenant_option
from matrix.cli.output import emit, plural, table
from matrix.errors import ProviderError
from matrix.memory.reembed import DEFAULT_LIMIT, MAX_LIMIT, MODES
from matrix.memory.schedules import (
    DEFAULT_LOCK_TTL,
    DEFAULT_RUNS,
    MAX_CONCURRENCY,
    MAX_INTERVAL_MINUTES,
    MAX_LOCK_TTL,
    MAX_RUNS,
    MIN_LOCK_TTL,
)

BATCH_COLUMNS = ("tenant_id", "status", "model", "scanned_count", "updated_count", "failed_count",
                 "skipped_count", "reason")  # fmt: skip
SCHEDULE_COLUMNS = ("tenant_id", "enabled", "interval_minutes", "limit", "mode", "last_run_at",
                    "next_run_at")  # fmt: skip
RUN_COLUMNS = ("run_id", "tenant_id", "trigger", "status", "dry_run", "started_at")


def _tenant(help_text: str) -> Callable[[F], F]:
    """``--tenant ID`` left out to mean every tenant (a named one must exist)."""
    return click.option("--tenant", "tenant_id", default=None, help=help_text)


def _mode(help_text: str) -> Callable[[F], F]:
    return click.option("--mode", type=click.Choice(MODES), default=None, help=help_text)


@click.command("reembed", context_settings=CONTEXT)
@_tenant("Tenant id (default: every tenant with live entries).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_LIMIT, show_default=True,
              help="Entries per tenant, oldest first.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="List what would be embedded; write nothing.")
@_mode("Embedding mode (default: the platform's).")
@storage_option
@json_option
def reembed(tenant_id: str | None, limit: int, dry_run: bool, mode: str | None,
            storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Embed entries lacking a vector of the tenant's embedding model (one call per tenant).

    Exit 1 when a tenant's embedder fails (nothing is written for that tenant).
    """
    from tqdm import tqdm

    with open_app(storage_url) as app:
        upkeep = app.memory_maintenance
        if tenant_id is not None:
            app.store.tenants.require(tenant_id)
        tenants = [tenant_id] if tenant_id is not None else upkeep.tenants()
        items: list[dict[str, Any]] = []
        with tqdm(total=len(tenants), unit="tenant", desc="re-embedding", file=sys.stderr,
                  disable=None) as bar:  # fmt: skip
            for tenant in tenants:
                try:
                    items.append(
                        upkeep.reembed(tenant, limit=limit, dry_run=dry_run, mode=mode).as_dict()
                    )
                except ProviderError as exc:
                    if tenant_id is not None:
                        raise
                    items.append({"tenant_id": tenant, "status": "failed", "reason": exc.code})
                bar.update(1)
    result = {"dry_run": dry_run, "count": len(items),
              "updated_count": sum(i.get("updated_count", 0) for i in items),
              "failed_count": sum(i.get("failed_count", 0) for i in items),
              "items": items}  # fmt: skip
    emit(result, as_json, _batches_text)
    if any(i["status"] == "failed" for i in items):
        raise SystemExit(1)


def _batches_text(r: dict[str, Any]) -> str:
    head = (f"{plural(r['updated_count'], 'entry', 'entries')} embedded, {r['failed_count']} failed,"
            f" over {plural(r['count'], 'tenant')}{' (dry run: nothing written)' if r['dry_run'] else ''}")  # fmt: skip
    return head + "\n" + table(r["items"], BATCH_COLUMNS)


@click.group("schedule", context_settings=CONTEXT)
def schedule() -> None:
    """Re-embedding schedules: the scheduler's memory job runs each due one."""


@schedule.command("set")
@tenant_option
@click.option("--interval-minutes", type=click.IntRange(1, MAX_INTERVAL_MINUTES), default=None,
              help=f"Minutes between runs, 1 to {MAX_INTERVAL_MINUTES} (required the first time).")  # fmt: skip
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=None,
              help=f"Entries per run, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).")  # fmt: skip
@click.option(
    "--enabled/--disabled", default=None, help="Turn it on or off (default: on, or as it was)."
)
@_mode("Embedding mode (default: the platform's, or as it was).")
@click.option("--run-now", is_flag=True, help="Make the next run now.")
@storage_option
@json_option
def schedule_set(tenant_id: str, interval_minutes: int | None, limit: int | None,
                 enabled: bool | None, mode: str | None, run_now: bool, storage_url: str | None,
                 as_json: bool) -> None:  # fmt: skip
    """Set the tenant's re-embedding schedule; options left out keep their values."""
    with open_app(storage_url) as app:
        result = app.memory_maintenance.upsert_schedule(
            tenant_id, interval_minutes=interval_minutes, limit=limit, enabled=enabled, mode=mode,
            run_now=run_now,
        )  # fmt: skip
    emit(result, as_json, _schedule_text)


@schedule.command("pause")
@tenant_option
@storage_option
@json_option
def schedule_pause(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Pause the tenant's schedule (no next run; a held lock is cleared)."""
    with open_app(storage_url) as app:
        result = app.memory_maintenance.pause_schedule(tenant_id)
    emit(result, as_json, _schedule_text)


@schedule.command("resume")
@tenant_option
@click.option("--run-now", is_flag=True, help="Make the next run now.")
@storage_option
@json_option
def schedule_resume(tenant_id: str, run_now: bool, storage_url: str | None, as_json: bool) -> None:
    """Resume the tenant's schedule."""
    with open_app(storage_url) as app:
        result = app.memory_maintenance.resume_schedule(tenant_id, run_now=run_now)
    emit(result, as_json, _schedule_text)


def _schedule_text(s: dict[str, Any]) -> str:
    state = f"next run {s['next_run_at']}" if s["enabled"] else "paused"
    return (f"{s['tenant_id']}: every {plural(s['interval_minutes'], 'minute')}, up to"
            f" {plural(s['limit'], 'entry', 'entries')}, mode {s['mode']}; {state}")  # fmt: skip


@schedule.command("list")
@_tenant("Tenant id (default: every tenant's).")
@storage_option
@json_option
def schedule_list(tenant_id: str | None, storage_url: str | None, as_json: bool) -> None:
    """Re-embedding schedules, by tenant."""
    with open_app(storage_url) as app:
        items = app.memory_maintenance.schedules(tenant_id)
    emit({"tenant_id": tenant_id, "count": len(items), "items": items}, as_json,
         lambda r: table(r["items"], SCHEDULE_COLUMNS))  # fmt: skip


@schedule.command("runs")
@_tenant("Tenant id (default: every tenant's).")
@click.option("--limit", type=click.IntRange(1, MAX_RUNS), default=DEFAULT_RUNS, show_default=True)
@storage_option
@json_option
def schedule_runs(
    tenant_id: str | None, limit: int, storage_url: str | None, as_json: bool
) -> None:
    """Recorded runs of the schedules, newest first."""
    with open_app(storage_url) as app:
        items = app.memory_maintenance.runs(tenant_id, limit)
    emit({"tenant_id": tenant_id, "count": len(items), "items": items}, as_json,
         lambda r: table(r["items"], RUN_COLUMNS))  # fmt: skip


@schedule.command("run-due")
@_tenant("Tenant id (default: every tenant's due schedule).")
@click.option("--dry-run", is_flag=True, help="Run the batches as dry runs: write nothing.")
@click.option("--force", is_flag=True, help="Run every enabled schedule, due or not.")
@click.option("--max-concurrency", type=click.IntRange(1, MAX_CONCURRENCY), default=1,
              show_default=True, help="Tenants run at once.")  # fmt: skip
@click.option("--lock-ttl-seconds", type=click.IntRange(MIN_LOCK_TTL, MAX_LOCK_TTL),
              default=DEFAULT_LOCK_TTL, show_default=True,
              help="How long a run's lock holds (an expired one is taken over).")  # fmt: skip
@storage_option
@json_option
def schedule_run_due(tenant_id: str | None, dry_run: bool, force: bool, max_concurrency: int,
                     lock_ttl_seconds: int, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Run the due schedules now, each under its tenant's lock."""
    with open_app(storage_url) as app:
        result = app.memory_maintenance.run_due(
            tenant_id, dry_run=dry_run, force=force, max_concurrency=max_concurrency,
            lock_ttl_seconds=lock_ttl_seconds,
        )  # fmt: skip
    emit(result, as_json, _run_due_text)
    if result["failed_count"]:
        raise SystemExit(1)


def _run_due_text(r: dict[str, Any]) -> str:
    head = (f"{plural(r['due_count'], 'due schedule')}: {r['executed_count']} run,"
            f" {r['failed_count']} failed, {r['skipped_locked_count']} skipped (locked)")  # fmt: skip
    return head + ("\n" + table(r["runs"], RUN_COLUMNS) if r["runs"] else "")


def register(group: click.Group) -> None:
    """Add the re-embedding commands to the ``memory`` group."""
    group.add_command(reembed)
    group.add_command(schedule)
