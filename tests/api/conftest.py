"""The API in process: a wired app on a fresh DuckDB store, two tenants with a token each.

``client`` talks to the ASGI app through Starlette's TestClient (no network); the end-to-end
tests in ``tests/e2e`` start the real server instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matrix.api import create_api
from matrix.app import App, build
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.tokens import create_token


@dataclass
class ApiWorld:
    """What an API test has at hand."""

    app: App
    client: TestClient
    tokens: dict[str, str]
    """tenant id → its token; ``"admin"`` → an admin token."""

    def headers(self, tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[tenant]}"}

    def post(self, path: str, request: dict[str, Any], tenant: str = "acme", **kw: Any) -> Any:
        return self.client.post(path, json={"request": request}, headers=self.headers(tenant), **kw)

    def patch(self, path: str, request: dict[str, Any], tenant: str = "acme", **kw: Any) -> Any:
        return self.client.patch(path, json={"request": request}, headers=self.headers(tenant), **kw)

    def get(self, path: str, tenant: str = "acme", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(tenant), **kw)


def make_world(url: str, clock: FrozenClock | None = None, **settings: Any) -> Iterator[ApiWorld]:
    """An :class:`ApiWorld` on the store at ``url`` (tenants ``acme`` and ``globex``)."""
    extra = {"clock": clock} if clock is not None else {}
    wired = build(Settings.load(storage_url=url, provider_mode="local", **settings), migrate=True,
                  **extra)  # fmt: skip
    try:
        for tenant in ("acme", "globex"):
            wired.store.tenants.add(tenant, tenant.upper())
        tokens = {t: create_token(wired.store, tenant_id=t).token for t in ("acme", "globex")}
        tokens["admin"] = create_token(wired.store, tenant_id=None, admin=True).token
        with TestClient(create_api(wired), raise_server_exceptions=False) as client:
            yield ApiWorld(app=wired, client=client, tokens=tokens)
    finally:
        wired.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiWorld]:
    """The API on a fresh DuckDB store file, with the local AI provider."""
    yield from make_world(f"duckdb:///{tmp_path / 'store.duckdb'}")


@pytest.fixture
def gateway(api: ApiWorld) -> Iterator[Any]:
    """acme's own Evolution gateway on 127.0.0.1 (and both tenants' webhook secrets); globex has
    no gateway."""
    from matrix.testing.gateway import EvolutionGateway
    from tests.api import evolution

    with EvolutionGateway(api_key=evolution.GATEWAY_KEY) as server:
        evolution.configure(api, gateway_url=server.url)
        yield server
