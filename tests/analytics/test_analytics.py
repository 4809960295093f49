"""The analytics store: same numbers on every engine, exactly-once sync under out-of-order
commits and under kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matrix.app import build
from matrix.config import Settings
from matrix.metrics import compute, load_catalog
from matrix.metrics.costs import ai_cost, set_price
from matrix.metrics.slo import latency_percentiles
from matrix.metrics.slo import status as slo_status
from tests.conftest import require_service

T0 = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = T0 + timedelta(days=3)
NOW = datetime(2026, 10, 4, tzinfo=UTC)


def _have_chdb() -> bool:
    try:
        import chdb  # noqa: F401
    except ImportError:
        return False
    return True


def _rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["request", "provider_call", "task", "approval", "memory_recall"], n)
    out = []
    for i, kind in enumerate(kinds):
        status = {"request": rng.choice(["ok", "error"], p=[0.9, 0.1]), "provider_call": rng.choice(["ok", "error"]),
                  "task": rng.choice(["completed", "dead", "refused"]), "approval": rng.choice(["approved", "expired"]),
                  "memory_recall": rng.choice(["hit", "miss"])}[kind]  # fmt: skip
        out.append({"tenant_id": "acme" if i % 5 else "beta", "recorded_at": T0 + timedelta(seconds=int(rng.integers(0, 3 * 86400))),
                    "kind": str(kind), "name": "owner.interaction" if kind == "request" else "x", "module": "mod-03-clientes",
                    "status": str(status), "latency_ms": float(rng.lognormal(6, 1)), "provider": "openai", "model": "gpt-5-mini",
                    "input_tokens": int(rng.integers(10, 5000)), "cached_tokens": int(rng.integers(0, 10)),
                    "output_tokens": int(rng.integers(1, 900))})  # fmt: skip
    return out


def _seed(app: Any) -> None:
    store = app.store
    for tenant in ("acme", "beta"):
        store.tenants.add(tenant)
    store.telemetry.insert_many(_rows(3000))
    set_price(store, provider="openai", model="gpt-5-mini", effective_from=T0 + timedelta(days=1), input_per_mtok=0.25,
              output_per_mtok=2.0, actor="test", now=NOW)  # fmt: skip


def _numbers(store: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in load_catalog().names():
        result = compute(store, name, tenant_id="acme", since=T0, until=UNTIL, grain="day")
        out[name] = [
            (b.astimezone(UTC).isoformat(), v, int(n))
            for b, v, n in result.frame.itertuples(index=False)
        ]
    cost = ai_cost(store, "acme", since=T0, until=UNTIL)
    out["cost"] = (
        cost.total_usd,
        cost.unpriced_calls,
        [(r["model"], r["calls"], r["cost_usd"]) for r in cost.rows],
    )
    out["slo"] = [
        (s.slo, s.valid, s.bad, s.success_ratio) for s in slo_status(store, "acme", at=UNTIL)
    ]
    out["latency"] = [(r["p50_ms"], r["p95_ms"], r["p99_ms"], r["requests"]) for r in
                      latency_percentiles(store, "acme", since=T0, until=UNTIL)]  # fmt: skip
    return out


def _close(a: Any, b: Any, where: str) -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), where
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


ENGINES = ["duckdb", "parquet", "chdb"]


def _analytics_url(kind: str, tmp: Path) -> str:
    if kind == "chdb":
        require_service(
            _have_chdb(), "chdb is not installed (make install adds the analytics extra)"
        )
    return {"duckdb": f"duckdb:///{tmp / 'a.duckdb'}", "parquet": f"parquet:///{tmp / 'pq'}",
            "chdb": f"chdb:///{tmp / 'ch'}"}[kind]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_analytics_parity_every_engine_gives_the_native_numbers(
    engine: str, backend_url: str, tmp_path: Path, clock: Any
) -> None:
    native = build(
        Settings.load(storage_url=f"duckdb:///{tmp_path / 'native.duckdb'}"),
        migrate=True,
        clock=clock,
    )
    _seed(native)
    expected = _numbers(native.store)
    native.close()
    app = build(Settings.load(storage_url=backend_url, analytics_url=_analytics_url(engine, tmp_path)),
                migrate=True, clock=clock)  # fmt: skip
    try:
        _seed(app)
        report = app.analytics.sync()
        assert report.copied["telemetry"] == 3000 and not report.held_back
        got = _numbers(app.store)
        assert got["owner_interaction_latency_p95_ms"], "the window holds requests"
        for key in expected:
            _close(got[key], expected[key], key)
        provenance = compute(
            app.store, "task_success_ratio", tenant_id="acme", since=T0, until=UNTIL
        ).provenance
        assert provenance["freshness"]["as_of"] is not None
    finally:
        app.close()


def test_analytics_percentiles_match_numpy_linear(tmp_path: Path, clock: Any) -> None:
    """quantile_cont (DuckDB) and quantileExactInclusive (ClickHouse) are both numpy's 'linear'."""
    app = build(
        Settings.load(storage_url=f"duckdb:///{tmp_path / 'n.duckdb'}"), migrate=True, clock=clock
    )
    _seed(app)
    rows = [
        r
        for r in _rows(3000)
        if r["tenant_id"] == "acme" and r["kind"] == "request" and r["status"] == "ok"
    ]
    want = float(np.percentile([r["latency_ms"] for r in rows], 95, method="linear"))
    got = compute(
        app.store,
        "owner_interaction_latency_p95_ms",
        tenant_id="acme",
        since=T0,
        until=UNTIL,
        grain="all",
    )
    assert got.total == pytest.approx(want, rel=1e-9)
    app.close()


