"""Module benchmark: inbound webhook ingest and outbound queue throughput, DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_modules.py [--runs 3]

- Ingest: 1,000 signed Evolution webhooks per run, one at a time through ``inbox.ingest``
  (signature check, contract check, replay receipt, lead capture for new numbers, conversation,
  message, event). 250 distinct senders, so most messages land in existing conversations.
- Outbound: 2,000 queued WhatsApp messages per run, sent by ``outbound.dispatch_due`` (batches
  of 50) through a recording transport; every message must end ``sent`` exactly once.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from common import spread
from tqdm import tqdm

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.modules.context import Work
from matrix.modules.crm import inbox, outbound
from matrix.modules.crm.outbound import RecordingTransport
from matrix.storage import open_store
from matrix.testing.postgres import ThrowawayPostgres

RESULTS = Path(__file__).parent / "results"
SECRET = "whsec-bench-0123456789"


def bodies(tenant: str, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        out.append(json.dumps({
            "event_id": env.new_id(), "tenant_id": tenant, "provider": "evolution-api", "instance_id": "bench",
            "event_type": "message.inbound", "occurred_at": env.timestamp(SYSTEM_CLOCK.now()),
            "trace_id": f"trace-{i:08d}", "payload": {"message_id": f"wamid-{env.new_id()}",
            "from_e164": f"+551197{i % 250:07d}", "push_name": "Contato", "message_type": "text",
            "text": "Oi, quero saber o preço", "raw": {}},
        }).encode())  # fmt: skip
    return out


def bench(url: str, runs: int) -> dict[str, Any]:
    settings = Settings.load(storage_url=url)
    store = open_store(settings=settings, migrate=True)
    catalog = Catalog(settings.contracts_dir)
    ingest, send = [], []
    for run in tqdm(range(runs), desc=url.split(":")[0]):
        tenant = f"bench-{run}"
        payloads = bodies(tenant, 1000)
        start = time.perf_counter()
        for body in payloads:
            inbox.ingest(store, SYSTEM_CLOCK, catalog, tenant_id=tenant, body=body,
                         signature=inbox.sign(body, SECRET), secret=SECRET)  # fmt: skip
        ingest.append(len(payloads) / (time.perf_counter() - start))
        assert len(store.modules.messages.find(tenant, limit=10_000)) == 1000

        work = Work.new(tenant, SYSTEM_CLOCK)
        with store.transaction():
            for i in range(2000):
                outbound.enqueue(store, work, context_type="manual", context_id=str(i), phone=f"+551196{i:07d}",
                                 text="Olá!", idempotency_key=f"bench:{run}:{i}")  # fmt: skip
        transport = RecordingTransport()
        start = time.perf_counter()
        while outbound.dispatch_due(store, transport, SYSTEM_CLOCK, on_outcome={}).sent:
            pass
        send.append(2000 / (time.perf_counter() - start))
        sent = store.modules.outbound.find(tenant, status="sent", limit=10_000)
        assert len(sent) == 2000 and len(transport.sent) == 2000 and transport.attempts == 2000
    store.close()
    return {"ingest_per_s": spread(ingest), "outbound_per_s": spread(send)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    report: dict[str, Any] = {
        "benchmark": "modules",
        "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        report["duckdb"] = bench(f"duckdb:///{tmp}/m.duckdb", args.runs)
    with ThrowawayPostgres(fsync=True) as pg:
        report["postgres"] = bench(pg.create_database(), args.runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"modules-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
