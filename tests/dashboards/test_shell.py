"""What the shell gives every page: how fresh the numbers are, the viewer's time zone, and the
tenant's brand from its runtime config in the viewer's scheme."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from dashboards import app as shell
from dashboards import context
from dashboards.pages import gates, traces
from matrix import brand
from matrix.access import User
from matrix.analytics.service import AnalyticsStatus, TableFreshness
from matrix.app import build
from matrix.storage import Store


def _request(app: Any, **cookies: str) -> Any:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return app.server.test_request_context("/", headers={"Cookie": header} if header else {})


def _brand(store: Store, tenant: str) -> dict[str, Any]:
    """The tenant's stored brand section, to put back after a test changed it."""
    from matrix.concierge.runtime_config import normalize

    stored = store.runtime_config.get(tenant)
    return dict(normalize({}, stored[0] if stored else None)[0]["brand"])


def test_the_header_says_the_numbers_are_live_on_a_duckdb_store(app: Any) -> None:
    with _request(app):
        assert context.freshness("sim-01") == "numbers live · DuckDB"
        assert context.freshness(None) is None and context.freshness("no-such-tenant") is None
        assert shell.fresh("sim-01") == ""  # outside a signed-in request: nothing of any tenant


def test_the_header_says_how_old_the_copied_numbers_are_without_the_store_path(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = context.clock().now()
    tables = [TableFreshness(table="telemetry", copied_rows=900, watermark=9, rows_behind=12,
                             synced_at=now - timedelta(minutes=5), lag_seconds=300.0),
              TableFreshness(table="event_log", copied_rows=50, watermark=3, rows_behind=0,
                             synced_at=now - timedelta(hours=2, minutes=3), lag_seconds=7380.0)]  # fmt: skip
    found = {
        "status": AnalyticsStatus(
            engine="duckdb:////srv/matrix/analytics.duckdb", live=False, tables=tables
        )
    }
    fake = SimpleNamespace(analytics=SimpleNamespace(status=lambda tenant: found["status"]))
    monkeypatch.setattr(context, "application", lambda: fake)
    line = context.freshness("sim-01")
    assert line == "numbers as of 2 h 3 min ago · DuckDB · 12 new rows not copied yet"
    assert "/srv" not in (line or "")
    found["status"] = AnalyticsStatus(engine="chdb:///srv/ch", live=False, tables=[
        TableFreshness(table="telemetry", copied_rows=None, watermark=None, rows_behind=40,
                       synced_at=None, lag_seconds=None)])  # fmt: skip
    assert context.freshness("sim-01") == (
        "numbers not copied yet to ClickHouse (in-process): run `matrix analytics sync`"
    )
    found["status"] = AnalyticsStatus(engine="postgres (operational store)", live=False)
    assert "copied for each query" in (context.freshness("sim-01") or "")


@pytest.mark.parametrize(("cookie", "zone"), [("America/Sao_Paulo", "America/Sao_Paulo"), ("Asia%2FTokyo", "Asia/Tokyo"),
                                              ("", "UTC"), ("../../etc/passwd", "UTC"), ("Not/AZone", "UTC")])  # fmt: skip
def test_the_viewer_zone_comes_from_the_browser_cookie(app: Any, cookie: str, zone: str) -> None:
    with _request(app, **({context.ZONE_COOKIE: cookie} if cookie else {})):
        assert context.viewer_zone() == zone
    assert context.viewer_zone() == "UTC", "outside a request"


def test_times_on_the_pages_are_in_the_viewer_zone(
    app: Any, seeded: Store, admin: User, window: tuple[str, str]
) -> None:
    [command] = seeded.events.list("sim-01", name="owner.command.create", limit=1)
    with _request(app, **{context.ZONE_COOKIE: "America/Sao_Paulo"}):
        history = gates.render(admin)
        content, options = traces.render(admin, "sim-01", *window, "day", command["correlation_id"])
    assert history.rowData[0]["finished"].endswith(" -03")
    steps = next(c for c in content if getattr(c, "id", None) == "traces-steps-table")
    assert steps.rowData and all(r["at"].endswith(" -03") for r in steps.rowData)
    assert all(" -03" in o["label"] for o in options if not o["label"].startswith("correlation"))
    with _request(app, **{context.ZONE_COOKIE: "Asia/Tokyo"}):
        assert gates.render(admin).rowData[0]["finished"].endswith(" JST")


def test_the_tenant_brand_comes_from_its_runtime_config_in_the_viewer_scheme(
    app: Any, seeded: Store
) -> None:
    concierge = build(seeded.settings, store=seeded).concierge
    kept = _brand(seeded, "sim-02")
    custom = {"primary": "#0b5cad"}
    concierge.save_config(
        "sim-02", {"brand": {"palette": "ocean", "scheme": "light", "colours": custom}}
    )
    try:
        with _request(app):  # no choice yet: the tenant's own scheme and colours
            own = context.brand_of("sim-02")
            assert own.scheme == "light" and own.colours["primary"] == "#0b5cad"
        with _request(app, **{"matrix-scheme": "dark"}):  # the viewer's choice wins
            dark = context.brand_of("sim-02")
            assert dark.scheme == "dark"
            # #0b5cad is unreadable under the dark scheme's button text: the palette's own colours.
            assert dark.colours == brand.resolve("ocean", scheme="dark").colours
        with _request(app):
            assert context.brand_of(None) == brand.resolve()
            assert context.brand_of("no-such-tenant") == brand.resolve()
    finally:
        concierge.save_config("sim-02", {"brand": kept})


def test_the_shell_follows_the_tenant_scheme_for_a_signed_in_viewer(
    app: Any, seeded: Store
) -> None:
    from dashboards.probe import callback_request
    from tests.dashboards.conftest import PASSWORD

    concierge = build(seeded.settings, store=seeded).concierge
    kept = _brand(seeded, "sim-01")
    concierge.save_config("sim-01", {"brand": {"palette": "ocean", "scheme": "light"}})
    try:
        client = app.server.test_client()
        client.post("/login", data={"username": "ana", "password": PASSWORD})
        body = callback_request(app, "shell", {"filter-tenant": "sim-01"})
        answer = client.post("/_dash-update-component", json=body).get_json()
        assert answer["response"]["shell-provider"]["forceColorScheme"] == "light"
        assert (
            answer["response"]["shell"]["style"]["--color-bg"]
            == brand.resolve("ocean", scheme="light").colours["bg"]
        )
        client.set_cookie("matrix-scheme", "dark")
        answer = client.post("/_dash-update-component", json=body).get_json()
        assert answer["response"]["shell-provider"]["forceColorScheme"] == "dark"
    finally:
        concierge.save_config("sim-01", {"brand": kept})
