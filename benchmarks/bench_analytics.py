"""Analytics store benchmark: dashboards on PostgreSQL through the analytics store against the
rows-copied path, sync throughput and lag, and catalog metrics at 100 M rows in Parquet and chdb.

    .venv/bin/python benchmarks/bench_analytics.py --part postgres [--rows 10000000] [--runs 10]
        [--copied-runs 3] [--write-rate 2000] [--write-seconds 60] [--sync-every 5,30]
    .venv/bin/python benchmarks/bench_analytics.py --part parquet [--parquet-rows 100000000]
        [--runs 10] [--no-chdb]

``--part postgres``: a throwaway PostgreSQL 15 server (fsync on), ``--rows`` telemetry rows of the
metric benchmark (``bench_metrics.generate``: seed 42, 1,000 tenants with a Zipf-like skew, 90 days
ending today) loaded with ``COPY`` in chunks of 1 M rows. Then, in one process, side by side:

- each main dashboard page's queries — the same ``matrix.metrics`` calls the Overview, Delivery,
  AI cost and Reliability callbacks make (not Dash) — for the busiest tenant over the 90 days by
  day, first on the rows-copied path (no analytics store: every query streams the tenant's rows
  into an in-memory DuckDB), then through a DuckDB analytics file after ``Analytics.sync``; one
  untimed warm-up call each, the answers checked equal;
- the first full sync (rows/s), incremental syncs of 100,000 new rows, a sync with nothing new;
- a writer process inserting ``--write-rate`` rows/s through ``store.telemetry.insert_many`` (one
  transaction per 200 rows) for ``--write-seconds`` while a loop syncs every N seconds: rows
  behind and seconds behind (the age of the oldest row not copied yet) at each sync's start.

``--copied-runs 0`` leaves the rows-copied path out (it takes most of the run at 10 M rows).

``--part parquet``: ``--parquet-rows`` rows generated one day at a time (90 days, 1,000 tenants,
the same distributions), each day written by the product's Parquet writer
(``ParquetEngine.append``: ``telemetry/dt=…/tenant=…/part-….parquet``) and, unless ``--no-chdb``,
appended to the chdb engine's MergeTree (``ClickHouseEngine.append``); then every telemetry metric
of the catalog through ``matrix.metrics.compute`` for the busiest tenant and a mid-sized one over
the last 30 days by day, on each engine, p50/p95 of ``--runs`` calls after one warm-up. With
``--dir D --keep`` the copies stay in ``D``, and a later run with the same ``--dir`` measures them
again without writing.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_metrics
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from common import spread

from dashboards.pages.overview import METRICS as OVERVIEW_METRICS
from matrix.analytics import Analytics
from matrix.analytics.clickhouse import ClickHouseEngine
from matrix.analytics.duck import ParquetEngine
from matrix.approvals import Status
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.metrics import compute, load_catalog
from matrix.metrics.budgets import budget_status, monthly_budget
from matrix.metrics.compare import compare
from matrix.metrics.costs import ai_cost, daily_cost, gross_margin, set_plan
from matrix.metrics.dora import dora, dora_trend
from matrix.metrics.slo import latency_percentiles, queue_depth, refusals
from matrix.metrics.slo import status as slo_status
from matrix.storage import open_store
from matrix.testing.postgres import ThrowawayPostgres

RESULTS = Path(__file__).parent / "results"
TENANT, MID_TENANT = "tenant_0000", "tenant_0100"
CHUNK = 1_000_000


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "ram_gib": round(mem_kb / 1024 / 1024, 1),
            "load_average": os.getloadavg()}  # fmt: skip


def pct(samples: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank, as bench_dashboards) in ms, with min, max and n."""
    ordered = sorted(samples)
    return {"p50_ms": statistics.median(samples) * 1000,
            "p95_ms": ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000,
            "min_ms": ordered[0] * 1000, "max_ms": ordered[-1] * 1000, "n": len(samples)}  # fmt: skip


def timed(fn: Any, runs: int) -> tuple[dict[str, float], Any]:
    answer = fn()  # warm-up, not timed
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return pct(samples), answer


