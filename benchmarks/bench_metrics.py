"""Metric engine benchmark at 10 million telemetry rows: the engine, pandas, and hand-written SQL.

    .venv/bin/python benchmarks/bench_metrics.py [--rows 10000000] [--runs 5]

Builds a DuckDB store holding ``--rows`` synthetic telemetry rows (seed 42: 1,000 tenants with a
Zipf-like skew, 90 days, request/provider_call/task/approval rows with lognormal latencies and
token counts), then, for the busiest tenant over the whole 90 days by day, computes every
telemetry metric of the catalog three ways, in one process, median of ``--runs``:

- ``matrix.metrics.compute`` (the metric layer: catalog lookup, validation, SQL, DataFrame);
- pandas on the same rows already in memory (boolean masks, groupby by day);
- one hand-written DuckDB query per metric on the same store.

Peak memory (ru_maxrss) is reported for the whole process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.metrics import compute, load_catalog
from matrix.storage import open_store

RESULTS = Path(__file__).parent / "results"
START = datetime(2026, 8, 1, tzinfo=UTC)
DAYS = 90

# Hand-written twins of the catalog's telemetry metrics (what a person would type in DuckDB).
PANDAS = {
    "owner_interaction_success_ratio": (lambda d: (d.kind == "request") & d.status.isin(["ok", "error"]),
                                        lambda g: (g.status == "ok").mean()),
    "owner_interaction_latency_p95_ms": (lambda d: (d.kind == "request") & (d.status == "ok"),
                                         lambda g: g.latency_ms.quantile(0.95)),
    "provider_call_error_ratio": (lambda d: d.kind == "provider_call", lambda g: (g.status != "ok").mean()),
    "llm_input_tokens_total": (lambda d: d.kind == "provider_call", lambda g: g.input_tokens.sum()),
    "llm_output_tokens_total": (lambda d: d.kind == "provider_call", lambda g: g.output_tokens.sum()),
    "task_success_ratio": (lambda d: d.kind == "task", lambda g: (g.status == "completed").mean()),
    "approval_wait_p95_seconds": (lambda d: d.kind == "approval", lambda g: g.latency_ms.quantile(0.95) / 1000),
    "approval_expired_ratio": (lambda d: d.kind == "approval", lambda g: (g.status == "expired").mean()),
}  # fmt: skip


def generate(rows: int) -> pa.Table:
    return telemetry(rows)


def telemetry(
    rows: int, *, seed: int = 42, start: datetime | None = None, days: float = DAYS
) -> pa.Table:
    """``rows`` telemetry rows over ``days`` from ``start`` (the benchmark's start), ordered by
    time: 1,000 tenants of Zipf-like sizes, four kinds, realistic statuses and latencies."""
    rng = np.random.default_rng(seed)
    start = start or START
    weights = 1 / np.arange(1, 1001) ** 0.8
    tenants = np.array([f"tenant_{i:04d}" for i in range(1000)])[
        rng.choice(1000, rows, p=weights / weights.sum())
    ]
    seconds = np.sort(rng.uniform(0, days * 86400, rows))
    micros = (start.timestamp() * 1e6 + seconds * 1e6).astype(np.int64)
    kind = rng.choice(
        ["request", "provider_call", "task", "approval"], rows, p=[0.35, 0.35, 0.25, 0.05]
    )
    status = np.where(rng.random(rows) < 0.02, "error", "ok").astype(object)
    status[kind == "task"] = np.where(
        rng.random((kind == "task").sum()) < 0.03, "dead", "completed"
    )
    status[kind == "approval"] = rng.choice(
        ["approved", "rejected", "expired"], (kind == "approval").sum(), p=[0.6, 0.2, 0.2]
    )
    return pa.table({
        "tenant_id": tenants, "recorded_at": pa.array(micros, pa.timestamp("us", tz="UTC")), "kind": kind,
        "name": np.where(kind == "request", "owner.interaction", "x"), "module": np.full(rows, "mod-01-owner-concierge"),
        "status": status.astype(str), "latency_ms": rng.lognormal(np.log(800), 0.6, rows),
        "provider": np.full(rows, "openai"), "model": np.full(rows, "gpt-5-mini"), "feature": np.full(rows, "owner_chat"),
        "correlation_id": pa.nulls(rows, pa.string()),
        "input_tokens": rng.lognormal(6, 1, rows).astype(np.int64), "cached_tokens": np.zeros(rows, np.int64),
        "output_tokens": rng.lognormal(5, 1, rows).astype(np.int64), "reasoning_tokens": np.zeros(rows, np.int64),
        "audio_seconds": np.zeros(rows), "error_code": pa.nulls(rows, pa.string()),
    })  # fmt: skip


def timed(fn: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(store: Any, catalog: Any, name: str, mask: Any, agg: Any, frame: Any, tenant: str,
            since: datetime, until: datetime, runs: int) -> dict[str, float]:  # fmt: skip
    """One metric three ways; the answers must agree before the timings count."""
    metric = catalog.get(name)

    def engine() -> Any:
        return compute(
            store, name, tenant_id=tenant, since=since, until=until, grain="day", catalog=catalog
        )

    sql = (f"SELECT date_trunc('day', recorded_at) AS bucket, {metric.value} AS value, count(*) FROM telemetry"
           f" WHERE tenant_id = ? AND recorded_at >= ? AND recorded_at < ?"
           f"{' AND (' + metric.filter + ')' if metric.filter else ''} GROUP BY 1 ORDER BY 1")  # fmt: skip

    def hand() -> Any:
        with store.backend.transaction() as tx:
            return tx.query(sql, [tenant, since, until])

    def with_pandas() -> Any:
        rows = frame[
            (frame.tenant_id == tenant)
            & mask(frame)
            & (frame.recorded_at >= since)
            & (frame.recorded_at < until)
        ]
        return rows.groupby(rows.recorded_at.dt.floor("D"), sort=True).apply(agg)

    expected = with_pandas().to_numpy(dtype=float)
    assert np.allclose(engine().frame["value"].to_numpy(dtype=float), expected, rtol=1e-6), name
    engine_s, hand_s, pandas_s = timed(engine, runs), timed(hand, runs), timed(with_pandas, runs)
    return {"engine_s": engine_s, "hand_sql_s": hand_s, "pandas_s": pandas_s,
            "engine_vs_pandas": pandas_s / engine_s, "engine_vs_hand": engine_s / hand_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog()
    since, until = START, START + timedelta(days=DAYS)
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        store = open_store(
            settings=Settings.load(storage_url=f"duckdb:///{tmp}/m.duckdb"), migrate=True
        )
        started = time.perf_counter()
        data = generate(args.rows)
        with store.session(), store.backend.transaction() as tx:
            con = tx._con  # the benchmark loads 10 M rows straight from Arrow
            con.register("generated", data)
            con.execute("INSERT INTO telemetry BY NAME SELECT * FROM generated")
            con.unregister("generated")
        tenant = "tenant_0000"
        store.tenants.add(tenant)
        load_s = time.perf_counter() - started
        frame = (
            data.to_pandas()
        )  # all rows in memory: pandas filters the tenant itself, as the engine does
        tenant_rows = int((frame.tenant_id == tenant).sum())
        results: dict[str, Any] = {}
        with store.session():
            for name, (mask, agg) in PANDAS.items():
                results[name] = measure(
                    store, catalog, name, mask, agg, frame, tenant, since, until, args.runs
                )
                r = results[name]
                print(f"{name:36} engine {r['engine_s'] * 1000:7.1f} ms  hand SQL {r['hand_sql_s'] * 1000:7.1f} ms"
                      f"  pandas {r['pandas_s'] * 1000:7.1f} ms")  # fmt: skip
        store.close()
    report = {"benchmark": "metrics", "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"), "rows": args.rows,
              "tenant_rows": tenant_rows, "load_seconds": load_s, "runs": args.runs, "metrics": results,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip
    total = {k: sum(r[k] for r in results.values()) for k in ("engine_s", "hand_sql_s", "pandas_s")}
    report["catalog_totals_s"] = total
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"metrics-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json").write_text(
        json.dumps(report, indent=2)
    )
    print(json.dumps({k: v for k, v in report.items() if k != "metrics"}, indent=2))


if __name__ == "__main__":
    main()
