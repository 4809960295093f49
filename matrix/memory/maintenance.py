"""Memory's upkeep for one store: re-embedding (a batch now, or on a schedule) and episode
summaries from the tenant's model — what the API, the command line and the scheduler's
``memory`` job call.

Each run of the job (:meth:`Maintenance.tick`):

1. runs the due re-embedding schedules (:func:`matrix.memory.schedules.run_due`);
2. embeds a batch of :data:`BACKFILL_LIMIT` entries for each tenant *without* a schedule that
   has entries lacking a vector — the tenants found in one query, not a scan per tenant; a
   tenant whose batch wrote nothing (its embedder failing, or its vectors refused) waits
   :data:`QUIET` before the job tries it again;
3. asks for the due episode summaries (:func:`matrix.memory.summaries.summarise_due`).

It returns how much it did, so the scheduler runs it again at once while there is work and waits
its period when there is none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from matrix.clock import Clock
from matrix.errors import MatrixError
from matrix.memory import schedules as plans
from matrix.memory import summaries
from matrix.memory.ports import EmbedderSelector
from matrix.memory.reembed import DEFAULT_LIMIT, Batch, Context, MaintenanceStore, run_batch

if TYPE_CHECKING:  # the concierge imports memory; memory needs only its type
    from matrix.concierge.ports import TenantAI

BACKFILL_LIMIT = DEFAULT_LIMIT
BACKFILL_TENANTS = 20
"""Tenants the job embeds for in one run (the next run, at once, takes the next ones)."""
QUIET = timedelta(minutes=5)

log = logging.getLogger(__name__)


class Maintenance:
    """Re-embedding and summaries of every tenant of one store."""

    def __init__(
        self, store: MaintenanceStore, clock: Clock, *, embedders: EmbedderSelector | None,
        ai_of: Callable[[str], TenantAI | None], models: summaries.Models | None = None,
        default_mode: str = "auto",
    ) -> None:  # fmt: skip
        """``ai_of`` reads a tenant's AI settings; ``models`` gives the structured model of a
        tenant with its own key (None: no summaries are asked for); ``default_mode`` is the
        embedding mode of a batch or a new schedule that names none."""
        self.ctx = Context(store=store, clock=clock, embedders=embedders, ai_of=ai_of,
                           default_mode=default_mode)  # fmt: skip
        self.models = models
        self._quiet: dict[str, datetime] = {}
        self._lock = threading.Lock()

    # -- a batch now --------------------------------------------------------------------------

    def reembed(
        self, tenant_id: str, *, limit: Any = DEFAULT_LIMIT, dry_run: bool = False,
        mode: Any = None,
    ) -> Batch:  # fmt: skip
        """Embed the tenant's entries lacking a vector of its model (see
        :func:`matrix.memory.reembed.run_batch`)."""
        return run_batch(self.ctx, tenant_id, limit=limit, dry_run=dry_run, mode=mode)

    def tenants(self) -> list[str]:
        """The tenants that have live entries (what a re-embed of every tenant goes over)."""
        return self.ctx.store.memory_maintenance.tenants_with_entries()

    # -- schedules ----------------------------------------------------------------------------

    def upsert_schedule(self, tenant_id: str, **fields: Any) -> dict[str, Any]:
        return plans.upsert(self.ctx, tenant_id, **fields)

    def pause_schedule(self, tenant_id: str) -> dict[str, Any]:
        return plans.pause(self.ctx, tenant_id)

    def resume_schedule(self, tenant_id: str, *, run_now: bool = False) -> dict[str, Any]:
        return plans.resume(self.ctx, tenant_id, run_now=run_now)

    def schedules(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        return plans.listed(self.ctx, tenant_id)

    def runs(
        self, tenant_id: str | None = None, limit: Any = plans.DEFAULT_RUNS
    ) -> list[dict[str, Any]]:
        return plans.runs(self.ctx, tenant_id, limit)

    def run_due(self, tenant_id: str | None = None, **options: Any) -> dict[str, Any]:
        return plans.run_due(self.ctx, tenant_id, **options)

    # -- the scheduler's job ------------------------------------------------------------------

    def tick(self) -> int:
        """One run of the scheduler's ``memory`` job; how much it did."""
        done = self.run_due(trigger="schedule-run-due")["executed_count"]
        done += self.backfill()
        if self.models is not None:
            done += summaries.summarise_due(self.ctx, self.models)
        return int(done)

    def backfill(self) -> int:
        """Embed a batch for each tenant without a schedule whose entries lack vectors (at most
        :data:`BACKFILL_TENANTS` tenants); how many entries were written."""
        if self.ctx.embedders is None:
            return 0
        now, written, tried = self.ctx.clock.now(), 0, 0
        for tenant_id in self.ctx.store.memory_maintenance.tenants_needing_vectors(
            BACKFILL_TENANTS * 5
        ):
            if tried >= BACKFILL_TENANTS:
                break
            with self._lock:
                if self._quiet.get(tenant_id, now) > now:
                    continue
            tried += 1
            try:
                updated = run_batch(self.ctx, tenant_id, limit=BACKFILL_LIMIT,
                                    trigger="backfill").count("updated")  # fmt: skip
            except MatrixError as exc:  # one tenant's failure must not stop the others
                # Recorded as the call's telemetry row; tried again after a quiet period.
                log.info("re-embedding %s failed: %s", tenant_id, exc)
                updated = 0
            with self._lock:
                if updated:
                    self._quiet.pop(tenant_id, None)
                else:
                    self._quiet[tenant_id] = now + QUIET
            written += updated
        return written