# -- the dashboard pages' queries (what each main callback asks matrix.metrics) ----------------
def pages(store: Any, since: datetime, until: datetime) -> dict[str, Any]:
    catalog = load_catalog()
    at = min(until, store.clock.now())

    def overview() -> Any:  # dashboards/pages/overview.py's render, without the layout
        cards = [compare(store, n, tenant_id=TENANT, since=since, until=until, grain="day", catalog=catalog)
                 for n, _title in OVERVIEW_METRICS]  # fmt: skip
        costs = daily_cost(store, TENANT, since=since, until=until)
        margin = gross_margin(store, TENANT, since=since, until=until, cost=costs.current)
        pending = store.approvals.list(TENANT, status=Status.PENDING, limit=500)
        slos = [s.as_dict() for s in slo_status(store, TENANT, at=at)]
        budget = budget_status(store, TENANT, at=at) if monthly_budget(store, TENANT) else None
        return [
            *[(c.current.total, c.previous.total, c.trend.frame.values.tolist()) for c in cards],
            costs.current.total_usd,
            costs.previous.total_usd,
            margin["gross_margin_usd"],
            len(pending),
            store.approvals.count_pending(TENANT),
            slos,
            budget,
        ]

    def delivery() -> Any:
        report = dora(store, TENANT, since=since, until=until, benchmark_year=2024)
        trend = dora_trend(
            store, TENANT, since=since, until=until, grain="day", benchmark_year=2024
        )
        return [report.deployments, len(trend)]

    def cost() -> Any:
        report = ai_cost(store, TENANT, since=since, until=until, by="model")
        budget = budget_status(store, TENANT, at=at)
        margin = gross_margin(store, TENANT, since=since, until=until, cost=report)
        return [report.total_usd, budget["remaining_usd"], margin["gross_margin_usd"]]

    def reliability() -> Any:
        slos = [s.as_dict() for s in slo_status(store, TENANT, at=at)]
        lat = latency_percentiles(store, TENANT, since=since, until=until, grain="day")
        return [
            slos,
            lat,
            queue_depth(store, TENANT),
            refusals(store, TENANT, since=since, until=until),
        ]

    return {"overview": overview, "delivery": delivery, "cost": cost, "reliability": reliability}


