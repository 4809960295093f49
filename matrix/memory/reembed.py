"""Re-embedding: give a tenant's live entries a vector of its current embedding model.

An entry is kept with a vector only when the tenant's embedder runs here (a remote one is never
called inside the interaction's transaction), and vectors are only ever compared with vectors of
the same model: after a tenant's model changes, its entries take part in the vector search again
only once they have a vector of the new model. :func:`run_batch` gives them one — the entries
lacking it, oldest first, embedded in **one** call outside any transaction (a remote embedder is
a network call), then written in one transaction. A vector of the wrong dimension, or with a NaN
or an infinity in it, fails its entry and writes nothing for it; a failing embedder fails the
batch and writes nothing at all. Each entry written gets ``metadata.embedding_backfill`` and an
audit row ``reembedded``.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from matrix import envelopes as env
from matrix.approvals.ports import EventSink, TelemetrySink, TenantDirectory
from matrix.clock import Clock
from matrix.errors import ProviderError, UsageError
from matrix.issues import Issue, Level
from matrix.memory import usage
from matrix.memory.ports import Embedder, EmbedderSelector, MemoryRepository, Record

if TYPE_CHECKING:  # the concierge imports memory; memory needs only its type
    from matrix.concierge.ports import TenantAI

MODES = ("auto", "openai", "local", "off")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
TRIGGERS = ("manual", "backfill", "schedule-run-due", "manual-run-due")
"""What asked for a batch: a person (the API, the command line), the scheduler's sweep of
tenants without a schedule, a schedule's run from the scheduler, or a run-due asked for."""
ACTOR = "reembed"


class MaintenanceRepository(Protocol):
    """The store's re-embedding schedules, runs and sweeps (``matrix.storage.memory_maintenance``)."""

    def schedule(self, tenant_id: str) -> Record | None: ...

    def schedules(self, tenant_id: str | None = None) -> list[Record]: ...

    def due_schedules(
        self, now: datetime, *, tenant_id: str | None, force: bool
    ) -> list[Record]: ...

    def insert_schedule(self, record: Record) -> bool: ...

    def update_schedule(
        self, tenant_id: str, changes: Record, *, lock_owner: str | None = None
    ) -> bool: ...

    def take_lock(
        self, tenant_id: str, owner: str, now: datetime, until: datetime, *, force: bool
    ) -> tuple[str, Record | None]: ...

    def add_run(self, record: Record) -> None: ...

    def runs(self, tenant_id: str | None, limit: int) -> list[Record]: ...

    def tenants_with_entries(self) -> list[str]: ...

    def tenants_needing_vectors(self, limit: int) -> list[str]: ...

    def unembedded(self, tenant_id: str, model: str, ids: Sequence[str]) -> set[str]: ...

    def episodes_to_summarise(
        self, tenants: Sequence[str], now: datetime, *, limit: int, max_attempts: int
    ) -> list[Record]: ...

    def summarised(self, tenant_id: str, episode_id: str, summary: str, at: datetime) -> bool: ...

    def summary_failed(
        self, tenant_id: str, episode_id: str, attempts: int, retry_at: datetime | None
    ) -> None: ...


class KeyDirectory(Protocol):
    def tenants_with_secret(self, name: str) -> set[str]: ...


class MaintenanceStore(Protocol):
    """The parts of the operational store memory's upkeep uses."""

    @property
    def memory(self) -> MemoryRepository: ...

    @property
    def memory_maintenance(self) -> MaintenanceRepository: ...

    @property
    def tenants(self) -> TenantDirectory: ...

    @property
    def events(self) -> EventSink: ...

    @property
    def telemetry(self) -> TelemetrySink: ...

    @property
    def runtime_config(self) -> KeyDirectory: ...

    def transaction(self) -> AbstractContextManager[object]: ...


@dataclass(frozen=True, kw_only=True)
class Context:
    """What the upkeep runs against: the store, the clock, each tenant's embedder and AI
    settings, and the embedding mode used when none is asked for."""

    store: MaintenanceStore
    clock: Clock
    embedders: EmbedderSelector | None
    ai_of: Callable[[str], TenantAI | None]
    default_mode: str = "auto"


