"""The sync: copy the operational store's new rows into the analytics engine, exactly once.

An incremental table is read in ``seq`` order from the engine's watermark up to the store's safe
horizon (see :mod:`matrix.storage.analytics_source`), in batches; each batch and its new
watermark are recorded atomically by the engine. Tables that change in place are copied whole
and swapped in. A sync first lets the engine undo or finish what a killed sync left behind, so
running it again after a crash copies every row exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matrix.analytics.engine import Engine
from matrix.analytics.tables import TABLES
from matrix.clock import Clock
from matrix.storage.layout import SortedRun

Progress = Callable[[str, int, int], None]
"""Called with (table, rows copied so far, rows to copy) after each batch."""


@dataclass(kw_only=True)
class SyncReport:
    """What one sync did, per table: rows copied, and tables held back by open transactions."""

    copied: dict[str, int] = field(default_factory=dict)
    held_back: list[str] = field(default_factory=list)
    recovered: int = 0
    sorted: list[SortedRun] = field(default_factory=list)
    """Months of telemetry rewritten in tenant order after the copy (:mod:`matrix.storage.layout`)."""

    @property
    def total(self) -> int:
        return sum(self.copied.values())

    def as_dict(self) -> dict[str, Any]:
        return {"copied": self.copied, "total": self.total, "held_back": self.held_back,
                "recovered": self.recovered, "sorted": [r.as_dict() for r in self.sorted]}  # fmt: skip


def sync(
    source: Any, engine: Engine, clock: Clock, *, batch_rows: int = 200_000,
    wait_seconds: float = 5.0, progress: Progress | None = None, whole_tables: bool = True,
) -> SyncReport:  # fmt: skip
    """Bring ``engine`` up to date with ``source`` (a :class:`SqlAnalyticsSource`)."""
    report = SyncReport(recovered=engine.recover())
    states = engine.states()
    for table in TABLES:
        schema = source.schema(table.name)
        if not table.incremental:
            if whole_tables:
                rows = source.whole(table.name, schema)
                engine.replace(table.name, rows, synced_at=clock.now())
                report.copied[table.name] = rows.num_rows
            continue
        horizon = source.safe_horizon(table.name, wait_seconds=wait_seconds)
        state = states.get(table.name)
        mark = state.watermark if state else 0
        if horizon is None:
            report.held_back.append(table.name)
            report.copied[table.name] = 0
            continue
        todo = source.behind(table.name, mark) if progress else 0
        done = 0
        first = state is None
        while mark < horizon or first:
            batch = source.rows_after(
                table.name, schema, after=mark, upto=horizon, limit=batch_rows
            )
            first = False
            if batch.num_rows == 0:
                if state is None:  # an empty table still gets its (empty) copy and state
                    engine.append(table.name, batch, watermark=horizon, synced_at=clock.now())
                break
            last = int(batch.column("seq")[-1].as_py())
            # A short batch is the last below the horizon: the watermark may jump to the horizon
            # (numbers in between were rolled back or skipped, and can never appear).
            mark = horizon if batch.num_rows < batch_rows else last
            engine.append(table.name, batch, watermark=mark, synced_at=clock.now())
            done += batch.num_rows
            if progress:
                progress(table.name, done, max(todo, done))
        if done == 0 and state is not None:  # nothing new: the copy is current as of now
            empty = source.rows_after(table.name, schema, after=mark, upto=mark, limit=1)
            engine.append(table.name, empty, watermark=mark, synced_at=clock.now())
        report.copied[table.name] = done
    report.sorted = engine.maintain(clock.now())
    return report
