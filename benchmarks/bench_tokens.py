"""Token authentication cost: ``authenticate(store, header)`` latency on DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_tokens.py [--runs 5] [--calls 2000] [--tokens 1000] [--backends duckdb,postgres]

Per backend: a store with ``--tokens`` tokens over 10 tenants, then ``--calls`` authentications
of random valid tokens per run (after 200 warm-up calls), timed one by one; prints p50, p95 and
p99 in milliseconds, each as the median (min-max) over ``--runs`` runs: as a server sees them
(an embedded store answers a token it found while it still holds the file from memory), and
uncached (every call reads the store). Refusals that need no lookup (a bad checksum) are timed
too. DuckDB is a file in a temporary folder; PostgreSQL a
throwaway server started from the machine's binaries.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from common import spread

from matrix.config import Settings
from matrix.errors import AuthenticationError
from matrix.storage import Store, open_store
from matrix.storage.secrets import new_key
from matrix.testing.postgres import ThrowawayPostgres
from matrix.tokens import authenticate, create_token


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def fill(store: Store, tokens: int) -> list[str]:
    """``tokens`` valid tokens over 10 tenants."""
    for t in range(10):
        store.tenants.add(f"tenant-{t}")
    return [create_token(store, tenant_id=f"tenant-{i % 10}").token for i in range(tokens)]


def _timed(store: Store, headers: list[str], *, cold: bool) -> list[float]:
    samples = []
    for header in headers:
        if cold:
            store.api_tokens.forget()
        start = time.perf_counter()
        authenticate(store, header)
        samples.append(time.perf_counter() - start)
    return samples


def measure(store: Store, tokens: list[str], calls: int, rng: random.Random) -> dict[str, Any]:
    headers = [f"Bearer {rng.choice(tokens)}" for _ in range(calls + 200)]
    _timed(store, headers[:200], cold=False)
    warm = _percentiles(_timed(store, headers[200:], cold=False))
    cold = _percentiles(_timed(store, headers[200:], cold=True))
    refused = []
    typo = tokens[0][:-1] + ("a" if tokens[0][-1] != "a" else "b")
    for _ in range(calls):
        start = time.perf_counter()
        with contextlib.suppress(AuthenticationError):
            authenticate(store, f"Bearer {typo}")
        refused.append(time.perf_counter() - start)
    return {**warm, **{f"uncached_{k}": v for k, v in cold.items()},
            "bad_checksum_p95_ms": _percentiles(refused)["p95_ms"]}  # fmt: skip


def run_backend(url: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings.load(storage_url=url, secret_key=new_key())
    runs = []
    with open_store(settings=settings, migrate=True) as store:
        tokens = fill(store, args.tokens)
        for run in range(args.runs):
            runs.append(measure(store, tokens, args.calls, random.Random(run)))
    return {key: spread([r[key] for r in runs]) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": platform.platform(), "python": platform.python_version()}
    backends = args.backends.split(",")
    if "duckdb" in backends:
        with tempfile.TemporaryDirectory() as folder:
            results["duckdb"] = run_backend(f"duckdb:///{Path(folder) / 'tokens.duckdb'}", args)
    if "postgres" in backends:
        server = ThrowawayPostgres().start()
        try:
            results["postgres"] = run_backend(server.create_database(), args)
        finally:
            server.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
