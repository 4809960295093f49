"""Concierge runtime benchmark: interactions/s, task-queue throughput, simulation time.

    .venv/bin/python benchmarks/bench_runtime.py [--runs 5] [--skip-simulate]

1. Interactions per second through ``Concierge.interact`` with the local provider, on a DuckDB
   file and on a throwaway PostgreSQL (fsync on): 200 owner messages per run, drawn from the
   simulator's request mix (about half queue a task, some ask for approval).
2. Task-queue throughput on PostgreSQL with 1 and with 2 worker processes sharing the queue
   (``FOR UPDATE SKIP LOCKED``): 3,000 queued tasks per run, a handler that performs one
   ledgered side effect; afterwards every task must be completed exactly once (events and side
   effects counted) — any duplicate fails the benchmark.
3. Wall time of ``matrix simulate --tenants 20 --days 30`` on a fresh DuckDB store.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from common import spread
from tqdm import tqdm

from matrix import envelopes as env
from matrix.app import build
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.modules.tasks import Task, TaskStatus
from matrix.simulate import owner_request
from matrix.storage import open_store
from matrix.testing.postgres import ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"


def messages(n: int, rng: random.Random) -> list[str]:
    return [owner_request(rng, "pt" if rng.random() < 0.7 else "en") for _ in range(n)]


def bench_interactions(url: str, runs: int, per_run: int = 200) -> dict[str, Any]:
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings, migrate=True)
    store.tenants.add("bench")
    concierge = build(settings, store=store).concierge
    concierge.save_config("bench", {"execution": {"max_pending_confirmations": 500}})
    rng = random.Random(11)
    concierge.interact("bench", "warm-up", "Oi")
    rates = []
    for _ in tqdm(range(runs), desc=f"interactions {url.split(':')[0]}"):
        batch = messages(per_run, rng)
        start = time.perf_counter()
        for text in batch:
            concierge.interact("bench", "s1", text)
        rates.append(per_run / (time.perf_counter() - start))
        concierge.expire_due()
        with store.backend.transaction() as tx:  # keep the approval queue from filling up
            tx.execute("UPDATE approvals SET status = 'rejected' WHERE status = 'pending'")
    store.close()
    return spread(rates)


WORKER = textwrap.dedent(
    """
    import sys, time
    from matrix.config import Settings
    from matrix.runtime import Worker
    from matrix.storage import open_store

    url, start_at = sys.argv[1], float(sys.argv[2])
    store = open_store(settings=Settings.load(storage_url=url))
    worker = Worker(store, {"crm.followup.send": lambda ctx: "sent " + ctx.effect("send", lambda key: key[-6:])})
    time.sleep(max(0.0, start_at - time.time()))
    stats = worker.drain(max_tasks=1_000_000)
    print(stats.completed, stats.lost, flush=True)
    """
)


def enqueue(url: str, n: int) -> None:
    settings = Settings.load(storage_url=url)
    with open_store(settings=settings) as store:
        now = SYSTEM_CLOCK.now()
        tasks = []
        for _ in range(n):
            task_id, corr = env.new_id(), env.new_id()
            command = env.command(
                "module.task.create", tenant_id="bench", source_module=env.OWNER, target_module=env.CRM,
                correlation_id=corr, actor={"actor_id": "bench", "actor_type": "system", "channel": "api"},
                payload={"task_id": task_id, "task_type": "crm.followup.send", "priority": "normal", "input": {}},
            )  # fmt: skip
            tasks.append(Task(
                task_id=task_id, tenant_id="bench", task_type="crm.followup.send", target_module=env.CRM,
                priority="normal", status=TaskStatus.QUEUED, attempts=0, max_attempts=5, available_at=now,
                correlation_id=corr, trace_id=command["trace_id"], command_id=command["command_id"],
                command=command, created_at=now,
            ))  # fmt: skip
        with store.transaction():
            for task in tasks:
                store.tasks.enqueue(task)


def bench_queue(pg: ThrowawayPostgres, workers: int, runs: int, n: int = 3000) -> dict[str, Any]:
    rates, duplicates = [], 0
    for _ in tqdm(range(runs), desc=f"queue x{workers} workers"):
        url = pg.create_database()
        with open_store(settings=Settings.load(storage_url=url), migrate=True):
            pass
        enqueue(url, n)
        start_at = time.time() + 3.0
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(start_at)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]  # fmt: skip
        outs = [p.communicate(timeout=1800) for p in procs]
        elapsed = time.time() - start_at
        for p, (_out, err) in zip(procs, outs, strict=True):
            if p.returncode != 0:
                raise SystemExit(f"worker failed: {err[-2000:]}")
        completed = sum(int(out.split()[0]) for out, _ in outs)
        with (
            open_store(settings=Settings.load(storage_url=url)) as store,
            store.backend.transaction() as tx,
        ):
            per_task = tx.query(
                "SELECT count(*) FROM event_log WHERE name = 'module.task.completed' GROUP BY envelope::json->'payload'->>'task_id' HAVING count(*) > 1"
            )
            effects = tx.query("SELECT count(*) FROM side_effects")[0][0]
            done = tx.query("SELECT count(*) FROM task_queue WHERE status = 'completed'")[0][0]
        duplicates += len(per_task)
        if completed != n or done != n or effects != n or per_task:
            raise SystemExit(
                f"exactly-once violated: completed={completed} done={done} effects={effects} dup={len(per_task)}"
            )
        rates.append(n / elapsed)
    return {"tasks_per_s": spread(rates), "tasks_per_run": n, "duplicates": duplicates}


def bench_simulate(runs: int) -> dict[str, Any]:
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="matrix-sim-") as tmp:
            url = f"duckdb:///{tmp}/sim.duckdb"
            subprocess.run([sys.executable, "-m", "matrix", "init", "--storage-url", url], check=True, cwd=ROOT,
                           capture_output=True)  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "matrix", "simulate", "--tenants", "20", "--days", "30",
                                   "--storage-url", url, "--json"], check=True, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
            seconds.append(time.perf_counter() - start)
            report = json.loads(done.stdout)
            print(
                f"  simulate: {seconds[-1]:.1f} s, {report['interactions']} interactions",
                file=sys.stderr,
            )
    return {"seconds": spread(seconds), "last_report": report}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--simulate-runs", type=int, default=3)
    parser.add_argument("--skip-simulate", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "runtime", "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
                              "machine": {"python": platform.python_version(), "platform": platform.platform()}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        report["interactions_duckdb"] = bench_interactions(f"duckdb:///{tmp}/i.duckdb", args.runs)
    with ThrowawayPostgres(fsync=True) as pg:
        report["interactions_postgres"] = bench_interactions(pg.create_database(), args.runs)
        report["queue_1_worker"] = bench_queue(pg, 1, max(3, args.runs // 2))
        report["queue_2_workers"] = bench_queue(pg, 2, max(3, args.runs // 2))
    if not args.skip_simulate:
        report["simulate_20x30"] = bench_simulate(args.simulate_runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"runtime-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
