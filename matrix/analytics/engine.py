"""The analytics engine seam: what every engine (DuckDB file, Parquet, ClickHouse) offers.

An engine holds copies of the operational tables and, beside them, the sync state of each: its
watermark (the highest ``seq`` copied, for an incremental table), how many rows it holds and
when it was synced. The watermark is recorded atomically with the rows it covers, so a sync
killed at any moment and started again copies every row exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa

from matrix.storage.layout import SortedRun


@dataclass(frozen=True, kw_only=True)
class TableState:
    """One table's copy in the analytics store."""

    table: str
    watermark: int
    """The highest ``seq`` copied (0 for a table copied whole)."""
    rows: int
    synced_at: datetime


class Engine(Protocol):
    """A columnar store the metrics run on."""

    dialect: str
    """``duckdb`` or ``clickhouse``: which SQL the catalog hands it."""
    url: str
    """Where it is, with any password masked."""

    def query(
        self, sql: str, params: Sequence[Any] = (), *, tenant_id: str | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one read-only query with ``?`` placeholders. ``tenant_id``, when given, is the one
        tenant whose rows the query reads (it filters on it): an engine may open only that
        tenant's part of an incremental table."""
        ...

    def states(self) -> dict[str, TableState]:
        """The sync state of every table copied so far."""
        ...

    def recover(self) -> int:
        """Undo or finish what a killed sync left half-done; how many rows or files it fixed."""
        ...

    def append(self, table: str, rows: pa.Table, *, watermark: int, synced_at: datetime) -> None:
        """Add ``rows`` (all with ``seq`` above the current watermark) and move the watermark,
        atomically."""
        ...

    def replace(self, table: str, rows: pa.Table, *, synced_at: datetime) -> None:
        """Swap in a whole new copy of ``table``, atomically."""
        ...

    def maintain(self, now: datetime) -> list[SortedRun]:
        """Keep the copies laid out for a tenant's queries after a sync; the runs rewritten
        (a DuckDB file re-sorts telemetry by tenant; ClickHouse merges by itself, and Parquet
        is partitioned by tenant already)."""
        ...

    def close(self) -> None: ...


PAUSE_POINTS = ("after_rows", "after_delete")
"""Where a sync can be told to stop (``MATRIX_ANALYTICS_PAUSE_AT``): for crash tests. ``after_delete``
is inside a re-sort (:mod:`matrix.storage.layout`), between deleting a month and inserting it again."""


def pause_point(point: str, pause_at: str) -> None:
    """Stop here for good when ``pause_at`` names ``point`` (``after_rows:MARKER``): write the
    marker file so a crash test knows the sync has reached it, then wait to be killed."""
    if not pause_at:
        return
    name, _, marker = pause_at.partition(":")
    if name != point:
        return
    import time
    from pathlib import Path

    Path(marker).write_text(point, "utf-8")
    while True:
        time.sleep(3600)
