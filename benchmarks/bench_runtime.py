"""Concierge runtime benchmark: interactions/s, task queue against raw SQL, simulation time.

    .venv/bin/python benchmarks/bench_runtime.py [--runs 5] [--simulate-runs 3] [--skip-simulate]

One command, one run, every number side by side on this machine; it ends with a Markdown table
to paste into BENCHMARKS.md (and writes the full JSON under ``benchmarks/results/``).

1. Interactions per second through ``Concierge.interact`` with the local provider, 1 and 4
   concurrent clients, on a DuckDB file and on a throwaway PostgreSQL (fsync on): 200 owner
   messages per client per run, drawn from the simulator's request mix (about half queue a task,
   some ask for approval), each client on its own tenant. PostgreSQL clients are separate
   processes with their own connection (as API workers are); DuckDB allows one writing process
   per file, so its clients are threads sharing the process's store.
2. Task-queue throughput on PostgreSQL with 1 and with 2 worker processes sharing the queue
   (``FOR UPDATE SKIP LOCKED``): 3,000 queued tasks per run, a handler that performs one
   ledgered side effect; afterwards every task must be completed exactly once (events and side
   effects counted) — any duplicate fails the benchmark. Next to it, on the same server, the raw
   SQL a queue cannot beat: claim and complete a row, one transaction per job, 1 and 2 processes.
3. Wall time of ``matrix simulate --tenants 20 --days 30`` on a fresh DuckDB store.

Webhooks/s is measured by ``bench_webhooks.py`` (its row here says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import threading
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


CLIENT = textwrap.dedent(
    """
    import json, sys, time
    from matrix.app import build
    from matrix.config import Settings
    from matrix.storage import open_store

    url, tenant, start_at, texts = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings)
    concierge = build(settings, store=store).concierge
    concierge.interact(tenant, "warm-up", "Oi")
    time.sleep(max(0.0, start_at - time.time()))
    for text in texts:
        concierge.interact(tenant, "s1", text)
    print(time.time(), flush=True)
    store.close()
    """
)


def bench_interactions(url: str, runs: int, clients: int, per_run: int = 200) -> dict[str, Any]:
    """Interactions/s of ``clients`` concurrent clients (processes on PostgreSQL, threads on
    DuckDB), each sending ``per_run`` messages per run on its own tenant."""
    settings = Settings.load(storage_url=url, provider_mode="local")
    store = open_store(settings=settings, migrate=True)
    concierge = build(settings, store=store).concierge
    tenants = [f"bench-{clients}-{i}" for i in range(clients)]
    for tenant in tenants:
        store.tenants.add(tenant)
        concierge.save_config(tenant, {"execution": {"max_pending_confirmations": 500}})
        concierge.interact(tenant, "warm-up", "Oi")
    rng = random.Random(11 + clients)
    rates = []
    for _ in tqdm(range(runs), desc=f"interactions {url.split(':')[0]} x{clients}"):
        batches = [messages(per_run, rng) for _ in tenants]
        if store.dialect == "postgres":
            rates.append(_in_processes(url, tenants, batches))
        else:
            rates.append(_in_threads(concierge, tenants, batches))
        concierge.expire_due()
        with store.backend.transaction() as tx:  # keep the approval queues from filling up
            tx.execute("UPDATE approvals SET status = 'rejected' WHERE status = 'pending'")
    store.close()
    return spread(rates)


def _in_threads(concierge: Any, tenants: list[str], batches: list[list[str]]) -> float:
    def client(tenant: str, texts: list[str]) -> None:
        for text in texts:
            concierge.interact(tenant, "s1", text)

    threads = [
        threading.Thread(target=client, args=pair) for pair in zip(tenants, batches, strict=True)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(map(len, batches)) / (time.perf_counter() - start)


def _in_processes(url: str, tenants: list[str], batches: list[list[str]]) -> float:
    start_at = time.time() + 3.0  # every client connected and warm before the clock starts
    procs = [subprocess.Popen([sys.executable, "-c", CLIENT, url, tenant, str(start_at), json.dumps(texts)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tenant, texts in zip(tenants, batches, strict=True)]  # fmt: skip
    ends = []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"client failed: {err[-2000:]}")
        ends.append(float(out.split()[-1]))
    return sum(map(len, batches)) / (max(ends) - start_at)


WORKER = textwrap.dedent(
    """
    import sys, time
    from matrix.config import Settings
    from matrix.runtime import Worker
    from matrix.storage import open_store

    url, start_at = sys.argv[1], float(sys.argv[2])
    store = open_store(settings=Settings.load(storage_url=url))
    worker = Worker(store, {"crm.followup.send": lambda ctx: "sent " + ctx.once("send", lambda key: key[-6:])})
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


RAW = textwrap.dedent(
    """
    import sys, time
    import psycopg

    url, start_at = sys.argv[1], float(sys.argv[2])
    done = 0
    with psycopg.connect(url, autocommit=True) as conn:
        time.sleep(max(0.0, start_at - time.time()))
        while True:
            with conn.transaction():
                row = conn.execute(
                    "SELECT id FROM raw_jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
                    " FOR UPDATE SKIP LOCKED"
                ).fetchone()
                if row is None:
                    break
                conn.execute("UPDATE raw_jobs SET status = 'done', attempts = attempts + 1 WHERE id = %s", row)
            done += 1
    print(done, flush=True)
    """
)


