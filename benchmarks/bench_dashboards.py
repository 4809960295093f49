"""Dashboard benchmark on a store of 10 million telemetry rows: time from request to a rendered
overview in a real browser, and the p95 of each page's main callback.

    .venv/bin/python benchmarks/bench_dashboards.py [--rows 10000000] [--runs 20] [--keep DIR]

The store is the metric benchmark's (``bench_metrics.generate``: seed 42, 1,000 tenants with a
Zipf-like skew, 90 days ending yesterday), with the busiest tenant's prices set so AI cost is
computed. Every measurement is for that tenant over the whole 90 days, by day. ``--keep DIR``
builds the store in ``DIR`` once and reuses it on later runs of the same day and size (loading
10 M rows takes minutes on a busy machine).

- overview in the browser: Debian's Chromium (Playwright), signed in, the filters set to the 90
  days; then ``--runs`` reloads, each timed from the navigation to the overview's cards showing
  their numbers;
- each page's main callback: ``--runs`` POSTs to ``/_dash-update-component`` through the app's
  test client (Dash's dispatch, the page's work, JSON of the figures), p50 and p95; measured with
  the telemetry in arrival order (when the store was just built), then again after the
  analytics upkeep a deployment's scheduler runs (``matrix.storage.layout.keep_sorted``: the
  finished days re-sorted by tenant, timed), in the same run. The browser runs after both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import bench_metrics
from common import spread

from dashboards.app import create_app
from dashboards.probe import callback_request
from matrix.access import add_user
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.metrics.costs import set_price
from matrix.storage import open_store
from matrix.storage.layout import keep_sorted

RESULTS = Path(__file__).parent / "results"
TENANT = "tenant_0000"
PASSWORD = "benchmark-pass"
PAGES = {  # page: the output its main callback fills
    "overview": "overview-content", "delivery": "delivery-content", "cost": "cost-content",
    "reliability": "reliability-content", "approvals": "approvals-queue-table", "conversations": "conversations-content",
    "traces": "traces-content",
    "gates": "gates-content",
}  # fmt: skip


def values(since: str, until: str) -> dict[str, Any]:
    """What the filters and page controls hold: the busiest tenant over the whole range, by day."""
    return {"filter-tenant": TENANT, "filter-since": since, "filter-until": until, "filter-grain": "day",
            "delivery-year": "2024", "cost-by": "model", "approvals-status": "pending",
            "approvals-approve-button": 0, "approvals-reject-button": 0, "approvals-queue-table": []}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="build the store here once and reuse it")
    args = parser.parse_args()
    today = SYSTEM_CLOCK.now().replace(hour=0, minute=0, second=0, microsecond=0)
    bench_metrics.START = today - timedelta(days=bench_metrics.DAYS)
    since, until = (
        bench_metrics.START.date().isoformat(),
        (today + timedelta(days=1)).date().isoformat(),
    )
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        marker = tmp / f"built-{args.rows}-{since}.json"
        settings = Settings.load(
            storage_url=f"duckdb:///{tmp}/d.duckdb", reports_dir=f"{tmp}/reports"
        )
        if args.keep and not marker.exists():
            for old in tmp.glob("d.duckdb*"):
                old.unlink()
        store = open_store(settings=settings, migrate=True)
        started = time.perf_counter()
        built = not marker.exists()
        if built:
            load(store, args.rows, today)
        load_s = (
            time.perf_counter() - started
            if built
            else json.loads(marker.read_text())["load_seconds"]
        )
        with store.backend.transaction() as tx:
            tenant_rows = tx.query("SELECT count(*) FROM telemetry WHERE tenant_id = ?", [TENANT])[
                0
            ][0]
        if args.keep and built:
            marker.write_text(json.dumps({"rows": args.rows, "load_seconds": load_s}))
        app = create_app(store, secret=secrets.token_urlsafe(48))
        client = app.server.test_client()
        client.post("/login", data={"username": "admin", "password": PASSWORD})
        # In arrival order first (as loaded, or as a store whose upkeep has not run), then after
        # the analytics upkeep a deployment's scheduler runs: telemetry re-sorted by tenant.
        unsorted = (
            measure(app, client, store, since, until, args.runs, "in arrival order")
            if built
            else None
        )
        started = time.perf_counter()
        runs = keep_sorted(store.backend.transaction, now=SYSTEM_CLOCK.now())
        resort_s = time.perf_counter() - started
        print(
            f"re-sorted {sum(r.rows for r in runs)} rows in {len(runs)} months in {resort_s:.1f} s",
            flush=True,
        )
        callbacks = measure(app, client, store, since, until, args.runs, "sorted by tenant")
        browser = overview_in_browser(
            app, since, until, args.runs
        )  # the server's threads open the store themselves
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        store.close()
    result = {"rows": args.rows, "tenant_rows": tenant_rows, "load_seconds": load_s, "callbacks": callbacks,
              "callbacks_in_arrival_order": unsorted, "resort": {"seconds": resort_s, "months": [r.as_dict() for r in runs]},
              "load_average": os.getloadavg(),
              "overview_in_browser_ms": browser, "peak_rss_gb": peak_gb, "runs": args.runs}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dashboards.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def measure(
    app: Any, client: Any, store: Any, since: str, until: str, runs: int, label: str
) -> dict[str, Any]:
    """``runs`` POSTs of each page's main callback: p50 and p95 (ms)."""
    callbacks: dict[str, Any] = {}
    with store.session():
        for page in PAGES:
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                response = client.post(
                    "/_dash-update-component",
                    json=callback_request(app, PAGES[page], values(since, until)),
                )
                samples.append((time.perf_counter() - start) * 1000)
                text = response.get_data(as_text=True)
                assert response.status_code == 200 and "alert-error" not in text, (page, text[:300])
            ordered = sorted(samples)
            callbacks[page] = {
                "p50_ms": statistics.median(samples),
                "p95_ms": ordered[max(0, round(0.95 * len(ordered)) - 1)],
                "n": len(samples),
            }
            print(
                f"{label:18s} {page:13s} p50 {callbacks[page]['p50_ms']:7.1f} ms   p95 {callbacks[page]['p95_ms']:7.1f} ms",
                flush=True,
            )
    return callbacks  # fmt: skip