class MaintenanceValueError(UsageError):
    """A re-embedding or schedule value that cannot work; ``code`` is the origin's
    (``invalid_limit``, ``invalid_mode``, ``invalid_interval_minutes``...), and the issue names
    the field."""

    def __init__(self, message: str, *, code: str, field: str) -> None:
        super().__init__(message, issues=[Issue(level=Level.ERROR, where=field, message=message)])
        self.code = code
        self.field = field


def whole(value: Any, name: str, minimum: int, maximum: int, code: str | None = None) -> int:
    """``value`` as a whole number from ``minimum`` to ``maximum``, or a refusal naming ``name``."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)  # JSON's 50.0 is the integer 50
    if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum:
        return value
    shown = repr(value) if not isinstance(value, str) else f"'{value[:40]}'"
    raise MaintenanceValueError(
        f"{name} must be a whole number from {minimum} to {maximum}, got {shown}; give one in"
        " that range.", code=code or f"invalid_{name}", field=name,
    )  # fmt: skip


def mode_of(value: Any) -> str:
    if isinstance(value, str) and value in MODES:
        return value
    shown = repr(value) if not isinstance(value, str) else f"'{value[:40]}'"
    raise MaintenanceValueError(
        f"mode must be one of {', '.join(MODES)}, got {shown}.", code="invalid_mode", field="mode"
    )


@dataclass(frozen=True, kw_only=True)
class Item:
    memory_id: str
    status: str
    """``dry_run``, ``updated``, ``failed`` or ``skipped``."""
    reason: str | None = None
    embedding_ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"memory_id": self.memory_id, "status": self.status, "reason": self.reason,
                "embedding_ref": self.embedding_ref}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Batch:
    """What one batch did (the origin's answer to a re-embed, plus its status and model)."""

    tenant_id: str
    mode: str
    dry_run: bool
    status: str = "completed"
    """``completed``, or ``skipped`` when there is no embedder (mode off, or none set up)."""
    reason: str | None = None
    model: str | None = None
    dimension: int | None = None
    scanned_count: int = 0
    items: tuple[Item, ...] = field(default_factory=tuple)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id, "mode": self.mode, "dry_run": self.dry_run,
            "status": self.status, "reason": self.reason, "model": self.model,
            "dimension": self.dimension, "scanned_count": self.scanned_count,
            "updated_count": self.count("updated"), "failed_count": self.count("failed"),
            "skipped_count": self.count("skipped"), "processed": [i.as_dict() for i in self.items],
        }  # fmt: skip


def select(ctx: Context, tenant_id: str, mode: str) -> Embedder | None:
    """The embedder that serves ``tenant_id`` in ``mode`` (None: off, or none set up).

    Raises:
        ProviderError: the mode needs what the platform lacks (``openai_not_configured``).
    """
    if mode == "off" or ctx.embedders is None:
        return None
    return ctx.embedders(ctx.ai_of(tenant_id), mode)


def run_batch(
    ctx: Context, tenant_id: str, *, limit: Any = DEFAULT_LIMIT, dry_run: bool = False,
    mode: Any = None, trigger: str = "manual", run_id: str | None = None,
) -> Batch:  # fmt: skip
    """Embed up to ``limit`` of the tenant's live entries that lack a vector of its model.

    Call it outside any transaction: the embedder is called between the read and the write.

    Raises:
        MaintenanceValueError: ``limit`` is not 1 to 500, or ``mode`` not a known one.
        NotFoundError: unknown tenant.
        ProviderError: the embedder failed (nothing was written).
    """
    assert trigger in TRIGGERS, trigger
    limit = whole(limit, "limit", 1, MAX_LIMIT)
    mode = mode_of(ctx.default_mode if mode is None else mode)
    store = ctx.store
    store.tenants.require(tenant_id)
    embedder = select(ctx, tenant_id, mode)
    if embedder is None:
        reason = "embedding_mode_off" if mode == "off" else "no_embedder"
        return Batch(
            tenant_id=tenant_id, mode=mode, dry_run=dry_run, status="skipped", reason=reason
        )
    model = embedder.model
    entries = store.memory.lacking_vector(tenant_id, model, limit)
    if dry_run or not entries:
        return Batch(tenant_id=tenant_id, mode=mode, dry_run=dry_run, model=model,
                     dimension=embedder.dimension, scanned_count=len(entries),
                     items=tuple(Item(memory_id=e["memory_id"], status="dry_run", embedding_ref=model)
                                 for e in entries))  # fmt: skip
    vectors = _embed(ctx, tenant_id, embedder, [e["content"] for e in entries], run_id)
    dimension = embedder.dimension  # an embedder may learn it from its first answer
    items: dict[str, Item] = {}
    good: dict[str, list[float]] = {}
    for entry, vector in zip(entries, vectors, strict=True):
        memory_id = entry["memory_id"]
        problem = _problem(vector, dimension)
        if problem is None:
            good[memory_id] = [float(x) for x in vector]
        else:
            status = "skipped" if problem == "embedding_vector_missing" else "failed"
            items[memory_id] = Item(memory_id=memory_id, status=status, reason=problem)
    items.update(_write(ctx, tenant_id, embedder, dimension, good, trigger, run_id))
    return Batch(tenant_id=tenant_id, mode=mode, dry_run=False, model=model, dimension=dimension,
                 scanned_count=len(entries), items=tuple(items[e["memory_id"]] for e in entries))  # fmt: skip


