"""Event-log storage benchmark: append throughput and trace latency on DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_storage.py [--runs 5] [--events 1000000] [--backends duckdb,postgres]

Measures, per backend, the median (min-max) over ``--runs`` runs of:
  * single appends (one envelope per call, validated, one transaction each),
  * batches of 1,000 and of 100,000 envelopes (``append_many``),
then fills the store to ``--events`` envelopes and measures trace-by-correlation-id latency
(median and p95 over 500 random correlation ids, per run).

PostgreSQL is a throwaway server started from the machine's binaries with fsync on (the
production default). DuckDB is a file in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import spread
from tqdm import tqdm

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK, FrozenClock
from matrix.config import Settings
from matrix.storage import open_store
from matrix.testing.postgres import ThrowawayPostgres

RESULTS = Path(__file__).parent / "results"


def chain(tenant_id: str, clock: FrozenClock) -> list[env.Envelope]:
    """Five envelopes on one correlation id: owner command, task, accepted, completed, delegation."""
    corr, trace, task_id = env.new_id(), env.new_id(), env.new_id()
    common: dict[str, Any] = {
        "tenant_id": tenant_id,
        "correlation_id": corr,
        "trace_id": trace,
        "clock": clock,
    }
    owner = env.command(
        "owner.command.create", source_module=env.OWNER, target_module=env.OWNER,
        actor={"actor_id": "owner", "actor_type": "owner", "channel": "ui-chat"},
        payload={"owner_command_id": env.new_id(), "text": "follow up with the lead", "mode": "one-shot"},
        **common,
    )  # fmt: skip
    task = env.command(
        "module.task.create", source_module=env.OWNER, target_module=env.CRM,
        causation_id=owner["command_id"],
        actor={"actor_id": "owner-concierge", "actor_type": "agent", "channel": "api"},
        payload={"task_id": task_id, "task_type": "crm.followup.send", "priority": "normal", "input": {}},
        **common,
    )  # fmt: skip
    out = [owner, task]
    for name, status, payload in (
        ("module.task.accepted", "accepted", {"task_id": task_id, "accepted_by": "crm-worker"}),
        ("module.task.completed", "completed", {"task_id": task_id, "result_summary": "sent"}),
        ("crm.delegation.sent", "completed", {"task_id": task_id, "result_summary": "sent"}),
    ):
        clock.advance(0.2)
        out.append(env.event(name, source_module=env.CRM, target_module=env.OWNER, status=status,
                             causation_id=task["command_id"], payload=payload, **common))  # fmt: skip
    return out


def envelopes(n: int, clock: FrozenClock, tenants: int = 100) -> list[env.Envelope]:
    out: list[env.Envelope] = []
    while len(out) < n:
        out.extend(chain(f"tenant-{random.randrange(tenants):03d}", clock))
    return out[:n]


def timed(fn: Callable[[], int]) -> float:
    start = time.perf_counter()
    count = fn()
    return count / (time.perf_counter() - start)


def bench_backend(
    name: str, url: str, runs: int, fill_to: int, clock: FrozenClock
) -> dict[str, Any]:
    store = open_store(settings=Settings.load(storage_url=url), clock=clock, migrate=True)
    results: dict[str, Any] = {}
    single_n = 1000

    def single() -> int:
        for e in envelopes(single_n, clock):
            store.events.append(e)
        return single_n

    def batches(size: int, count: int) -> Callable[[], int]:
        data = [envelopes(size, clock) for _ in range(count)]

        def go() -> int:
            for batch in data:
                store.events.append_many(batch)
            return size * count

        return go

    store.events.append_many(envelopes(1000, clock))  # warm up imports and compiled validators
    print(f"[{name}] appends: {runs} runs each of 1,000 single appends, 10 x 1,000, 1 x 100,000")
    results["single_per_s"] = spread([timed(single) for _ in tqdm(range(runs), desc="single")])
    results["batch_1000_per_s"] = spread(
        [timed(batches(1000, 10)) for _ in tqdm(range(runs), desc="batch 1k")]
    )
    results["batch_100000_per_s"] = spread(
        [timed(batches(100_000, 1)) for _ in tqdm(range(runs), desc="batch 100k")]
    )
    results["ratio_batch_1000_vs_single"] = (
        results["batch_1000_per_s"]["median"] / results["single_per_s"]["median"]
    )
    results["ratio_batch_100000_vs_single"] = (
        results["batch_100000_per_s"]["median"] / results["single_per_s"]["median"]
    )

    stored = sum(store.events.count_all_tenants().values())
    print(f"[{name}] filling to {fill_to:,} envelopes (now {stored:,})")
    with tqdm(total=max(0, fill_to - stored), desc="fill", unit="env") as bar:
        while stored < fill_to:
            batch = envelopes(min(100_000, fill_to - stored), clock)
            stored += store.events.append_many(batch).added
            bar.update(len(batch))
    results["stored_events"] = stored

    with store.backend.transaction() as tx:
        pairs = tx.query("SELECT tenant_id, correlation_id FROM event_log USING SAMPLE 2000 ROWS") \
            if store.dialect == "duckdb" else \
            tx.query("SELECT tenant_id, correlation_id FROM event_log TABLESAMPLE SYSTEM (1) LIMIT 2000")  # fmt: skip
    medians, p95s = [], []
    for _ in tqdm(range(runs), desc="trace"):
        latencies = []
        for tenant, corr in random.sample(pairs, 500):
            start = time.perf_counter()
            found = store.events.trace(tenant, corr)
            latencies.append((time.perf_counter() - start) * 1000)
            assert found, "a sampled correlation id must have a trace"
        latencies.sort()
        medians.append(statistics.median(latencies))
        p95s.append(latencies[int(len(latencies) * 0.95) - 1])
    results["trace_median_ms"] = spread(medians)
    results["trace_p95_ms"] = spread(p95s)
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    random.seed(7)
    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    report: dict[str, Any] = {
        "benchmark": "storage",
        "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "args": vars(args),
        "backends": {},
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        for backend in args.backends.split(","):
            if backend == "duckdb":
                url = f"duckdb:///{tmp}/bench.duckdb"
                report["backends"]["duckdb"] = bench_backend(
                    "duckdb", url, args.runs, args.events, clock
                )
            elif backend == "postgres":
                with ThrowawayPostgres(fsync=True) as pg:
                    url = pg.create_database("bench")
                    report["backends"]["postgres"] = bench_backend(
                        "postgres", url, args.runs, args.events, clock
                    )
            else:
                parser.error(f"unknown backend {backend!r}; use duckdb and/or postgres")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"storage-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {out}\n")
    print(
        "| backend | single appends/s | batch 1,000 /s | batch 100,000 /s | 1k÷single | 100k÷single | trace median ms | trace p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in report["backends"].items():

        def f(key: str, fmt: str = ",.0f", r: dict[str, Any] = r) -> str:
            s = r[key]
            return f"{s['median']:{fmt}} ({s['min']:{fmt}}–{s['max']:{fmt}})"

        print(
            f"| {name} | {f('single_per_s')} | {f('batch_1000_per_s')} | {f('batch_100000_per_s')} | "
            f"{r['ratio_batch_1000_vs_single']:.0f}× | {r['ratio_batch_100000_vs_single']:.0f}× | "
            f"{f('trace_median_ms', '.2f')} | {f('trace_p95_ms', '.2f')} |"
        )


if __name__ == "__main__":
    main()