@pytest.mark.postgres
def test_analytics_sync_waits_for_a_transaction_that_commits_after_a_higher_seq(
    postgres_url: str, tmp_path: Path, clock: Any
) -> None:
    import psycopg

    app = build(Settings.load(storage_url=postgres_url, analytics_url=f"duckdb:///{tmp_path / 'a.duckdb'}"),
                migrate=True, clock=clock)  # fmt: skip
    app.store.tenants.add("acme")
    dsn = postgres_url.replace("postgresql://", "postgres://", 1)
    insert = ("INSERT INTO telemetry (tenant_id, recorded_at, kind, name, status) VALUES"
              " ('acme', now(), 'task', 'x', 'completed') RETURNING seq")  # fmt: skip
    with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second:
        first.execute("SELECT pg_current_xact_id()")
        low = first.execute(insert).fetchone()[0]  # seq 1, not committed yet
        high = second.execute(insert).fetchone()[0]
        second.commit()  # seq 2 commits first
        assert low < high
        held = app.analytics.sync(wait_seconds=0.2)
        assert "telemetry" in held.held_back and held.copied["telemetry"] == 0
        first.commit()
    done = app.analytics.sync(wait_seconds=2)
    assert done.copied["telemetry"] == 2
    seqs = app.analytics.engine.query("SELECT seq FROM telemetry ORDER BY seq")
    assert [s for (s,) in seqs] == [low, high]
    assert app.analytics.status("acme").tables[0].rows_behind == 0
    app.close()


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "matrix", "analytics", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _killed_at(point: str, tmp_path: Path, store_url: str, url: str) -> dict[str, str]:
    """Run `matrix analytics sync` until it reaches the pause ``point``, SIGKILL it there; the
    environment for the next runs (without the pause)."""
    marker = tmp_path / "paused"
    env = {**os.environ, "MATRIX_STORAGE_URL": store_url, "MATRIX_ANALYTICS_URL": url,
           "MATRIX_ANALYTICS_PAUSE_AT": f"{point}:{marker}"}  # fmt: skip
    proc = _cli(env, "sync", "--json")
    for _ in range(600):  # the sync reaches the fault point, then waits there to be killed
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert marker.exists(), proc.communicate()[1].decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    env.pop("MATRIX_ANALYTICS_PAUSE_AT")
    return env