def same(a: Any, b: Any) -> bool:
    """Equal answers, floats within 1e-9 relative (sums may add in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=0))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# -- loading ------------------------------------------------------------------------------------
def copy_rows(url: str, table: pa.Table) -> None:
    """``COPY telemetry FROM STDIN`` in chunks of a million rows (the store numbers them: seq)."""
    import psycopg

    columns = ", ".join(table.column_names)
    with psycopg.connect(url) as con, con.cursor() as cur:
        for offset in range(0, table.num_rows, CHUNK):
            buffer = io.BytesIO()
            pacsv.write_csv(table.slice(offset, CHUNK), buffer)
            with cur.copy(
                f"COPY telemetry ({columns}) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy:
                copy.write(buffer.getvalue())
            con.commit()


def load_postgres(url: str, rows: int) -> dict[str, float]:
    """Generate and COPY ``rows`` rows; the indexes are built after the load, then ANALYZE."""
    import psycopg

    started = time.perf_counter()
    data = bench_metrics.generate(rows)
    generated = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'telemetry'"
        ).fetchall()
        for name, _ in indexes:
            con.execute(f"DROP INDEX {name}")
        copy_rows(url, data)
        copied = time.perf_counter()
        for _, definition in indexes:
            con.execute(definition)
        con.execute("ANALYZE telemetry")
    done = time.perf_counter()
    return {"generate_s": generated - started, "copy_s": copied - generated, "index_s": done - copied,
            "copy_rows_per_s": rows / (copied - generated)}  # fmt: skip


def writer(url: str, rate: int, seconds: float, ready: Any, counter: Any) -> None:
    """A separate process inserting ``rate`` rows/s in transactions of 200 rows, on schedule."""
    store = open_store(settings=Settings.load(storage_url=url))
    rng = np.random.default_rng(7)
    batch, written = 200, 0
    ready.set()
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        due = int((time.monotonic() - start) * rate)
        while written + batch <= due:
            now = SYSTEM_CLOCK.now()
            rows = [{"tenant_id": f"tenant_{int(t):04d}", "recorded_at": now, "kind": "request",
                     "name": "owner.interaction", "status": "ok", "latency_ms": float(rng.lognormal(6.7, 0.6))}
                    for t in rng.integers(0, 1000, batch)]  # fmt: skip
            store.telemetry.insert_many(rows)
            written += batch
            counter.value = written
        time.sleep(0.02)
    store.close()


def lag_under_writes(url: str, analytics: Analytics, store: Any, rate: int, seconds: float,
                     every: float) -> dict[str, Any]:  # fmt: skip
    """Sync every ``every`` s while the writer runs; at each sync's start, rows and seconds behind."""
    ctx = multiprocessing.get_context("spawn")
    ready, counter = ctx.Event(), ctx.Value("q", 0)
    proc = ctx.Process(target=writer, args=(url, rate, seconds, ready, counter))
    proc.start()
    ready.wait(60)
    samples: list[dict[str, float]] = []
    start = time.monotonic()
    while proc.is_alive() or not samples:
        next_at = time.monotonic() + every
        mark = analytics.engine.states()["telemetry"].watermark  # type: ignore[union-attr]
        with store.backend.transaction() as tx:
            behind, oldest = tx.query(
                "SELECT count(*), min(recorded_at) FROM telemetry WHERE seq > ?", [mark]
            )[0]
        began = time.perf_counter()
        copied = analytics.sync(wait_seconds=1.0).copied.get("telemetry", 0)
        samples.append({"t": time.monotonic() - start, "rows_behind": int(behind), "copied": copied,
                        "seconds_behind": (SYSTEM_CLOCK.now() - oldest).total_seconds() if oldest else 0.0,
                        "sync_s": time.perf_counter() - began})  # fmt: skip
        time.sleep(max(0.0, next_at - time.monotonic()))
    proc.join()
    written = int(counter.value)
    steady = samples[1:] or samples  # the first sync starts before the writer has written much
    final = analytics.sync(wait_seconds=5.0).copied.get("telemetry", 0)
    return {"every_s": every, "written": written, "write_rate": written / seconds, "syncs": len(samples),
            "rows_behind": spread([s["rows_behind"] for s in steady]),
            "seconds_behind": spread([s["seconds_behind"] for s in steady]),
            "sync_s": spread([s["sync_s"] for s in steady]), "last_sync_copied": final, "samples": samples}  # fmt: skip


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    today = SYSTEM_CLOCK.now().replace(hour=0, minute=0, second=0, microsecond=0)
    bench_metrics.START = start = today - timedelta(days=bench_metrics.DAYS)
    since, until = start, today + timedelta(days=1)
    out: dict[str, Any] = {"part": "postgres", "rows": args.rows, "machine_before": machine()}
    with (
        ThrowawayPostgres(fsync=True) as server,
        tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp,
    ):
        url = server.create_database("bench")
        store = open_store(settings=Settings.load(storage_url=url), migrate=True)
        out["load"] = load_postgres(url, args.rows)
        print("loaded", out["load"], flush=True)
        store.tenants.add(TENANT)
        # The price row as `set_price` writes it, without its audit: the audit re-prices every
        # tenant's calls, which on PostgreSQL without an analytics store copies 1,000 tenants' rows.
        store.pricing.add_price({"price_id": "bench-price", "provider": "openai", "model": "gpt-5-mini",
                                 "effective_from": start - timedelta(days=1), "input_per_mtok": 0.25,
                                 "cached_input_per_mtok": 0.025, "output_per_mtok": 2.0, "audio_per_minute": 0.0,
                                 "note": None, "created_by": "bench", "created_at": today})  # fmt: skip
        set_plan(store, TENANT, plan="pro", monthly_fee_usd=4900.0, effective_from=start - timedelta(days=1),
                 actor="bench", now=today)  # fmt: skip
        with store.backend.transaction() as tx:
            out["tenant_rows"] = int(
                tx.query("SELECT count(*) FROM telemetry WHERE tenant_id = ?", [TENANT])[0][0]
            )
        settings = Settings.load(storage_url=url, analytics_url=f"duckdb:///{tmp}/analytics.duckdb")
        analytics = Analytics(store, settings, SYSTEM_CLOCK)
        work = pages(store, since, until)
        copied, answers = {}, {}
        for page, fn in (
            work.items() if args.copied_runs else ()
        ):  # today's path: no analytics store
            copied[page], answers[page] = timed(fn, args.copied_runs)
            print("rows copied", page, copied[page], flush=True)
        began = time.perf_counter()
        first = analytics.sync()
        first_s = time.perf_counter() - began
        resort_s = sum(run.seconds for run in first.sorted)
        out["first_sync"] = {"rows": first.total, "seconds": first_s, "copy_seconds": first_s - resort_s,
                             "rows_per_s": first.total / (first_s - resort_s), "resort_seconds": resort_s,
                             "resorted": [run.as_dict() for run in first.sorted],
                             "file_mb": os.path.getsize(f"{tmp}/analytics.duckdb") / 1e6}  # fmt: skip
        print("first sync", out["first_sync"], flush=True)
        store.analytics = analytics
        through, agree = {}, {}
        for page, fn in work.items():
            through[page], answer = timed(fn, args.runs)
            agree[page] = same(answer, answers[page]) if page in answers else None
            print("analytics file", page, through[page], "same answers:", agree[page], flush=True)
        out["callbacks"] = {"rows_copied": copied, "analytics_file": through, "same_answers": agree}
        out["incremental_syncs"] = incremental(url, store, analytics)
        out["lag"] = [lag_under_writes(url, analytics, store, args.write_rate, args.write_seconds, float(every))
                      for every in args.sync_every.split(",")]  # fmt: skip
        for lag in out["lag"]:
            print("lag", {k: v for k, v in lag.items() if k != "samples"}, flush=True)
        analytics.close()
        store.close()
    out["machine_after"] = machine()
    return out


