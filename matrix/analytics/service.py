"""The analytics store of one deployment: which engine, syncing it, how fresh it is, exporting.

``MATRIX_ANALYTICS_URL`` picks the engine: ``duckdb:///file.duckdb``, ``parquet:///folder``,
``clickhouse://user:pass@host:8123/db`` or ``chdb:///folder`` (ClickHouse in-process). Empty, a
DuckDB operational store is its own analytics engine (nothing is copied); a PostgreSQL store
needs one, and :meth:`Analytics.sync` says how to set it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from matrix.analytics.engine import Engine, pause_point
from matrix.analytics.sync import Progress, SyncReport, sync
from matrix.analytics.tables import BY_NAME, TABLES
from matrix.clock import Clock
from matrix.config import Settings
from matrix.errors import ConfigError, UsageError
from matrix.storage.layout import keep_sorted
from matrix.urls import mask_secrets

ADVICE = ("set MATRIX_ANALYTICS_URL to duckdb:///var/analytics.duckdb (one machine),"
          " parquet:///var/analytics (partitioned files) or clickhouse://user:pass@host:8123/db,"
          " then run `matrix analytics sync`")  # fmt: skip


def open_engine(url: str, *, lock_timeout: float = 30.0, pause_at: str = "") -> Engine:
    """The engine an analytics URL names.

    Raises:
        ConfigError: an unknown scheme or a URL without a path.
        MissingDependencyError: ClickHouse without its optional extra installed.
    """
    scheme, sep, rest = url.partition("://")
    path = rest[1:] if rest.startswith("/") else rest
    if scheme in ("duckdb", "parquet", "chdb") and (not sep or not path or path == ":memory:"):
        raise ConfigError(
            f"MATRIX_ANALYTICS_URL {url!r} names no file or folder; e.g. {scheme}:///var/analytics."
        )
    match scheme:
        case "duckdb":
            from matrix.analytics.duck import DuckDBFileEngine

            return DuckDBFileEngine(Path(path), lock_timeout=lock_timeout, pause_at=pause_at)
        case "parquet":
            from matrix.analytics.duck import ParquetEngine

            return ParquetEngine(Path(path), pause_at=pause_at)
        case "clickhouse" | "clickhouses" | "chdb":
            from matrix.analytics.clickhouse import ClickHouseEngine

            return ClickHouseEngine(
                url if scheme != "chdb" else f"chdb:///{path}", pause_at=pause_at
            )
        case _:
            raise ConfigError(
                f"MATRIX_ANALYTICS_URL {mask_secrets(url)!r} has an unknown scheme; use duckdb:///file.duckdb,"
                " parquet:///folder, clickhouse://host:8123/db or chdb:///folder."
            )


@dataclass(frozen=True, kw_only=True)
class TableFreshness:
    table: str
    copied_rows: int | None
    watermark: int | None
    rows_behind: int | None
    synced_at: datetime | None
    lag_seconds: float | None
    """Seconds since the table was last brought up to date (0 when the store is its own engine)."""

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["synced_at"] = self.synced_at.isoformat() if self.synced_at else None
        return out


@dataclass(kw_only=True)
class AnalyticsStatus:
    engine: str
    live: bool
    """True when metrics read the operational store itself (nothing to lag behind)."""
    tenant_id: str | None = None
    tables: list[TableFreshness] = field(default_factory=list)
    advice: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "live": self.live, "tenant_id": self.tenant_id,
                "tables": [t.as_dict() for t in self.tables], "advice": self.advice}  # fmt: skip


class Analytics:
    """The deployment's analytics store (see the module docstring)."""

    def __init__(self, store: Any, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._engine: Engine | None = None
        self._synced = False

    @property
    def configured(self) -> bool:
        return bool(self.settings.analytics_url)

    @property
    def has_upkeep(self) -> bool:
        """True when the scheduler has analytics work: a sync to an analytics store, or the
        re-sort of a DuckDB store that is its own engine."""
        return self.configured or self.store.dialect == "duckdb"

    @property
    def engine(self) -> Engine | None:
        """The analytics engine; None when the operational store answers itself (or has none)."""
        if self._engine is None and self.configured:
            self._engine = open_engine(self.settings.analytics_url, lock_timeout=self.settings.lock_timeout_seconds,
                                       pause_at=self.settings.analytics_pause_at)  # fmt: skip
        return self._engine

    # -- what the metric engine asks (see matrix.metrics.engine.Analytics) --------------------
    @property
    def active(self) -> bool:
        """True when metrics run here rather than on the operational store: an analytics store is
        set and has been synced once (until then the operational store answers)."""
        if not self._synced and self.configured and self.engine is not None:
            self._synced = bool(self.engine.states())
        return self._synced

    @property
    def dialect(self) -> str:
        engine = self.engine
        return engine.dialect if engine else self.store.dialect

    def query(
        self, sql: str, params: list[Any], *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        engine = self.engine
        if engine is None:
            raise ConfigError(
                f"Metrics on a {self.store.dialect} store need an analytics store: {ADVICE}."
            )
        return engine.query(sql, params, tenant_id=tenant_id)

    def freshness(self, table: str) -> dict[str, Any]:
        """How fresh the copy of ``table`` is, for a metric's provenance."""
        engine = self.engine
        if engine is None:
            return {
                "engine": f"{self.store.dialect} (operational store)",
                "as_of": "live",
                "lag_seconds": 0.0,
            }
        state = engine.states().get(table)
        now = self.clock.now()
        return {"engine": engine.url, "as_of": state.synced_at.isoformat() if state else None,
                "lag_seconds": (now - state.synced_at).total_seconds() if state else None}  # fmt: skip

    # -- the commands ---------------------------------------------------------------------------
    def sync(self, *, progress: Progress | None = None, wait_seconds: float = 5.0,
             batch_rows: int = 200_000) -> SyncReport:  # fmt: skip
        """Copy what is new into the analytics engine. When a DuckDB store is its own engine
        nothing is copied, and its telemetry is kept in tenant order (:mod:`matrix.storage.layout`)."""
        engine = self.engine
        if engine is None:
            if self.store.dialect == "duckdb":
                pause = self.settings.analytics_pause_at
                return SyncReport(sorted=keep_sorted(self.store.backend.transaction, now=self.clock.now(),
                                                     pause=lambda point: pause_point(point, pause)))  # fmt: skip
            raise ConfigError(
                f"The {self.store.dialect} store has no analytics store to sync: {ADVICE}."
            )
        return sync(self.store.analytics_source, engine, self.clock, progress=progress,
                    wait_seconds=wait_seconds, batch_rows=batch_rows)  # fmt: skip

    def run_job(self) -> int:
        """The scheduler's job: sync when an analytics store is set; on a DuckDB store that is
        its own engine, keep its telemetry in tenant order. Rows copied or re-sorted."""
        if not self.has_upkeep:
            return 0
        report = self.sync(wait_seconds=1.0)
        return report.total + sum(run.rows for run in report.sorted)

    def status(self, tenant_id: str | None = None) -> AnalyticsStatus:
        """Per table: rows copied, watermark, rows behind the operational store (the tenant's,
        when given) and seconds since the last sync. The dashboards show it beside the numbers."""
        if tenant_id is not None:
            self.store.tenants.require(tenant_id)
        engine = self.engine
        if engine is None:
            live = self.store.dialect == "duckdb"
            return AnalyticsStatus(engine=f"{self.store.dialect} (operational store)", live=live, tenant_id=tenant_id,
                                   advice=None if live else f"metrics copy rows for every query: {ADVICE}")  # fmt: skip
        states, now = engine.states(), self.clock.now()
        out = AnalyticsStatus(engine=engine.url, live=False, tenant_id=tenant_id)
        source = self.store.analytics_source
        for table in TABLES:
            state = states.get(table.name)
            behind = None
            if table.incremental:
                behind = source.behind(
                    table.name, state.watermark if state else 0, tenant_id=tenant_id
                )
            out.tables.append(TableFreshness(
                table=table.name, copied_rows=state.rows if state else None,
                watermark=state.watermark if state else None, rows_behind=behind,
                synced_at=state.synced_at if state else None,
                lag_seconds=(now - state.synced_at).total_seconds() if state else None))  # fmt: skip
        if not states:
            out.advice = "nothing copied yet: run `matrix analytics sync`"
        return out

    def close(self) -> None:
        """Let go of the engine (chdb allows one open session per process)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def export(
        self, out: Path, *, format: str = "parquet", progress: Progress | None = None
    ) -> SyncReport:
        """Copy every table into date/tenant-partitioned Parquet files under ``out``."""
        if format != "parquet":
            raise UsageError(f"--format {format!r} is not supported; use --format parquet.")
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is not a folder; name an empty or new folder.")
        if out.exists() and any(out.iterdir()) and not (out / "_sync").is_dir():
            raise UsageError(
                f"--out {out} is a folder with other files in it; name an empty or new folder."
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"--out {out} cannot be created ({exc.strerror}); name a folder you can write in."
            ) from None
        from matrix.analytics.duck import ParquetEngine

        engine = ParquetEngine(out)
        try:
            return sync(self.store.analytics_source, engine, self.clock, progress=progress)
        finally:
            engine.close()


__all__ = ["BY_NAME", "Analytics", "AnalyticsStatus", "TableFreshness", "open_engine"]
