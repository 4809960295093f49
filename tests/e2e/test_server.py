"""The real server (uvicorn on 127.0.0.1, as ``matrix serve`` runs it): the API's paths reach the
API (also under ``/api``), everything else the dashboards, each with its own answers and its
security headers, and the dashboards' guards still hold behind the dispatcher."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from matrix.access import add_user
from matrix.app import App, build
from matrix.config import Settings
from matrix.testing.server import RunningServer, serving
from matrix.tokens import create_token

PASSWORD = "correct-horse-9"
EVIL = "http://evil.example"


@pytest.fixture
def wired(backend_url: str) -> Iterator[App]:
    with build(Settings.load(storage_url=backend_url, provider_mode="local"), migrate=True) as app:
        app.store.tenants.add("acme", "ACME")
        add_user(app.store, "root", PASSWORD, role="admin")
        yield app


@pytest.fixture
def server(wired: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    from dashboards import context

    monkeypatch.setattr(context.RUNTIME, "store", None)  # restored after: other tests' dashboards
    monkeypatch.setattr(context.RUNTIME, "app", None)
    with serving(wired) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _json_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"] == code


def test_server_sends_api_paths_to_the_api_and_the_rest_to_the_dashboards(
    client: httpx.Client, wired: App
) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert client.get("/api/health").json() == health.json()  # the origin's /api prefix
    _json_error(client.get("/v1/customers"), 401, "missing_token")
    _json_error(client.get("/api/v1/customers"), 401, "missing_token")
    _json_error(client.get("/v1/no-such-route"), 404, "not_found")
    _json_error(client.get("/api/login"), 404, "not_found")  # nothing of the dashboards under /api
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert "swagger-ui" in client.get("/docs").text
    login = client.get("/login")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    home = client.get("/")
    assert home.status_code == 302 and home.headers["location"].startswith("/login")
    token = create_token(wired.store, tenant_id="acme").token
    listed = client.get("/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.json()["tenant_id"] == "acme"


def test_server_answers_an_undeclared_method_on_an_api_path_with_405(client: httpx.Client) -> None:
    for path in ("/v1/customers", "/api/v1/customers", "/health"):
        _json_error(client.request("DELETE", path), 405, "method_not_allowed")
    _json_error(client.put("/health", json={}), 405, "method_not_allowed")


def test_server_puts_security_headers_on_api_answers(client: httpx.Client) -> None:
    for answer in (client.get("/health"), client.get("/v1/customers"), client.get("/api/nope"),
                   client.post("/v1/customers", content=b"{", headers={"Content-Type": "text/plain"})):  # fmt: skip
        h = answer.headers
        assert h["content-security-policy"].startswith("default-src 'none'"), answer
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["cache-control"] == "no-store" and "strict-transport-security" not in h


def test_server_allows_only_the_docs_page_own_script(client: httpx.Client) -> None:
    docs = client.get("/docs")
    policy = docs.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    assert inline  # Swagger UI's start-up
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert docs.headers["x-frame-options"] == "DENY"


def test_server_keeps_the_dashboards_guards(client: httpx.Client) -> None:
    refused = client.post("/login", data={"username": "root", "password": PASSWORD},
                          headers={"Origin": EVIL})  # fmt: skip
    assert refused.status_code == 403
    signed = client.post("/login", data={"username": "root", "password": PASSWORD, "next": "/"})
    assert signed.status_code == 302 and "HttpOnly" in signed.headers["set-cookie"]
    cookie = client.cookies.get("session")
    assert client.get("/_dash-layout").status_code == 200
    for answer in (signed, client.get("/login")):
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert client.get("/logout").status_code == 302
    thief = httpx.Client(base_url=str(client.base_url), cookies={"session": cookie or ""})
    with thief:
        assert thief.get("/_dash-layout").status_code == 401


def test_server_locks_out_password_guessing_through_the_dispatcher(client: httpx.Client) -> None:
    answers = [client.post("/login", data={"username": "root", "password": f"guess-{n}"})
               for n in range(5)]  # fmt: skip
    assert [a.status_code for a in answers] == [401] * 5
    locked = client.post("/login", data={"username": "root", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1


def test_server_answers_a_malformed_callback_with_a_4xx(client: httpx.Client) -> None:
    client.post("/login", data={"username": "root", "password": PASSWORD, "next": "/"})
    bodies: list[Any] = [b"{", b"[]", b'{"output": 5}', b"null"]
    for body in bodies:
        answer = client.post("/_dash-update-component", content=body,
                             headers={"Content-Type": "application/json"})  # fmt: skip
        assert 400 <= answer.status_code < 500, body


def test_server_runs_its_shutdown_hooks_when_the_lifespan_ends(wired: App) -> None:
    """A worker process closes its application when uvicorn stops it (the lifespan's end)."""
    import asyncio

    from matrix.api import create_api
    from matrix.serve import Dispatcher

    closed: list[bool] = []
    dispatcher = Dispatcher(
        create_api(wired), create_api(wired), on_shutdown=[lambda: closed.append(True)]
    )
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, str]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(dispatcher({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"] and closed == [True]