def incremental(
    url: str, store: Any, analytics: Analytics, batches: int = 3, rows: int = 100_000
) -> dict[str, Any]:
    """Sync 100,000 new rows ``batches`` times, then a sync with nothing new."""
    fresh = chunk(
        rows * batches, seed=11, start=SYSTEM_CLOCK.now() - timedelta(hours=1), days=1 / 24
    )
    rates, idle = [], []
    for i in range(batches):
        copy_rows(url, fresh.slice(i * rows, rows).drop_columns(["seq"]))
        began = time.perf_counter()
        report = analytics.sync()
        rates.append(report.total / (time.perf_counter() - began))
    for _ in range(3):
        began = time.perf_counter()
        analytics.sync()
        idle.append(time.perf_counter() - began)
    return {"rows_per_batch": rows, "rows_per_s": spread(rates), "nothing_new_s": spread(idle)}


# -- 100 M rows in Parquet and chdb ---------------------------------------------------------------
def chunk(rows: int, *, seed: int, start: datetime, days: float, first_seq: int = 1) -> pa.Table:
    """``rows`` telemetry rows over ``days`` from ``start``, with the metric benchmark's
    distributions, ordered by time and numbered from ``first_seq`` (the telemetry table's order)."""
    table = bench_metrics.telemetry(rows, seed=seed, start=start, days=days)
    return table.append_column(
        "seq", pa.array(np.arange(first_seq, first_seq + rows, dtype=np.int64))
    )


