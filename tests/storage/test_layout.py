"""Telemetry re-sorted by tenant on DuckDB: the same rows, fewer row groups per tenant, once a
day, and nothing lost or doubled when a re-sort fails between its delete and its insert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.metrics import compute
from matrix.storage import Store, open_store
from matrix.storage.layout import keep_sorted

OCT = datetime(2026, 10, 1, tzinfo=UTC)
ROWS = 400_000  # a little over three row groups of 122,880
TENANTS = 20


def _store(tmp_path: Path, rows: int) -> Store:
    """A DuckDB store with ``rows`` requests spread evenly over the first 28 days of October, in
    time order with every tenant mixed in, as rows arrive."""
    store = open_store(settings=Settings.load(storage_url=f"duckdb:///{tmp_path / 's.duckdb'}"),
                       clock=FrozenClock(datetime(2026, 11, 5, 9, tzinfo=UTC)), migrate=True)  # fmt: skip
    for i in range(TENANTS):
        store.tenants.add(f"t{i:02d}")
    with store.backend.transaction() as tx:
        tx.execute(
            "INSERT INTO telemetry (tenant_id, recorded_at, kind, name, status, latency_ms)"
            " SELECT 't' || lpad((i % ?)::VARCHAR, 2, '0'), ?::TIMESTAMPTZ + to_microseconds(i * ?),"
            " 'request', 'owner.interaction', CASE WHEN i % 7 = 0 THEN 'error' ELSE 'ok' END,"
            " (i * 37 % 1000)::DOUBLE FROM range(?) t(i)",
            [TENANTS, OCT, 28 * 86_400_000_000 // rows, rows],
        )
    return store


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Store]:
    store = _store(tmp_path, 20_000)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Store]:
    store = _store(tmp_path, ROWS)
    try:
        yield store
    finally:
        store.close()


def _rows(store: Store) -> list[tuple[Any, ...]]:
    with store.backend.transaction() as tx:
        return sorted(tx.query("SELECT * FROM telemetry"), key=lambda r: r[-1])  # by seq


def _groups_holding(store: Store, tenant: str) -> tuple[int, int]:
    """(row groups whose tenant_id range includes ``tenant``, row groups in all)."""
    with store.backend.transaction() as tx:
        stats = tx.query(
            "SELECT row_group_id, stats FROM pragma_storage_info('telemetry')"
            " WHERE column_name = 'tenant_id' AND segment_type = 'VARCHAR'"
        )
    ranges: dict[int, tuple[str, str]] = {}
    for group, found in stats:
        low, high = found["min"], found["max"]
        old = ranges.get(group, (low, high))
        ranges[group] = (min(old[0], low), max(old[1], high))
    return sum(low <= tenant <= high for low, high in ranges.values()), len(ranges)


def _ratio(store: Store, tenant: str) -> list[tuple[Any, ...]]:
    result = compute(store, "owner_interaction_success_ratio", tenant_id=tenant, since=OCT,
                     until=OCT + timedelta(days=40), grain="day")  # fmt: skip
    return list(result.frame.itertuples(index=False))


def test_resort_keeps_every_row_and_puts_a_tenant_in_few_row_groups(big: Store) -> None:
    before, numbers = _rows(big), _ratio(big, "t07")
    spread, groups = _groups_holding(big, "t07")
    assert spread == groups >= 4, "rows in arrival order: every row group holds every tenant"
    runs = keep_sorted(big.backend.transaction, now=datetime(2026, 11, 5, 9, tzinfo=UTC))
    assert [(r.since, r.until, r.rows) for r in runs] == [
        (OCT, datetime(2026, 11, 1, tzinfo=UTC), ROWS),
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC), 0),
    ]
    assert _rows(big) == before, "the same rows, seq and all"
    assert _ratio(big, "t07") == numbers
    spread, groups = _groups_holding(big, "t07")
    assert spread <= 2 < groups, (spread, groups)


def test_resort_runs_once_a_day_and_then_only_for_the_current_month(duck: Store) -> None:
    first = keep_sorted(duck.backend.transaction, now=datetime(2026, 10, 20, 9, tzinfo=UTC))
    assert [(r.since, r.until) for r in first] == [(OCT, datetime(2026, 10, 20, tzinfo=UTC))]
    assert keep_sorted(duck.backend.transaction, now=datetime(2026, 10, 20, 23, tzinfo=UTC)) == []
    nxt = keep_sorted(duck.backend.transaction, now=datetime(2026, 11, 3, 1, tzinfo=UTC))
    # October is rewritten whole (its days after the 19th were not sorted yet), then November.
    assert [(r.since, r.until) for r in nxt] == [
        (OCT, datetime(2026, 11, 1, tzinfo=UTC)),
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
    ]
    [again] = keep_sorted(duck.backend.transaction, now=datetime(2026, 11, 4, 1, tzinfo=UTC))
    assert again.since == datetime(2026, 11, 1, tzinfo=UTC)
    with duck.backend.transaction() as tx:
        assert tx.query("SELECT table_name, sorted_until, rows FROM telemetry_layout") == [
            ("telemetry", datetime(2026, 11, 4, tzinfo=UTC), 0)
        ]


def test_a_row_arriving_after_its_month_was_sorted_still_counts(duck: Store) -> None:
    keep_sorted(duck.backend.transaction, now=datetime(2026, 11, 5, tzinfo=UTC))
    day = OCT + timedelta(days=3)
    [(_, _, counted)] = [r for r in _ratio(duck, "t07") if r[0] == day]
    late = day + timedelta(seconds=1)
    duck.telemetry.insert_many([{"tenant_id": "t07", "recorded_at": late, "kind": "request",
                                 "name": "owner.interaction", "status": "error"}])  # fmt: skip
    [(_, _, now_counted)] = [r for r in _ratio(duck, "t07") if r[0] == day]
    assert now_counted == counted + 1  # counted with its day, though not in the sorted run
    with duck.backend.transaction() as tx:
        assert tx.query("SELECT count(*) FROM telemetry")[0][0] == 20_001


def test_a_resort_that_fails_between_delete_and_insert_changes_nothing(duck: Store) -> None:
    before = _rows(duck)

    def crash(point: str) -> None:
        assert point == "after_delete"
        raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        keep_sorted(duck.backend.transaction, now=datetime(2026, 11, 5, tzinfo=UTC), pause=crash)
    assert _rows(duck) == before
    with duck.backend.transaction() as tx:
        assert tx.query("SELECT count(*) FROM telemetry_layout")[0][0] == 0
    assert len(keep_sorted(duck.backend.transaction, now=datetime(2026, 11, 5, tzinfo=UTC))) == 2
    assert _rows(duck) == before


def test_matrix_analytics_sync_on_a_duckdb_store_resorts_and_says_so(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from matrix.cli.root import main

    store = _store(tmp_path, 2_000)
    url = store.settings.storage_url
    store.close()

    def sync() -> tuple[int, str]:
        with CliRunner().isolation(env={"MATRIX_STORAGE_URL": url}) as (out, err, _):
            code = main(["analytics", "sync"])
            return code, out.getvalue().decode() + err.getvalue().decode()

    code, said = sync()
    assert code == 0, said
    assert "nothing to copy: the store is its own analytics engine" in said
    assert "re-sorted telemetry by tenant from 2026-10-01 to 2026-11-01: 2000 rows" in said
    code, said = sync()
    assert code == 0 and "re-sorted" not in said, said