def _embed(
    ctx: Context, tenant_id: str, embedder: Embedder, texts: list[str], run_id: str | None
) -> list[list[float]]:
    """One call for every text; a remote embedder's call is a telemetry row (its latency, or
    its error)."""
    error: ProviderError | None = None
    vectors: list[list[float]] = []
    tokens, latency_ms, started = 0, 0.0, time.perf_counter()
    try:
        vectors, tokens, latency_ms = usage.embed_counted(embedder, texts)
        if len(vectors) != len(texts):
            error = ProviderError(
                f"The embedder {embedder.model} returned {len(vectors)} vectors for"
                f" {len(texts)} texts; nothing was written.", code="embedding_count_mismatch",
            )  # fmt: skip
    except ProviderError as exc:
        error, latency_ms = exc, (time.perf_counter() - started) * 1000
    if embedder.remote:
        ctx.store.telemetry.insert_many([usage.call_row(
            tenant_id, embedder, name="memory.reembed", at=ctx.clock.now(), tokens=tokens,
            latency_ms=latency_ms, correlation_id=run_id, error_code=error.code if error else None,
        )])  # fmt: skip
    if error is not None:
        raise error
    return vectors


def _problem(vector: Sequence[float] | None, dimension: int) -> str | None:
    """Why a vector cannot be kept, or None."""
    if not vector:
        return "embedding_vector_missing"
    if len(vector) != dimension:
        return "wrong_dimension"
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in vector):
        return "not_finite"
    return None


def _write(
    ctx: Context, tenant_id: str, embedder: Embedder, dimension: int,
    vectors: dict[str, list[float]], trigger: str, run_id: str | None,
) -> dict[str, Item]:  # fmt: skip
    """Write the vectors in one transaction, only for entries that still lack one (another
    process may have written it meanwhile, or superseded the entry)."""
    if not vectors:
        return {}
    store, repo, model, now = ctx.store, ctx.store.memory, embedder.model, ctx.clock.now()
    out: dict[str, Item] = {}
    with store.transaction():
        still = store.memory_maintenance.unembedded(tenant_id, model, list(vectors))
        for memory_id in vectors:
            if memory_id not in still:
                out[memory_id] = Item(memory_id=memory_id, status="skipped",
                                      reason="already_embedded_or_gone")  # fmt: skip
        repo.put_vectors(tenant_id, model, [(m, v) for m, v in vectors.items() if m in still], now)
        note = {"model": model, "dimension": dimension, "updated_at": env.timestamp(now)}
        for entry in repo.entries(tenant_id, ids=sorted(still), limit=len(still) or 1):
            memory_id = entry["memory_id"]
            noted = repo.update_entry(
                tenant_id, memory_id,
                {"metadata": {**entry["metadata"], "embedding_backfill": note}, "updated_at": now},
                expect={"updated_at": entry["updated_at"]},
            )  # fmt: skip
            repo.audit({
                "audit_id": str(uuid.uuid4()), "tenant_id": tenant_id, "memory_id": memory_id,
                "action": "reembedded", "old_status": entry["status"], "new_status": entry["status"],
                "old_value": None, "new_value": None, "reason_code": trigger, "actor": ACTOR,
                "details": {"model": model, "dimension": dimension, "run_id": run_id},
                "correlation_id": run_id, "created_at": now,
            })  # fmt: skip
            out[memory_id] = Item(memory_id=memory_id, status="updated", embedding_ref=model,
                                  reason=None if noted else "metadata_changed_meanwhile")  # fmt: skip
    return out
