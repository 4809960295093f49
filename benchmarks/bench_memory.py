"""Memory's recall at scale: the latency of one owner turn's recall (the product's
``Memory.recall``: query embedding, BM25 and cosine search, RRF, the session's turns and
episodes, the budget cut) with 10,000 long-term entries per tenant, on DuckDB and on PostgreSQL,
side by side in one run.

    .venv/bin/python benchmarks/bench_memory.py [--entries 10000] [--tenants 3] [--queries 200] [--runs 3]

Entries are owner statements generated from word banks (as many distinct terms as a business
owner uses), each with its local embedding (wordllama, 256 dimensions), written through the
store's memory repository in batches. Each run asks ``--queries`` questions of one tenant, in a
session that has its own turns; the p50 and p95 of each run are reported, and the median over
``--runs``. PostgreSQL runs on a throwaway server started from the machine's binaries, its
statistics refreshed after the load (as autovacuum does). Writes
``benchmarks/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.memory import extract
from matrix.memory import text as mtext
from matrix.memory.service import Memory
from matrix.providers.embeddings import LocalEmbedder
from matrix.storage import open_store
from matrix.testing.postgres import ThrowawayPostgres

THINGS = ("supplier", "accountant", "landlord", "van", "printer", "alarm", "contract", "invoice",
          "rent", "insurance", "website", "menu", "oven", "freezer", "uniform", "delivery", "cleaner",
          "plumber", "electrician", "lawyer", "bank", "loan", "tax", "payroll", "schedule", "holiday")  # fmt: skip
PEOPLE = ("Ana", "Rui", "Marta", "Bruno", "Carla", "Diego", "Elena", "Fabio", "Gina", "Hugo", "Ines",
          "Joao", "Karin", "Luis", "Mara", "Nuno", "Olga", "Paulo", "Rita", "Sara", "Tiago", "Vera")  # fmt: skip
PLACES = ("Porto", "Lisbon", "Braga", "Faro", "Coimbra", "Aveiro", "Setubal", "Evora", "Leiria")
TEMPLATES = (
    "Our {thing} is {person} from {place}, call them on Mondays.",
    "I prefer to pay the {thing} on the {day}th of each month.",
    "The {thing} now costs {amount} euros, {person} confirmed it.",
    "We will replace the {thing} in {place} before {month}.",
    "Remind {person} about the {thing} invoice {number}.",
    "The {thing} for the {place} shop is handled by {person}.",
)
MONTHS = ("January", "March", "May", "July", "September", "November")


def statement(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        thing=rng.choice(THINGS), person=rng.choice(PEOPLE), place=rng.choice(PLACES),
        day=rng.randint(1, 28), amount=rng.randint(50, 5000), month=rng.choice(MONTHS),
        number=rng.randint(100, 9999),
    )  # fmt: skip


def fill(store: Any, embedder: LocalEmbedder, tenant: str, entries: int, rng: random.Random,
         at: datetime) -> None:  # fmt: skip
    store.tenants.add(tenant)
    batch = 1000
    for start in range(0, entries, batch):
        texts = [statement(rng) for _ in range(min(batch, entries - start))]
        vectors = embedder.embed(texts)
        with store.transaction():
            for i, (content, vector) in enumerate(zip(texts, vectors, strict=True)):
                found = extract.statements(content)
                salience = found[0].salience if found else 0.35
                memory_id = str(uuid.uuid4())
                when = at - timedelta(minutes=entries - start - i)
                counts = mtext.term_counts(content)
                store.memory.insert_entry({
                    "memory_id": memory_id, "tenant_id": tenant, "session_id": f"s{(start + i) % 40}",
                    "external_key": None, "source": "user_message", "content": content,
                    "content_hash": mtext.content_hash(content) + memory_id[:8], "subject_key": None,
                    "tags": [], "salience": salience, "status": "promoted" if salience >= 0.7 else "candidate",
                    "valid_at": when, "invalid_at": None, "superseded_by": None, "source_turns": [],
                    "metadata": {}, "doc_len": sum(counts.values()), "created_at": when, "updated_at": when,
                }, counts)  # fmt: skip
                store.memory.put_vectors(tenant, embedder.model, [(memory_id, vector)], when)


def measure(url: str, args: argparse.Namespace, embedder: LocalEmbedder) -> dict[str, Any]:
    clock = FrozenClock(datetime(2026, 11, 1, 9, tzinfo=UTC))
    store = open_store(settings=Settings.load(storage_url=url), clock=clock, migrate=True)
    rng = random.Random(17)
    started = time.perf_counter()
    tenants = [f"bench-{i:02d}" for i in range(args.tenants)]
    for tenant in tenants:
        fill(store, embedder, tenant, args.entries, rng, clock.now())
    store.admin.analyze()  # as autovacuum would after a bulk load (PostgreSQL)
    filled = time.perf_counter() - started
    memory = Memory(store, clock, embedders=lambda ai, mode=None: embedder)
    chain = env.Chain(
        tenant_id=tenants[0], clock=clock, correlation_id=env.new_id(), trace_id=env.new_id()
    )
    with store.transaction():  # the asking session has a history of its own
        for _ in range(12):
            memory.remember(chain, "asking", statement(rng), "Noted.")
    runs = []
    items = []
    for _ in range(args.runs):
        latencies = []
        for _ in range(args.queries):
            question = f"What about the {rng.choice(THINGS)} in {rng.choice(PLACES)}?"
            t = time.perf_counter()
            recall = memory.recall(tenants[0], "asking", question)
            latencies.append((time.perf_counter() - t) * 1000)
            items.append(len(recall.entries))
        latencies.sort()
        runs.append({"p50": statistics.median(latencies),
                     "p95": latencies[int(0.95 * len(latencies)) - 1]})  # fmt: skip
    store.close()
    return {
        "entries_per_tenant": args.entries, "tenants": args.tenants, "fill_seconds": round(filled, 1),
        "p50_ms_median": round(statistics.median(r["p50"] for r in runs), 2),
        "p95_ms_median": round(statistics.median(r["p95"] for r in runs), 2),
        "p95_ms_runs": [round(r["p95"], 2) for r in runs], "mean_items": round(statistics.mean(items), 2),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    embedder = LocalEmbedder()
    results: dict[str, Any] = {"machine": platform.platform(), "python": platform.python_version(),
                               "cpus": os.cpu_count(), "load_before": os.getloadavg()}  # fmt: skip
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    db = folder / "memory-bench.duckdb"
    db.unlink(missing_ok=True)
    results["duckdb"] = measure(f"duckdb:///{db}", args, embedder)
    db.unlink(missing_ok=True)
    print(json.dumps({"duckdb": results["duckdb"]}), flush=True)
    with ThrowawayPostgres() as server:
        results["postgres"] = measure(server.create_database(), args, embedder)
    results["load_after"] = os.getloadavg()
    (folder / "memory.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