def run_parquet(args: argparse.Namespace) -> dict[str, Any]:
    days = bench_metrics.DAYS
    start = datetime(2026, 8, 1, tzinfo=UTC)
    since, until = start + timedelta(days=days - 30), start + timedelta(days=days)
    out: dict[str, Any] = {
        "part": "parquet",
        "rows": args.parquet_rows,
        "machine_before": machine(),
    }
    root = Path(args.dir or tempfile.mkdtemp(prefix="matrix-bench-parquet-"))
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    out["disk_free_gb_before"] = free / 1e9
    per_day = args.parquet_rows // days
    parquet = ParquetEngine(root / "parquet")
    chdb = None if args.no_chdb else ClickHouseEngine(f"chdb:///{root / 'chdb'}")
    write = {"parquet": 0.0, "chdb": 0.0, "generate": 0.0}
    reuse = (root / "parquet" / "_sync" / "telemetry.json").exists()  # --dir of a --keep run
    try:
        seq = 1
        for day in range(0 if reuse else days):
            began = time.perf_counter()
            rows = chunk(
                per_day, seed=1000 + day, start=start + timedelta(days=day), days=1, first_seq=seq
            )
            write["generate"] += time.perf_counter() - began
            seq += rows.num_rows
            for name, engine in (("parquet", parquet), ("chdb", chdb)):
                if engine is None:
                    continue
                began = time.perf_counter()
                engine.append("telemetry", rows, watermark=seq - 1, synced_at=SYSTEM_CLOCK.now())
                write[name] += time.perf_counter() - began
            if day == 0:  # stop early when the whole set would not fit on the disk
                used = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
                out["projected_gb"] = used * days / 1e9
                if used * days > 0.8 * free:
                    raise SystemExit(f"{args.parquet_rows} rows need about {used * days / 1e9:.0f} GB;"
                                     f" {free / 1e9:.0f} GB free. Use --parquet-rows with fewer.")  # fmt: skip
            if day % 10 == 9:
                print(f"day {day + 1}: {seq - 1} rows, {write}", flush=True)
        total = seq - 1
        if reuse:  # a copy stopped early holds fewer days: the window is its last 30
            out["recovered"] = [e.recover() for e in (parquet, chdb) if e is not None]
            out["rows_per_engine"] = {n: e.states()["telemetry"].rows
                                      for n, e in (("parquet", parquet), ("chdb", chdb)) if e}  # fmt: skip
            written = parquet.states()["telemetry"].rows
            total, until = written, start + timedelta(days=written // per_day)
            since = until - timedelta(days=30)
        out.update(reused=reuse, rows=total, window=[since.isoformat(), until.isoformat()])
        out["write"] = {
            k: {"seconds": v, "rows_per_s": total / v if v else None} for k, v in write.items()
        }
        out["files"] = sum(1 for _ in (root / "parquet" / "telemetry").rglob("*.parquet"))
        out["bytes"] = {name: sum(p.stat().st_size for p in (root / name).rglob("*") if p.is_file())
                        for name in ("parquet", "chdb") if (root / name).exists()}  # fmt: skip
        parquet.close()
        if chdb is not None:
            chdb.close()
        out["metrics"] = {}
        for url in [f"parquet:///{root / 'parquet'}"] + (
            [] if args.no_chdb else [f"chdb:///{root / 'chdb'}"]
        ):
            out["metrics"][url.split(":")[0]] = catalog_metrics(url, since, until, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    out["machine_after"] = machine()
    return out


def catalog_metrics(url: str, since: datetime, until: datetime, runs: int) -> dict[str, Any]:
    """Every telemetry metric of the catalog, by day, for two tenants, through ``compute``."""
    store = open_store("duckdb:///:memory:", migrate=True)
    for tenant in (TENANT, MID_TENANT):
        store.tenants.add(tenant)
    store.analytics = Analytics(
        store, Settings.load(storage_url="duckdb:///:memory:", analytics_url=url), SYSTEM_CLOCK
    )
    catalog = load_catalog()
    found: dict[str, Any] = {}
    for tenant in (TENANT, MID_TENANT):
        for metric in (m for m in catalog.metrics.values() if m.source == "telemetry"):

            def fn(name: str = metric.name, t: str = tenant) -> Any:
                return compute(
                    store, name, tenant_id=t, since=since, until=until, grain="day", catalog=catalog
                )

            stats, result = timed(fn, runs)
            stats["rows_read"] = result.provenance["rows_read"]
            found[f"{tenant}/{metric.name}"] = stats
            print(url.split(":")[0], tenant, metric.name, f"p50 {stats['p50_ms']:.0f} ms p95 {stats['p95_ms']:.0f} ms",
                  f"rows {stats['rows_read']}", flush=True)  # fmt: skip
    store.analytics.close()
    store.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("postgres", "parquet"), required=True)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--copied-runs", type=int, default=3)
    parser.add_argument("--write-rate", type=int, default=2000)
    parser.add_argument("--write-seconds", type=float, default=60.0)
    parser.add_argument(
        "--sync-every", default="5,30", help="seconds between syncs, comma-separated"
    )
    parser.add_argument("--parquet-rows", type=int, default=100_000_000)
    parser.add_argument("--no-chdb", action="store_true")
    parser.add_argument(
        "--dir", help="where the Parquet and chdb copies go (default: a temporary folder)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep --dir afterwards (a later run reuses it)"
    )
    args = parser.parse_args()
    result = run_postgres(args) if args.part == "postgres" else run_parquet(args)
    result["when"] = SYSTEM_CLOCK.now().isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    name = f"analytics-{args.part}-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2, default=str))
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("metrics",)}, indent=2, default=str
        )[:6000]
    )


if __name__ == "__main__":
    main()
