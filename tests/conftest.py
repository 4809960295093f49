"""Shared fixtures: stores on both backends, a throwaway PostgreSQL, a frozen clock.

Tests that need PostgreSQL skip locally with a clear reason when its binaries are missing, and
fail under ``CI=true``: CI must run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matrix.app import build
from matrix.clock import FrozenClock
from matrix.config import Settings, running_in_ci
from matrix.storage import Store, open_store
from matrix.testing.postgres import INSTALL_HINT, ThrowawayPostgres, find_bin_dir

ROOT = Path(__file__).resolve().parent.parent
IN_CI = running_in_ci()


def require_service(available: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a service a test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def row_counts(store: Store) -> dict[str, int]:
    """Rows per table of ``store``, in one query (the fuzz tests read it around every refusal)."""
    with store.backend.transaction() as tx:
        tables = [str(r[0]) for r in tx.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")]  # fmt: skip
        union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
        return {str(name): int(n) for name, n in tx.query(union)}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    require_service(find_bin_dir() is not None, INSTALL_HINT)
    server = ThrowawayPostgres().start()
    try:
        yield server
    finally:
        server.stop()


# A PostgreSQL store needs MATRIX_SECRET_KEY to seal tenant secrets, as a deployment sets it.
POSTGRES_SECRET_KEY = "dGVzdC1vbmx5LWtleS1mb3ItdGhyb3dhd2F5LXBnLTA="


@pytest.fixture
def postgres_url(postgres_server: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty database on the session's throwaway server (with MATRIX_SECRET_KEY set)."""
    monkeypatch.setenv("MATRIX_SECRET_KEY", POSTGRES_SECRET_KEY)
    return postgres_server.create_database()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(params=["duckdb", "postgres"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store on each backend (DuckDB as a file, to exercise the lease)."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'store.duckdb'}"
    request.applymarker(pytest.mark.postgres)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(backend_url: str, clock: FrozenClock) -> Iterator[Store]:
    """A migrated store on each backend, with a frozen clock."""
    opened = open_store(settings=Settings.load(storage_url=backend_url), clock=clock, migrate=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def concierge(store: Store, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """Persona 1 on each backend, with the local provider and a frozen clock; tenant "acme"."""

    settings = Settings.load(storage_url=store.settings.storage_url, provider_mode="local")
    store.tenants.add("acme", "ACME")
    return build(settings, store=store, clock=clock).concierge


@pytest.fixture
def openai_server():  # type: ignore[no-untyped-def]
    """An OpenAI-compatible server on 127.0.0.1 (no test reaches the internet)."""
    from matrix.testing.openai_server import OpenAIServer

    with OpenAIServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _loopback_urls_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test services (the OpenAI-compatible server, the Evolution gateway) listen on
    127.0.0.1, so tests run as a platform that allows tenant URLs on this machine would
    (MATRIX_ALLOW_LOOPBACK_URLS=1); a test of the refusal sets ``allow_loopback_urls=False``."""
    monkeypatch.setenv("MATRIX_ALLOW_LOOPBACK_URLS", "1")


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches beyond this machine: connecting to a non-loopback address fails loudly."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and address:
            host = str(address[0])
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise ConnectionRefusedError(
                    f"tests may not reach {host}: only 127.0.0.1 is allowed"
                )
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