def load(store: Any, rows: int, today: Any) -> None:
    """The generated telemetry, the busiest tenant, its model's price and the admin."""
    data = bench_metrics.generate(rows)
    with store.session(), store.backend.transaction() as tx:
        con = tx._con  # 10 M rows straight from Arrow
        con.register("generated", data)
        con.execute("INSERT INTO telemetry BY NAME SELECT * FROM generated")
        con.unregister("generated")
    store.tenants.add(TENANT)
    set_price(store, provider="openai", model="gpt-5-mini", effective_from=bench_metrics.START - timedelta(days=1),
              input_per_mtok=0.25, cached_input_per_mtok=0.025, output_per_mtok=2.0, actor="bench", now=today)  # fmt: skip
    add_user(store, "admin", PASSWORD, role="admin")


def overview_in_browser(app: Any, since: str, until: str, runs: int) -> dict[str, float]:
    """Reload the overview ``runs`` times in Chromium; ms from navigation to the cards' numbers."""
    import logging

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    ready = ("() => { const v = document.querySelector('#overview-owner-interaction-success-ratio-value');"
             " return v && v.innerText !== 'no data' && document.querySelector('#overview-content .card-trend .main-svg'); }")  # fmt: skip
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True
            )
            page = browser.new_page()
            page.goto(base + "/")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            page.click("#login-btn")
            linked = (
                f"{base}/?tenant={TENANT}&since={since}&until={until}"  # the date pickers' values
            )
            page.goto(linked)
            page.wait_for_function(ready, timeout=60_000)
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                page.goto(linked)
                page.wait_for_function(ready, timeout=60_000)
                samples.append((time.perf_counter() - start) * 1000)
            browser.close()
    finally:
        server.shutdown()
    return spread(samples)


if __name__ == "__main__":
    main()
