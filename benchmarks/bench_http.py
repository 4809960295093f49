"""HTTP benchmark: owner interactions and signed webhooks per second through `matrix serve`.

    .venv/bin/python benchmarks/bench_http.py [--runs 3] [--seconds 8] [--clients 1,4,16]

The server is the one users start: `matrix serve` in its own process (uvicorn, API + dashboards +
scheduler), on PostgreSQL with `--workers 2` and on an embedded DuckDB file (one process). The
load comes from this process: asyncio with one keep-alive HTTP connection per client, each
client sending its next request as soon as the last one is answered, for ``--seconds`` per
level. Every answer must be 200 (anything else aborts the run). Owner requests alternate between
a task ("schedule a meeting..."), a greeting (no task) and a customer registration, so the
scheduler has real work beside the API. Webhooks are signed inbound messages from 250 contacts,
filed by 4 clients. Reported: requests per second, and the p50/p99 latency per level; medians
of ``--runs``. The token rate limit is turned off for the run (MATRIX_API_RATE_PER_MINUTE=0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from bench_webhooks import SECRET, bodies
from common import spread

from matrix.clock import SYSTEM_CLOCK
from matrix.modules.crm import inbox
from matrix.testing.postgres import ThrowawayPostgres

RESULTS = Path(__file__).parent / "results"
MATRIX = str(Path(sys.executable).parent / "matrix")
TENANT = "bench"
TEXTS = (
    "Agende uma reunião com a Ana sexta às 10h",
    "Bom dia!",
    "Cadastrar cliente Maria Souza",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([MATRIX, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"matrix {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def prepare(env: dict[str, str]) -> str:
    """A migrated store with the bench tenant, its webhook secret and a token; the token."""
    _cli(env, "init")
    _cli(env, "tenant", "create", TENANT)
    token: str = json.loads(
        _cli(env, "token", "create", "--tenant", TENANT, "--name", "bench", "--json")
    )["token"]
    return token


class Server:
    """`matrix serve` in a child process until stopped."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [MATRIX, "serve", "--port", str(self.port)] + (
            ["--workers", str(workers)] if workers > 1 else []
        )
        self.process = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"matrix serve exited: {self.process.stderr.read().decode()[-2000:]}"
                )  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("matrix serve did not answer /health within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def interaction(i: int) -> dict[str, Any]:
    return {"request": {"request_id": str(uuid.uuid4()), "session_id": str(uuid.uuid4()),
                        "operation": "send_message", "channel": "ui-chat",
                        "payload": {"text": TEXTS[i % len(TEXTS)]}}}  # fmt: skip


async def _client(url: str, token: str, deadline: float, latencies: list[float], make: Any) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        i = 0
        while time.perf_counter() < deadline:
            path, kwargs = make(i)
            started = time.perf_counter()
            answer = await client.post(path, **kwargs)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"POST {path} answered {answer.status_code}: {answer.text[:500]}")
            i += 1


async def _level(url: str, token: str, clients: int, seconds: float, make: Any) -> dict[str, float]:
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_client(url, token, deadline, latencies, make) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"per_s": len(ordered) / elapsed, "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}  # fmt: skip


def owner_requests(i: int) -> tuple[str, dict[str, Any]]:
    return "/v1/owner-concierge/interaction", {"json": interaction(i)}


def webhook_requests() -> Any:
    """Signed inbound messages to the bench tenant, a fresh one per request."""
    pending = iter(bodies(TENANT, 200_000))

    def make(_i: int) -> tuple[str, dict[str, Any]]:
        body = next(pending)
        return "/provider/evolution/webhook", {"content": body, "headers": {
            "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + inbox.sign(body, SECRET)}}  # fmt: skip

    return make


def bench(url: str, workers: int, runs: int, seconds: float, levels: list[int]) -> dict[str, Any]:
    env = {
        **os.environ,
        "MATRIX_STORAGE_URL": url,
        "MATRIX_API_RATE_PER_MINUTE": "0",
        "MATRIX_PROVIDER_MODE": "local",
    }
    if url.startswith(
        "postgres"
    ):  # a PostgreSQL store seals its secrets with a key from the settings
        env["MATRIX_SECRET_KEY"] = _cli(env, "secrets", "new-key").split()[-1]
    token = prepare(env)
    server = Server(env, workers)
    try:
        secret = {"integrations": {"crm_evolution": {"webhook_secret": SECRET}}}
        answer = httpx.post(server.url + "/v1/owner-concierge/runtime-config", timeout=30,
                            headers={"Authorization": f"Bearer {token}"},
                            json={"request": {"request_id": "bench-config", "config": secret}})  # fmt: skip
        if answer.status_code != 200:
            raise SystemExit(f"setting the webhook secret failed: {answer.text}")
        results: dict[str, Any] = {"workers": workers}
        for clients in levels:
            rounds = [
                asyncio.run(_level(server.url, token, clients, seconds, owner_requests))
                for _ in range(runs)
            ]
            results[f"interactions_{clients}_clients"] = {
                k: spread([r[k] for r in rounds]) for k in rounds[0]
            }
        make = webhook_requests()
        rounds = [asyncio.run(_level(server.url, token, 4, seconds, make)) for _ in range(runs)]
        results["webhooks_4_clients"] = {k: spread([r[k] for r in rounds]) for k in rounds[0]}
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", default="1,4,16")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    report: dict[str, Any] = {"benchmark": "http", "when": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
                              "seconds_per_level": args.seconds, "cpus": os.cpu_count()}  # fmt: skip
    with ThrowawayPostgres(fsync=True) as pg:
        report["postgres"] = bench(pg.create_database(), 2, args.runs, args.seconds, levels)
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        report["duckdb"] = bench(f"duckdb:///{tmp}/h.duckdb", 1, args.runs, args.seconds, levels)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"http-{SYSTEM_CLOCK.now():%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
