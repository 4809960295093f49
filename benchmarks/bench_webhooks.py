"""Webhook benchmark: signed Evolution webhooks filed per second, DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_webhooks.py [--runs 3] [--webhooks 1000] [--writers 4]

Each run files ``--webhooks`` signed webhooks through ``inbox.ingest`` (signature check, contract
check, replay receipt, lead capture for a new number, conversation, message, counter, event): 9 in
10 inbound messages from 250 contacts (so most land in an existing conversation), 1 in 10 a
delivery or read report for one of them. ``serial`` files them one at a time; ``concurrent``
splits the same kind of traffic over ``--writers`` threads, each with its own store on PostgreSQL
(its own connection) and one shared file store on DuckDB. Every run checks that each message
was stored exactly once and each conversation's unread count is exact. PostgreSQL runs with fsync
on, as in production.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import repeat
from pathlib import Path
from typing import Any

from common import spread
from tqdm import tqdm

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.modules.crm import inbox
from matrix.storage import Store, open_store
from matrix.testing.postgres import ThrowawayPostgres

RESULTS = Path(__file__).parent / "results"
SECRET = "whsec-bench-0123456789"
CONTACTS = 250


def bodies(tenant: str, n: int) -> list[bytes]:
    """``n`` signed-ready webhook bodies: inbound messages and, every tenth, a report on one."""
    start = SYSTEM_CLOCK.now()
    out = []
    for i in range(n):
        message = f"wamid-{tenant}-{i:07d}"
        doc: dict[str, Any] = {
            "event_id": env.new_id(), "tenant_id": tenant, "provider": "evolution-api",
            "instance_id": "bench", "event_type": "message.inbound",
            "occurred_at": env.timestamp(start + timedelta(milliseconds=i)), "trace_id": f"trace-{i:08d}",
            "payload": {"message_id": message, "from_e164": f"+551197{i % CONTACTS:07d}", "push_name": "Contato",
                        "message_type": "text", "text": "Oi, quero saber o preço", "raw": {}},
        }  # fmt: skip
        if i % 10 == 9:
            doc["event_type"] = "message.read_update" if i % 20 == 19 else "message.delivery_update"
            doc["payload"] = {"message_id": f"wamid-{tenant}-{i - 1:07d}", "delivery_state": "delivered",
                              "raw": {}}  # fmt: skip
        out.append(json.dumps(doc).encode())
    return out


def _file(store: Store, catalog: Catalog, tenant: str, payloads: list[bytes]) -> None:
    for body in payloads:
        result = inbox.ingest(store, SYSTEM_CLOCK, catalog, tenant_id=tenant, body=body,
                              signature=inbox.sign(body, SECRET), secret=SECRET)  # fmt: skip
        assert result["status"] == "accepted", result


def _check(store: Store, tenant: str, payloads: list[bytes]) -> None:
    inbound = sum(b'"message.inbound"' in body for body in payloads)
    assert len(store.modules.messages.find(tenant, limit=100_000)) == inbound
    conversations = store.modules.conversations.find(tenant, limit=100_000)
    assert sum(c["unread_count"] for c in conversations) == inbound


def bench(url: str, runs: int, webhooks: int, writers: int) -> dict[str, Any]:
    settings = Settings.load(storage_url=url)
    store = open_store(settings=settings, migrate=True)
    catalog = Catalog(settings.contracts_dir)
    shared = store.backend.dialect == "duckdb"
    others = [store if shared else open_store(settings=settings) for _ in range(writers)]
    serial, concurrent = [], []
    for run in tqdm(range(runs), desc=url.split(":")[0]):
        tenant = f"bench-{run}"
        payloads = bodies(tenant, webhooks)
        start = time.perf_counter()
        _file(store, catalog, tenant, payloads)
        serial.append(len(payloads) / (time.perf_counter() - start))
        _check(store, tenant, payloads)

        tenant = f"bench-{run}-c"
        payloads = bodies(tenant, webhooks)
        # Each writer takes every n-th webhook, so one contact's messages race across writers;
        # a report may be filed before the message it reports on (then it finds nothing).
        shares = [payloads[k::writers] for k in range(writers)]
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(_file, others, repeat(catalog), repeat(tenant), shares))
        concurrent.append(len(payloads) / (time.perf_counter() - start))
        _check(store, tenant, payloads)
    for other in others:
        if other is not store:
            other.close()
    store.close()
    return {"serial_per_s": spread(serial), f"concurrent_{writers}_per_s": spread(concurrent)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    report: dict[str, Any] = {
        "benchmark": "webhooks",
        "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
        "webhooks_per_run": args.webhooks,
    }
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        report["duckdb"] = bench(
            f"duckdb:///{tmp}/w.duckdb", args.runs, args.webhooks, args.writers
        )
    with ThrowawayPostgres(fsync=True) as pg:
        report["postgres"] = bench(pg.create_database(), args.runs, args.webhooks, args.writers)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"webhooks-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
