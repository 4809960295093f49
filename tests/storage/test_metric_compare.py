"""A KPI card's three numbers from one scan (``compare``) equal the three separate ``compute``
queries, for every telemetry metric of the catalog, on generated rows, on both backends and on
the analytics engines."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matrix.app import build
from matrix.config import Settings
from matrix.metrics import compute, load_catalog
from matrix.metrics.compare import compare
from matrix.metrics.costs import ai_cost, daily_cost, set_price
from matrix.metrics.engine import MetricResult
from matrix.metrics.slo import ALERTS, SLOS, _counts, _label, burn_rate, status
from matrix.storage import Store
from tests.conftest import require_service

T0 = datetime(2026, 10, 1, tzinfo=UTC)
# A window that starts and ends mid-day, so its first and last buckets are partial and the
# previous window's rows share a bucket with the window's first rows.
SINCE, UNTIL = T0 + timedelta(days=6, hours=7), T0 + timedelta(days=12, hours=15)
MODULES = ["mod-03-clientes", "mod-04-agenda", "mod-05-faturamento-cobranca"]
TELEMETRY = [m for m in load_catalog().metrics.values() if m.source == "telemetry"]


def _rows(n: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["request", "provider_call", "task", "approval"], n)
    statuses = {"request": ["ok", "error", "rejected"], "provider_call": ["ok", "error"],
                "task": ["completed", "dead", "refused"], "approval": ["approved", "rejected", "expired"]}  # fmt: skip
    out = []
    for i, kind in enumerate(kinds):
        out.append({"tenant_id": "acme" if i % 4 else "beta",
                    "recorded_at": T0 + timedelta(seconds=int(rng.integers(0, 14 * 86400))),
                    "kind": str(kind), "name": "owner.interaction" if kind == "request" else "x",
                    "module": str(rng.choice(MODULES)), "status": str(rng.choice(statuses[str(kind)])),
                    "latency_ms": float(rng.lognormal(6, 1)), "provider": "openai", "model": "gpt-5-mini",
                    "input_tokens": int(rng.integers(10, 5000)), "cached_tokens": int(rng.integers(0, 10)),
                    "output_tokens": int(rng.integers(1, 900))})  # fmt: skip
    return out


def _seed(store: Store) -> None:
    store.tenants.add("acme")
    store.tenants.add("beta")
    store.telemetry.insert_many(_rows(2500))


def _same(got: MetricResult, want: MetricResult, where: str) -> None:
    assert len(got.frame) == len(want.frame), where
    for (gb, gv, gn), (wb, wv, wn) in zip(
        got.frame[["bucket", "value", "rows"]].itertuples(index=False),
        want.frame[["bucket", "value", "rows"]].itertuples(index=False),
        strict=True,
    ):
        assert int(gn) == int(wn), where
        if got.provenance["grain"] != "all":
            assert gb == wb, where
        if wv is None or (isinstance(wv, float) and math.isnan(wv)):
            assert gv is None or math.isnan(gv), where
        else:
            assert float(gv) == pytest.approx(float(wv), rel=1e-9, abs=1e-12), where
    assert (
        got.total == pytest.approx(want.total, rel=1e-9)
        if want.total is not None
        else got.total is None
    )
    assert (got.empty_reason is None) == (want.empty_reason is None), where


def _check_all(store: Store, grains: tuple[str, ...] = ("day", "hour", "week")) -> int:
    before = SINCE - (UNTIL - SINCE)
    checked = 0
    for metric in TELEMETRY:
        for grain in grains:
            got = compare(
                store, metric.name, tenant_id="acme", since=SINCE, until=UNTIL, grain=grain
            )
            one = {"tenant_id": "acme", "grain": "all"}
            _same(
                got.current,
                compute(store, metric.name, since=SINCE, until=UNTIL, **one),
                f"{metric.name} now",
            )
            _same(
                got.previous,
                compute(store, metric.name, since=before, until=SINCE, **one),
                f"{metric.name} before",
            )
            _same(got.trend, compute(store, metric.name, tenant_id="acme", since=SINCE, until=UNTIL, grain=grain),
                  f"{metric.name} by {grain}")  # fmt: skip
            checked += 1
    return checked


def test_compare_equals_the_three_separate_queries_for_every_metric(store: Store) -> None:
    _seed(store)
    assert _check_all(store) == 3 * len(TELEMETRY)
    p95 = compare(
        store, "owner_interaction_latency_p95_ms", tenant_id="acme", since=SINCE, until=UNTIL
    )
    daily = [float(v) for v in p95.trend.frame["value"]]
    assert p95.current.total != pytest.approx(sum(daily) / len(daily)), (
        "a p95 is not the mean of daily p95s"
    )
    assert p95.current.provenance["rows_read"] == sum(int(n) for n in p95.trend.frame["rows"])


def test_compare_says_why_a_window_is_empty(store: Store) -> None:
    _seed(store)
    late = T0 + timedelta(days=40)
    got = compare(
        store, "task_success_ratio", tenant_id="acme", since=late, until=late + timedelta(days=7)
    )
    assert got.current.total is None and got.previous.total is None and got.trend.frame.empty
    assert got.current.empty_words and "Pick a wider date range" in got.current.empty_words
    first = compare(
        store, "task_success_ratio", tenant_id="acme", since=T0, until=T0 + timedelta(days=3)
    )
    assert first.current.total is not None and first.previous.total is None, (
        "nothing before the first row"
    )


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_compare_on_the_analytics_store_equals_compute(
    engine: str, tmp_path: Path, clock: Any
) -> None:
    if engine == "chdb":
        try:
            import chdb  # noqa: F401
        except ImportError:
            require_service(False, "chdb is not installed (make install adds the analytics extra)")
    url = {"duckdb": f"duckdb:///{tmp_path / 'a.duckdb'}", "chdb": f"chdb:///{tmp_path / 'ch'}"}[
        engine
    ]
    app = build(Settings.load(storage_url=f"duckdb:///{tmp_path / 'n.duckdb'}", analytics_url=url),
                migrate=True, clock=clock)  # fmt: skip
    try:
        _seed(app.store)
        set_price(app.store, provider="openai", model="gpt-5-mini", effective_from=T0 + timedelta(days=8),
                  input_per_mtok=0.25, output_per_mtok=2.0, actor="test", now=T0)  # fmt: skip
        app.analytics.sync()
        assert _check_all(app.store, grains=("day",)) == len(TELEMETRY)
        got = compare(app.store, "task_success_ratio", tenant_id="acme", since=SINCE, until=UNTIL)
        assert "analytics store" in got.current.provenance["engine"]
        slos = {
            s.slo: (s.valid, s.bad) for s in status(app.store, "acme", at=UNTIL, period_days=10)
        }
        assert slos["customers_task_success"] == _counts(
            app.store, SLOS[2], "acme", UNTIL - timedelta(days=10), UNTIL
        )
        costs = daily_cost(app.store, "acme", since=SINCE, until=UNTIL)
        want = ai_cost(app.store, "acme", since=SINCE, until=UNTIL)
        assert (
            costs.current.total_usd == pytest.approx(want.total_usd, rel=1e-12)
            and want.total_usd > 0
        )
        assert costs.current.unpriced_calls == want.unpriced_calls and len(costs.current.rows) == 7
    finally:
        app.close()


def test_slo_status_in_one_scan_equals_a_query_per_window(store: Store) -> None:
    _seed(store)
    at = T0 + timedelta(days=13, hours=20, minutes=7)
    got = {s.slo: s for s in status(store, "acme", at=at, period_days=10)}
    for slo in SLOS:
        one = got[slo.name]
        assert (one.valid, one.bad) == _counts(store, slo, "acme", at - timedelta(days=10), at), (
            slo.name
        )
        if slo.source == "telemetry":
            assert one.valid > 0, f"the generated rows hold {slo.name} events"
        for _, long, short, _ in ALERTS:
            for window in (long, short):
                want = burn_rate(store, slo, "acme", at, window)
                assert one.burn_rates.get(_label(window)) == (
                    pytest.approx(want) if want is not None else None
                )


def test_daily_cost_equals_ai_cost_per_window_and_per_day(store: Store) -> None:
    _seed(store)
    store.telemetry.insert_many([{**r, "tenant_id": "acme", "model": "unpriced-model"} for r in _rows(60, seed=3)
                                 if r["kind"] == "provider_call"])  # fmt: skip
    set_price(store, provider="openai", model="gpt-5-mini", effective_from=T0 + timedelta(days=2), input_per_mtok=0.25,
              output_per_mtok=2.0, actor="test", now=T0)  # fmt: skip
    got = daily_cost(store, "acme", since=SINCE, until=UNTIL)
    before = SINCE - (UNTIL - SINCE)
    for report, (start, end) in ((got.current, (SINCE, UNTIL)), (got.previous, (before, SINCE))):
        want = ai_cost(store, "acme", since=start, until=end)
        assert report.total_usd == pytest.approx(want.total_usd, rel=1e-12) and want.total_usd > 0
        assert report.unpriced_calls == want.unpriced_calls > 0
        assert (
            report.unpriced_models == want.unpriced_models
            and "openai/unpriced-model" in want.unpriced_models
        )
    assert len(got.current.rows) == 7, "the window touches seven days"
    for row in got.current.rows:
        day = row["day"] if row["day"].tzinfo else row["day"].replace(tzinfo=UTC)
        start, end = max(day, SINCE), min(day + timedelta(days=1), UNTIL)
        assert row["cost_usd"] == pytest.approx(
            ai_cost(store, "acme", since=start, until=end).total_usd, rel=1e-12
        )
    late = daily_cost(store, "acme", since=T0 + timedelta(days=40), until=T0 + timedelta(days=41))
    assert late.current.empty_reason and late.previous.empty_reason and late.current.total_usd == 0