def bench_raw_queue(
    pg: ThrowawayPostgres, workers: int, runs: int, n: int = 20_000
) -> dict[str, Any]:
    """Raw claim+complete SQL on the same server: one transaction per job (select the oldest
    queued row ``FOR UPDATE SKIP LOCKED``, mark it done, commit), in ``workers`` processes."""
    import psycopg  # the raw baseline talks to the server directly, as matrix's backend does

    rates = []
    for _ in tqdm(range(runs), desc=f"raw SQL x{workers}"):
        url = pg.create_database()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE raw_jobs (id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL,"
                         " attempts INT NOT NULL DEFAULT 0, payload TEXT)")  # fmt: skip
            conn.execute("CREATE INDEX raw_jobs_queued ON raw_jobs (id) WHERE status = 'queued'")
            conn.execute("INSERT INTO raw_jobs (status, payload) SELECT 'queued', md5(i::text)"
                         " FROM generate_series(1, %s) AS i", [n])  # fmt: skip
            conn.execute("VACUUM ANALYZE raw_jobs")
        start_at = time.time() + 2.0
        procs = [subprocess.Popen([sys.executable, "-c", RAW, url, str(start_at)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]  # fmt: skip
        outs = [p.communicate(timeout=1800) for p in procs]
        elapsed = time.time() - start_at
        if any(p.returncode for p in procs) or sum(int(o.split()[0]) for o, _ in outs) != n:
            raise SystemExit(f"raw queue failed: {[e[-500:] for _, e in outs]}")
        rates.append(n / elapsed)
    return {"jobs_per_s": spread(rates), "jobs_per_run": n}


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


def _cell(s: dict[str, float] | None, digits: int = 1) -> str:
    if s is None:
        return "not run"
    return f"{s['median']:,.{digits}f} ({s['min']:,.{digits}f}–{s['max']:,.{digits}f})"


def table(report: dict[str, Any]) -> str:
    """The side-by-side Markdown table of one run, with each target and whether it was met."""
    r = report
    q1, q2 = r["queue_1_worker"]["tasks_per_s"], r["queue_2_workers"]["tasks_per_s"]
    raw1, raw2 = r["raw_sql_1"]["jobs_per_s"], r["raw_sql_2"]["jobs_per_s"]
    pg4 = r["interactions_postgres_4"]
    sim = r.get("simulate_20x30", {}).get("seconds")
    share = q2["median"] / raw2["median"]
    rows = [
        "| what | DuckDB | PostgreSQL | target |",
        "|---|---|---|---|",
        f"| interactions / s, 1 client | {_cell(r['interactions_duckdb_1'])} | {_cell(r['interactions_postgres_1'])} | |",
        f"| interactions / s, 4 concurrent clients | {_cell(r['interactions_duckdb_4'])} | {_cell(pg4)} |"
        f" PostgreSQL ≥ 400: {'met' if pg4['median'] >= 400 else 'missed'} |",
        f"| tasks / s, 1 worker process | | {_cell(q1)} | |",
        f"| tasks / s, 2 worker processes | | {_cell(q2)} | |",
        f"| raw claim+complete SQL / s, 1 process | | {_cell(raw1, 0)} | |",
        f"| raw claim+complete SQL / s, 2 processes | | {_cell(raw2, 0)} | |",
        f"| 2-worker queue ÷ raw SQL (2 processes) | | {share:.0%} | ≥ 25 %: {'met' if share >= 0.25 else 'missed'} |",
        "| webhooks / s | see `bench_webhooks.py` | see `bench_webhooks.py` | DuckDB ≥ 150 |",
        f"| `matrix simulate --tenants 20 --days 30` (s) | {_cell(sim)} | |"
        f" < 120 s: {'not run' if sim is None else 'met' if sim['median'] < 120 else 'missed'} |",
    ]  # fmt: skip
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--simulate-runs", type=int, default=3)
    parser.add_argument("--skip-simulate", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"benchmark": "runtime", "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
                              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                          "cpus": os.cpu_count(), "load_average": os.getloadavg()}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        for clients in (1, 4):
            report[f"interactions_duckdb_{clients}"] = bench_interactions(
                f"duckdb:///{tmp}/i{clients}.duckdb", args.runs, clients
            )
    with ThrowawayPostgres(fsync=True) as pg:
        for clients in (1, 4):
            report[f"interactions_postgres_{clients}"] = bench_interactions(
                pg.create_database(), args.runs, clients
            )
        queue_runs = max(3, args.runs // 2)
        report["queue_1_worker"] = bench_queue(pg, 1, queue_runs)
        report["queue_2_workers"] = bench_queue(pg, 2, queue_runs)
        report["raw_sql_1"] = bench_raw_queue(pg, 1, queue_runs)
        report["raw_sql_2"] = bench_raw_queue(pg, 2, queue_runs)
    if not args.skip_simulate:
        report["simulate_20x30"] = bench_simulate(args.simulate_runs)
    report["machine"]["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"runtime-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=2))
    print(f"wrote {out}")
    print(f"\nload average before/after: {report['machine']['load_average']} / {report['machine']['load_average_after']}"
          f" on {os.cpu_count()} CPUs\n")  # fmt: skip
    print(table(report))


if __name__ == "__main__":
    main()
