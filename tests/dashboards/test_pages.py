"""Every page's layout and main callback called as functions on a seeded store; the same
callbacks through the HTTP endpoint Dash uses, signed in as a manager trying other tenants."""

from __future__ import annotations

from typing import Any

import pytest
from dash import html

from dashboards.context import filters, guarded
from dashboards.pages import PAGES, approvals, cost, delivery, gates, overview, reliability, traces
from dashboards.probe import callback_request
from matrix import formats
from matrix.access import User
from matrix.app import build
from matrix.errors import ApprovalStateError, NotFoundError, UsageError
from matrix.storage import Store
from tests.conftest import ROOT
from tests.dashboards.conftest import PASSWORD

WRITE_OFF = "Write off Pedro's debt"


def _find(component: Any, component_id: str) -> Any:
    """The component with ``component_id`` anywhere in a layout tree (None when absent)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if isinstance(component, list | tuple):
        children = component
    if isinstance(children, list | tuple):
        for child in children:
            if (found := _find(child, component_id)) is not None:
                return found
    elif children is not None and not isinstance(children, str | int | float):
        return _find(children, component_id)
    return None


def _ids(component: Any) -> set[str]:
    found = set()
    if getattr(component, "id", None):
        found.add(component.id)
    children = (
        component if isinstance(component, list | tuple) else getattr(component, "children", None)
    )
    if isinstance(children, list | tuple):
        for child in children:
            found |= _ids(child)
    elif children is not None and not isinstance(children, str | int | float):
        found |= _ids(children)
    return found


def test_every_layout_is_a_function_with_prefixed_ids(app: Any) -> None:
    for page in PAGES:
        layout = page.layout()
        prefix = page.__name__.rsplit(".", 1)[-1]
        ids = _ids(layout)
        assert ids and all(i.startswith(prefix + "-") for i in ids), (prefix, ids)


def test_overview_numbers_equal_an_independent_count(
    app: Any, seeded: Store, admin: User, window: tuple[str, str]
) -> None:
    content = overview.render(admin, "sim-01", *window, "day")
    with seeded.backend.transaction() as tx:
        pending = tx.query(
            "SELECT count(*) FROM approvals WHERE tenant_id = 'sim-01' AND status = 'pending'"
        )[0][0]
        ok, total = tx.query(
            "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status IN ('ok', 'error'))"
            " FROM telemetry WHERE tenant_id = 'sim-01' AND kind = 'request' AND name = 'owner.interaction'")[0]  # fmt: skip
    assert _find(content, "overview-approvals-pending-value").children == f"{pending:,}"
    shown = _find(content, "overview-owner-interaction-success-ratio-value").children
    assert total > 0 and shown == formats.percent(ok / total)  # "95.3%", never "0.9529 ratio"


@pytest.mark.parametrize("page", [overview, delivery, cost, reliability], ids=lambda p: p.__name__)
def test_pages_render_for_their_tenant_with_titled_figures(app: Any, page: Any, manager: User,
                                                           window: tuple[str, str]) -> None:  # fmt: skip
    content = page.render(manager, "sim-01", *window, "day")
    assert "alert-error" not in str(content)
    for graph_id in [i for i in _ids(content) if i.endswith(("-graph", "-table"))]:
        if not hasattr(_find(content, graph_id), "figure"):
            continue  # a grid of rows, not a chart
        figure = _find(content, graph_id).figure
        assert figure.layout.title.text, (
            graph_id
        )  # every chart has a title (with its unit or its empty reason)


def test_a_manager_gets_nothing_of_another_tenant(
    app: Any, manager: User, window: tuple[str, str]
) -> None:
    for page in (overview, delivery, cost, reliability, approvals.queue, traces):
        render = page if callable(page) else page.render
        with pytest.raises(NotFoundError) as other:
            render(manager, "sim-02", *window, "day")
        with pytest.raises(NotFoundError) as unknown:
            render(manager, "sim-99", *window, "day")
        # Another tenant reads exactly like one that does not exist.
        assert (
            str(other.value) == "Unknown tenant 'sim-02'."
            and str(unknown.value) == "Unknown tenant 'sim-99'."
        )
    with pytest.raises(NotFoundError, match="only admins"):
        gates.render(manager)


def test_bad_filters_are_messages(app: Any, admin: User, window: tuple[str, str]) -> None:
    with pytest.raises(UsageError, match=r"end date .* is not after the start date"):
        filters(admin, "sim-01", window[1], window[0])
    with pytest.raises(UsageError, match="not a date; use the form 2026-11-01"):
        filters(admin, "sim-01", "yesterday", window[1])
    with pytest.raises(NotFoundError, match=r"Did you mean .*sim-01"):
        filters(admin, "sim-0l", *window)
    shown = guarded()(overview.render)(admin, "sim-01", window[1], window[0], "day")
    assert isinstance(shown, html.Div) and "alert" in shown.className


def test_approve_from_the_queue_with_the_cli_rules_and_audit(app: Any, seeded: Store, manager: User,
                                                            window: tuple[str, str]) -> None:  # fmt: skip
    concierge = build(seeded.settings, store=seeded).concierge
    mine = concierge.interact("sim-01", "owner-1", WRITE_OFF)["confirmation"]["confirmation_id"]
    theirs = concierge.interact("sim-02", "owner-1", WRITE_OFF)["confirmation"]["confirmation_id"]
    _, rows, _ = approvals.render(manager, "sim-01", *window, "day", "pending")
    index = [r["confirmation_id"] for r in rows].index(mine)
    shown, rows, _ = approvals.render(manager, "sim-01", *window, "day", "pending", 1, 0, [rows[index]],
                                      "checked with finance", trigger="approvals-approve-button")  # fmt: skip
    assert "approved by ana" in str(shown) and mine not in [r["confirmation_id"] for r in rows]
    done = seeded.approvals.get("sim-01", mine)
    assert (
        done is not None
        and done.resolved_by == "ana"
        and done.resolution_reason == "checked with finance"
    )
    # Another tenant's confirmation: not found under the manager's tenant, refused under its own.
    with pytest.raises(ApprovalStateError, match="No confirmation"):
        approvals.resolve(manager, "sim-01", theirs, "approve")
    with pytest.raises(NotFoundError, match="Unknown tenant 'sim-02'"):
        approvals.resolve(manager, "sim-02", theirs, "approve")
    assert seeded.approvals.get("sim-02", theirs).status.value == "pending"  # type: ignore[union-attr]


def test_traces_follow_one_correlation(
    app: Any, seeded: Store, admin: User, window: tuple[str, str]
) -> None:
    _, options = traces.render(admin, "sim-01", *window, "day")
    assert options, "the simulation made owner requests"
    # The newest request may be an inbound WhatsApp message; follow an owner's command.
    [command] = seeded.events.list("sim-01", name="owner.command.create", limit=1)
    content, _ = traces.render(admin, "sim-01", *window, "day", command["correlation_id"])
    table = _find(content, "traces-events-table")
    assert table.rowData[0]["name"] == "owner.command.create"
    assert {r["name"] for r in table.rowData} >= {"owner.command.create", "owner.command.created"}


def test_traces_show_what_memory_recalled(
    app: Any, seeded: Store, admin: User, window: tuple[str, str]
) -> None:
    recalled = [e for e in seeded.events.list("sim-01", name="owner.memory.recalled", limit=200)
                if e["payload"]["facts"]]  # fmt: skip
    assert recalled, "the simulated owners repeat themselves, so memory recalls facts"
    event = recalled[0]
    content, _ = traces.render(admin, "sim-01", *window, "day", event["correlation_id"])
    memory = _find(content, "traces-memory")
    [step] = [li for li in memory.children[1].children
              if li.children[0].children[0].children == "owner.memory.recalled"]  # fmt: skip
    shown = [str(li.children) for li in step.children[2].children]
    assert shown == event["payload"]["facts"]  # the facts' text, in the order recalled
    assert f"{event['payload']['tokens']:,} tokens" in str(memory)


def test_gates_history_for_admins(app: Any, admin: User) -> None:
    table = gates.render(admin)
    assert (
        table.rowData[0]["gate_id"] == "g01_contract_checks"
        and "/reports/gates/r-1/summary.md" in table.rowData[0]["report"]
    )


def _callback(app: Any, client: Any, output: str, tenant: str, window: tuple[str, str]) -> Any:
    filters = {
        "filter-tenant": tenant,
        "filter-since": window[0],
        "filter-until": window[1],
        "filter-grain": "day",
    }
    return client.post("/_dash-update-component", json=callback_request(app, output, filters))


def test_http_sign_in_and_tenant_isolation(app: Any, window: tuple[str, str]) -> None:
    client = app.server.test_client()
    assert (
        client.get("/").status_code == 302
        and _callback(app, client, "overview-content", "sim-01", window).status_code == 401
    )
    wrong = client.post("/login", data={"username": "ana", "password": "nope", "next": "/"})
    assert wrong.status_code == 401 and b"Wrong username or password" in wrong.data
    signed = client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert signed.status_code == 302 and signed.headers["Location"] == "/"
    mine = _callback(app, client, "overview-content", "sim-01", window)
    assert mine.status_code == 200 and "overview-approvals-pending-value" in mine.get_data(
        as_text=True
    )
    other = _callback(app, client, "overview-content", "sim-02", window)
    text = other.get_data(as_text=True)
    assert (
        other.status_code == 200 and "Unknown tenant 'sim-02'." in text and "card-value" not in text
    )
    assert "Traceback" not in text
    assert (
        client.get("/reports/gates/r-1/summary.md").status_code == 404
    )  # gate reports are for admins
    page = client.get("/_dash-layout").get_data(as_text=True)
    assert "sim-01" in page and "sim-02" not in page


def test_tenant_palette_themes_the_app(app: Any, seeded: Store) -> None:
    from dashboards import theme
    from dashboards.context import palette
    from matrix import brand

    concierge = build(seeded.settings, store=seeded).concierge
    # The simulated tenants come from the sample pack (ocean); no tenant, the default.
    assert palette("sim-02") == "ocean" and palette(None) == "darkgreen"
    concierge.save_config("sim-02", {"brand": {"palette": "sunset"}})
    assert palette("sim-02") == "sunset"
    assert (
        theme.variables("sunset")["--color-primary"] == brand.resolve("sunset").colours["primary"]
    )
    assert (
        theme.variables("no-such")["--color-bg"] == "#07130f"
    )  # unknown values fall back, as in the origin
    with pytest.raises(
        UsageError,
        match=r"brand.palette must be one of \['darkgreen', 'forest', 'ocean', 'sunset'\]",
    ):
        concierge.save_config("sim-02", {"brand": {"palette": "neon"}})
    # A manager of sim-01 asking for sim-02's theme gets the default, as for a tenant that does not exist.
    client = app.server.test_client()
    client.post("/login", data={"username": "ana", "password": PASSWORD})
    body = callback_request(app, "shell", {"filter-tenant": "sim-02"})
    answer = client.post("/_dash-update-component", json=body).get_data(as_text=True)
    assert "#07130f" in answer and "#e0672b" not in answer
    concierge.save_config("sim-02", {"brand": {"palette": "darkgreen"}})


def test_the_benchmark_requests_run_every_main_callback(app: Any, window: tuple[str, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import bench_dashboards

    client = app.server.test_client()
    client.post("/login", data={"username": "boss", "password": PASSWORD})
    for page, output in bench_dashboards.PAGES.items():
        body = callback_request(
            app, output, {**bench_dashboards.values(*window), "filter-tenant": "sim-01"}
        )
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200 and "alert-error" not in answer.get_data(as_text=True), (
            page
        )


def test_pages_say_when_outbound_delivery_is_off_and_how_to_turn_it_on(
    app: Any, seeded: Store, admin: User, window: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards import context
    from matrix.config import Settings

    for page in (overview, reliability):
        name = page.__name__.rsplit(".", 1)[-1]
        notice = _find(page.render(admin, "sim-01", *window, "day"), f"{name}-outbound-off")
        assert notice is not None, page.__name__
        assert "sim-01" in notice.children and "MATRIX_EVOLUTION_BASE_URL" in notice.children
        assert "sim-02" not in notice.children  # one tenant's page names no other tenant

    platform = Settings.load(storage_url=seeded.settings.storage_url, provider_mode="local",
                             evolution_base_url="http://127.0.0.1:9/", evolution_api_key="k")  # fmt: skip
    monkeypatch.setattr(context.RUNTIME, "app", build(platform, store=seeded, clock=seeded.clock))
    for page in (overview, reliability):
        name = page.__name__.rsplit(".", 1)[-1]
        assert _find(page.render(admin, "sim-01", *window, "day"), f"{name}-outbound-off") is None


def test_the_simulation_leaves_no_tenant_on_its_stopped_ai_endpoint(seeded: Store) -> None:
    """The simulator's OpenAI-compatible server stops with it; no tenant may keep pointing there
    (the first chat after `make demo` would fail)."""
    for tenant in ("sim-01", "sim-02"):
        stored = seeded.runtime_config.get(tenant)
        openai = (stored[0].get("openai") or {}) if stored else {}
        assert not openai.get("base_url") and not openai.get("api_key"), tenant