@pytest.mark.parametrize("engine", ENGINES)
def test_analytics_sync_killed_after_rows_before_watermark_copies_each_row_once(
    engine: str, tmp_path: Path, clock: Any
) -> None:
    store_url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    url = _analytics_url(engine, tmp_path)
    app = build(Settings.load(storage_url=store_url), migrate=True, clock=clock)
    app.store.tenants.add("acme")
    app.store.telemetry.insert_many(_rows(2500))
    app.close()
    env = _killed_at("after_rows", tmp_path, store_url, url)
    # Random-time kills on top: each restart resumes where the last recorded batch ended.
    rng = np.random.default_rng(3)
    for _ in range(3):
        proc = _cli(env, "sync", "--json")
        time.sleep(float(rng.uniform(0.0, 1.5)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finish = _cli(env, "sync", "--json")
    _out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err.decode()[-2000:]
    check = build(Settings.load(storage_url=store_url, analytics_url=url), clock=clock)
    try:
        [(count, distinct)] = check.analytics.engine.query(
            "SELECT count(*), count(DISTINCT seq) FROM telemetry"
        )
        assert (int(count), int(distinct)) == (2500, 2500)
    finally:
        check.close()


@pytest.mark.parametrize("where", ["store", "duckdb"])
def test_analytics_sync_killed_mid_resort_keeps_every_row_once_and_sorts_on_restart(
    where: str, tmp_path: Path, clock: Any
) -> None:
    """The re-sort by tenant (the DuckDB store's own, or the DuckDB analytics file's after a
    copy) killed with SIGKILL between deleting a month and inserting it again: the restart finds
    every row once, and finishes the sort."""
    store_url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    url = _analytics_url("duckdb", tmp_path) if where == "duckdb" else ""
    app = build(Settings.load(storage_url=store_url), migrate=True, clock=clock)
    app.store.tenants.add("acme")
    app.store.tenants.add("beta")
    app.store.telemetry.insert_many(_rows(2500))
    with app.store.backend.transaction() as tx:
        expected = sorted(
            tx.query("SELECT tenant_id, recorded_at, status, latency_ms, seq FROM telemetry")
        )
    app.close()
    env = _killed_at("after_delete", tmp_path, store_url, url)
    finish = _cli(env, "sync", "--json")
    out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err.decode()[-2000:]
    assert [r["rows"] for r in json.loads(out)["sorted"]][:1] == [2500]
    check = build(Settings.load(storage_url=store_url, analytics_url=url), clock=clock)
    try:
        sql = "SELECT tenant_id, recorded_at, status, latency_ms, seq FROM telemetry"
        if where == "duckdb":
            got = check.analytics.engine.query(sql)
        else:
            with check.store.backend.transaction() as tx:
                got = tx.query(sql)
        assert sorted(got) == expected
    finally:
        check.close()


def test_analytics_duckdb_file_stays_open_between_queries_and_is_handed_to_another_process(
    tmp_path: Path,
) -> None:
    """Queries in a row reuse one open file (no reopening per query); a second process that
    writes meanwhile gets the file, and the first then reads what it wrote. (An idle release of
    an hour: here the file is handed back only because the other process asks.)"""
    import pyarrow as pa

    from matrix.analytics.duck import DuckDBFileEngine

    path = tmp_path / "a.duckdb"
    engine = DuckDBFileEngine(path, lock_timeout=30.0, idle_release=3600.0)
    rows = pa.table({"tenant_id": ["acme"], "recorded_at": [T0], "seq": pa.array([1], pa.int64())})
    engine.append("telemetry", rows, watermark=1, synced_at=NOW)
    held = engine._backend.held_since
    for _ in range(5):
        assert engine.query("SELECT count(*) FROM telemetry") == [(1,)]
    assert held is not None and engine._backend.held_since == held  # never reopened
    writer = (
        "import sys, pyarrow as pa; from datetime import datetime, UTC;"
        " from matrix.analytics.duck import DuckDBFileEngine;"
        " e = DuckDBFileEngine(sys.argv[1], lock_timeout=30.0);"
        " t = pa.table({'tenant_id': ['beta'], 'recorded_at': [datetime(2026, 10, 2, tzinfo=UTC)],"
        " 'seq': pa.array([2], pa.int64())});"
        " e.append('telemetry', t, watermark=2, synced_at=datetime(2026, 10, 4, tzinfo=UTC)); e.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", writer, str(path)], capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert engine._backend.held_since is None  # handed back when the writer asked
    assert engine.query("SELECT count(*) FROM telemetry") == [(2,)]
    assert engine.states()["telemetry"].watermark == 2
    engine.close()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("export", "--out", "/dev/full"), "is not a folder"),
        (("export", "--out", "/proc/no-such/out"), "cannot be created"),
        (("sync", "--wait-seconds", "601"), "from 0 to 600"),
        (("sync", "--wait-seconds", "NaN"), "--wait-seconds"),
    ],
)
def test_analytics_commands_refuse_bad_arguments_in_words(
    args: tuple[str, ...], says: str, tmp_path: Path
) -> None:
    """A --out that is a device or cannot be made, a wait out of bounds: exit 2, no traceback."""
    from click.testing import CliRunner

    from matrix.cli.root import main

    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    build(Settings.load(storage_url=url), migrate=True).close()
    with CliRunner().isolation(env={"MATRIX_STORAGE_URL": url}) as (out, err, _):
        code = main(["analytics", *args])
        text = out.getvalue().decode() + err.getvalue().decode()
    assert code == 2, text
    assert says in text and "internal error" not in text and "Traceback" not in text


def test_analytics_parquet_query_for_one_tenant_reads_its_folders_only(tmp_path: Path) -> None:
    """A query that names its tenant opens only ``dt=*/tenant=<id>`` (listing every partition of
    a large copy took seconds); the answers are those of the whole copy filtered by tenant."""
    import pyarrow as pa

    from matrix.analytics.duck import ParquetEngine

    engine = ParquetEngine(tmp_path / "pq")
    tenants = ["acme", "beta", "acme", "acme.eu-1", "beta"]
    rows = pa.table({"tenant_id": tenants, "recorded_at": [T0 + timedelta(days=i) for i in range(5)],
                     "seq": pa.array(range(1, 6), pa.int64())})  # fmt: skip
    engine.append("telemetry", rows, watermark=5, synced_at=NOW)
    sql = "SELECT count(*) FROM telemetry WHERE tenant_id = ?"
    for tenant, expected in (("acme", 2), ("beta", 2), ("acme.eu-1", 1), ("nobody", 0)):
        assert engine.query(sql, [tenant], tenant_id=tenant) == [(expected,)], tenant
        assert engine.query(sql, [tenant]) == [(expected,)], tenant
    assert "tenant=acme/" in str(engine._source("telemetry", "acme"))
    assert "tenant=*/" in str(engine._source("telemetry", "a*b"))  # not a plain id: every folder
    assert engine.query("SELECT count(*) FROM telemetry") == [(5,)]
    engine.close()
