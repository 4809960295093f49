"""/v1/metrics/... and /v1/gates/runs over HTTP: the numbers the dashboards show, on a simulated
store, equal to what the dashboards' own functions compute for the same store and window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboards import context
from dashboards.pages import overview
from matrix import formats
from matrix.access import User
from matrix.api.routes.numbers import json_value
from matrix.api.schemas import schema_uri
from matrix.app import build
from matrix.clock import FrozenClock
from matrix.contracts import Catalog
from matrix.gates.history import history, record_run
from matrix.metrics import compute, load_catalog
from matrix.metrics.budgets import budget_status
from matrix.metrics.costs import ai_cost, cost_per_active_tenant, gross_margin
from matrix.metrics.dora import dora
from matrix.metrics.slo import status
from matrix.simulate import run_simulation
from matrix.tokens import create_token
from tests.api.conftest import ApiWorld, make_world
from tests.conftest import ROOT

END = datetime(2026, 11, 2, tzinfo=UTC)  # the simulated days end here
NOW = END + timedelta(hours=2)
ADMIN = User(username="boss", role="admin")
CONTRACTS = Catalog(ROOT / "contracts")
TENANT_ROUTES = ("/v1/metrics/owner_interaction_success_ratio", "/v1/metrics/slo", "/v1/metrics/cost",
                 "/v1/metrics/budget", "/v1/metrics/margin")  # fmt: skip
PLATFORM_ROUTES = ("/v1/metrics/dora", "/v1/gates/runs", "/v1/metrics/cost/per-active-tenant")
NO_TENANT = ("/v1/gates/runs", "/v1/metrics/cost/per-active-tenant")
"""Platform-wide numbers: they take no tenant_id (naming one is an unknown parameter)."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """Three simulated days of two tenants (sim-01, sim-02) and the platform's delivery, a
    budget for sim-01, one gate run on record; acme and globex have no data at all."""
    folder: Path = tmp_path_factory.mktemp("numbers")
    url = f"duckdb:///{folder / 'store.duckdb'}"
    for world in make_world(url, FrozenClock(NOW), reports_dir=str(folder / "reports")):
        store = world.app.store
        run_simulation(partial(build, store=store), tenants=2, days=3, seed=3, end=END)
        world.app.concierge.save_config("sim-01", {"ai_budget": {"monthly_usd": 0.001}})
        started = (NOW - timedelta(minutes=5)).isoformat()
        record_run(store, {"run_id": "20261102T0155Z", "started_at": started, "finished_at": NOW.isoformat(),
                           "commit": "abc1234", "gates": [
                               {"id": "g01_contract_checks", "title": "Contract checks", "verdict": "pass",
                                "duration_seconds": 2.5},
                               {"id": "g05_deploy_readiness", "title": "Deploy readiness", "verdict": "fail",
                                "duration_seconds": 1.25}]},
                   str(folder / "reports" / "gates" / "20261102T0155Z"))  # fmt: skip
        for tenant in ("sim-01", "sim-02"):
            world.tokens[tenant] = create_token(store, tenant_id=tenant).token
        yield world


@pytest.fixture
def dashboards(api: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> context.Filters:
    """The dashboards on the same store, and the filters they start with for sim-01."""
    monkeypatch.setattr(context.RUNTIME, "store", api.app.store)
    return context.filters(ADMIN, "sim-01", *context.default_window())


def ok(answer: Any, body: str) -> dict[str, Any]:
    """The 200 answer's JSON, checked against its declared schema ``numbers.<body>``."""
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    problems = CONTRACTS.problems(schema_uri(f"numbers.{body}"), data)
    assert not problems, [f"{list(p.absolute_path)}: {p.message}" for p in problems]
    return data


def _find(component: Any, component_id: str) -> Any:
    if getattr(component, "id", None) == component_id:
        return component
    children = (
        component if isinstance(component, list | tuple) else getattr(component, "children", None)
    )
    for child in children if isinstance(children, list | tuple) else [children]:
        if (
            child is not None
            and not isinstance(child, str | int | float)
            and (found := _find(child, component_id)) is not None
        ):
            return found
    return None


# -- the same numbers as the dashboards --------------------------------------------------------


def test_default_window_is_the_dashboards_first_window(
    api: ApiWorld, dashboards: context.Filters
) -> None:
    data = ok(api.get("/v1/metrics/cost", tenant="sim-01"), "cost_response")
    assert (data["since"], data["until"]) == (
        dashboards.since.isoformat(),
        dashboards.until.isoformat(),
    )


def test_metric_equals_the_overview_card(api: ApiWorld, dashboards: context.Filters) -> None:
    page = overview.render(ADMIN, "sim-01", *context.default_window(), "day")
    values = []
    for name, _label in overview.METRICS:
        data = ok(api.get(f"/v1/metrics/{name}", tenant="sim-01"), "metric_response")
        expected = compute(api.app.store, name, tenant_id="sim-01", since=dashboards.since,
                           until=dashboards.until, grain="all")  # fmt: skip
        assert (data["value"], data["status"]) == (expected.total, expected.status), name
        shown = _find(page, f"overview-{name.replace('_', '-')}-value").children
        assert shown == formats.value(data["value"], expected.metric.unit), name
        values.append(data["value"])
    assert all(v is not None for v in values[:3])  # the simulation gives these their data


def test_dora_equals_the_delivery_page(api: ApiWorld, dashboards: context.Filters) -> None:
    since, until = "2026-10-26", "2026-11-03"
    data = ok(api.get("/v1/metrics/dora", tenant="admin", params={"since": since, "until": until,
                                                                  "benchmark_year": "2023"}), "dora_response")  # fmt: skip
    shown = context.filters(ADMIN, "platform", since, until)
    expected = dora(
        api.app.store, "platform", since=shown.since, until=shown.until, benchmark_year=2023
    )
    assert data == json_value(expected.as_dict())
    assert data["deployments"] > 0 and data["tenant_id"] == "platform"


def test_slo_equals_the_reliability_page(api: ApiWorld, dashboards: context.Filters) -> None:
    data = ok(api.get("/v1/metrics/slo", tenant="sim-01"), "slo_response")
    at = min(dashboards.until, api.app.store.clock.now())
    assert data["at"] == at.isoformat()
    assert data["items"] == json_value(
        [s.as_dict() for s in status(api.app.store, "sim-01", at=at)]
    )
    assert any(item["success_ratio"] is not None for item in data["items"])


def test_cost_budget_and_margin_equal_the_cost_page(
    api: ApiWorld, dashboards: context.Filters
) -> None:
    store, f = api.app.store, dashboards
    cost = ok(
        api.get("/v1/metrics/cost", tenant="sim-01", params={"by": "feature"}), "cost_response"
    )
    report = ai_cost(store, "sim-01", since=f.since, until=f.until, by="feature")
    assert cost["total_usd"] == report.total_usd and cost["rows"] == json_value(report.rows)
    assert cost["total_usd"] > 0 and cost["by"] == "feature"
    budget = ok(api.get("/v1/metrics/budget", tenant="sim-01"), "budget_response")
    expected = budget_status(store, "sim-01", at=min(f.until, store.clock.now()))
    assert {k: budget[k] for k in expected} == json_value(expected) and budget[
        "budget_usd"
    ] == 0.001
    margin = ok(api.get("/v1/metrics/margin", tenant="sim-01"), "margin_response")
    expected = gross_margin(store, "sim-01", since=f.since, until=f.until)
    assert {k: margin[k] for k in expected} == json_value(expected)
    assert margin["gross_margin_ratio"] is not None


def test_gate_runs_equal_the_gates_page(api: ApiWorld) -> None:
    data = ok(
        api.get("/v1/gates/runs", tenant="admin", params={"limit": 200}), "gate_runs_response"
    )
    rows = history(api.app.store, limit=200)  # what the gates page lists
    assert [(i["run_id"], i["gate_id"], i["verdict"]) for i in data["items"]] == \
        [(r["run_id"], r["gate_id"], r["verdict"]) for r in rows]  # fmt: skip
    assert data["tenant_id"] == "platform" and data["count"] == 2
    first = data["items"][0]
    assert first["summary_url"] == "/reports/gates/20261102T0155Z/summary.md"
    assert first["report_url"] == f"/reports/gates/20261102T0155Z/{first['gate_id']}.html"
    assert "report_dir" not in first  # the server's folder is not shown


def test_gate_runs_filter_by_gate_and_limit(api: ApiWorld) -> None:
    one = ok(api.get("/v1/gates/runs", tenant="admin", params={"gate_id": "g05_deploy_readiness"}),
             "gate_runs_response")  # fmt: skip
    assert [i["verdict"] for i in one["items"]] == ["fail"]
    assert (
        ok(api.get("/v1/gates/runs", tenant="admin", params={"limit": 1}), "gate_runs_response")[
            "count"
        ]
        == 1
    )
    assert (
        api.get("/v1/gates/runs", tenant="admin", params={"limit": 0}).json()["error"]
        == "invalid_limit"
    )


def test_cost_per_active_tenant_is_every_tenants_cost(
    api: ApiWorld, dashboards: context.Filters
) -> None:
    data = ok(
        api.get("/v1/metrics/cost/per-active-tenant", tenant="admin"), "cost_per_tenant_response"
    )
    expected = cost_per_active_tenant(api.app.store, since=dashboards.since, until=dashboards.until)
    assert {k: data[k] for k in expected} == json_value(expected) and data["active_tenants"] == 2


def test_metric_by_day_lists_buckets_without_a_window_value(api: ApiWorld) -> None:
    data = ok(api.get("/v1/metrics/owner_interaction_success_ratio", tenant="sim-01",
                      params={"grain": "day"}), "metric_response")  # fmt: skip
    assert data["value"] is None and data["status"] is None and len(data["rows"]) >= 2
    assert sum(r["rows"] for r in data["rows"]) == data["provenance"]["rows_read"]


def test_metric_catalog_lists_every_definition(api: ApiWorld) -> None:
    data = ok(api.get("/v1/metrics", tenant="globex"), "catalog_response")
    assert [m["name"] for m in data["items"]] == list(load_catalog().metrics)
    delivery = ok(api.get("/v1/metrics", params={"family": "delivery"}), "catalog_response")
    assert delivery["count"] > 0 and {m["family"] for m in delivery["items"]} == {"delivery"}


# -- no data, bad input, who may read what ----------------------------------------------------


def test_no_data_answers_null_with_a_reason(api: ApiWorld) -> None:
    metric = ok(api.get("/v1/metrics/owner_interaction_success_ratio"), "metric_response")
    assert metric["value"] is None and "no telemetry rows" in metric["empty_reason"]
    cost = ok(api.get("/v1/metrics/cost"), "cost_response")
    assert (
        cost["total_usd"] is None
        and cost["empty_reason"] == "no AI provider calls for tenant 'acme' in the window"
    )
    budget = ok(api.get("/v1/metrics/budget"), "budget_response")
    assert budget["remaining_usd"] is None and "no AI budget set" in budget["empty_reason"]
    margin = ok(api.get("/v1/metrics/margin"), "margin_response")
    assert margin["gross_margin_ratio"] is None and "no subscription plan" in margin["reason"]
    slo = ok(api.get("/v1/metrics/slo"), "slo_response")
    assert all(i["success_ratio"] is None and i["empty_reason"] for i in slo["items"])


def test_unknown_metric_answers_404_with_the_closest_names(api: ApiWorld) -> None:
    answer = api.get("/v1/metrics/owner_interaction_succes_ratio")
    assert answer.status_code == 404 and answer.json()["error"] == "unknown_metric"
    assert "Did you mean owner_interaction_success_ratio" in answer.json()["message"]
    nothing_close = api.get("/v1/metrics/zzz").json()["message"]
    assert "GET /v1/metrics" in nothing_close


@pytest.mark.parametrize(("param", "value"), [("since", "2026-13-01"), ("since", "yesterday"),
                                              ("until", "2026-02-30"), ("until", "20261101"),
                                              ("since", "0001-01-01"), ("until", "2026-11-01T00:00:00Z")])  # fmt: skip
def test_bad_date_is_refused_naming_the_parameter(api: ApiWorld, param: str, value: str) -> None:
    for route in (*TENANT_ROUTES[:1], "/v1/metrics/cost", "/v1/metrics/margin"):
        answer = api.get(route, params={param: value})
        assert answer.status_code == 400, (route, answer.text)
        assert answer.json()["error"] == "invalid_date"
        assert answer.json()["details"] == [
            {"path": f"/query/{param}", "problem": "not an ISO date (YYYY-MM-DD)"}
        ]
        assert answer.json()["message"].startswith(f"{param} {value!r} is not a date")


@pytest.mark.parametrize(("since", "until"), [("2026-11-10", "2026-11-01"), ("2026-11-01", "2026-11-01"),
                                              ("2027-01-01", None)])  # fmt: skip
def test_window_that_does_not_end_after_it_starts_is_refused(
    api: ApiWorld, since: str, until: str | None
) -> None:
    answer = api.get(
        "/v1/metrics/cost", params={"since": since, **({"until": until} if until else {})}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_window"
    assert answer.json()["details"][0]["path"] == "/query/since"


@pytest.mark.parametrize(("route", "params"), [
    ("/v1/metrics/owner_interaction_success_ratio", {"grain": "fortnight"}),
    ("/v1/metrics/cost", {"by": "colour"}),
    ("/v1/metrics/slo", {"period_days": "0"}),
    ("/v1/metrics/dora", {"benchmark_year": "2022"}),
    ("/v1/metrics/dora", {"attribution_hours": "nan"}),
    ("/v1/gates/runs", {"gate_id": "not a gate"}),
])  # fmt: skip
def test_bad_parameter_is_refused_naming_it(
    api: ApiWorld, route: str, params: dict[str, str]
) -> None:
    tenant = {} if route in NO_TENANT else {"tenant_id": "sim-01"}
    answer = api.get(route, tenant="admin", params={**tenant, **params})
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"][0]["path"] == f"/query/{next(iter(params))}"


@pytest.mark.parametrize("route", PLATFORM_ROUTES)
def test_platform_numbers_need_an_admin_token(api: ApiWorld, route: str) -> None:
    named = ({"tenant_id": "sim-01"}, {"tenant_id": "platform"}) if route not in NO_TENANT else ()
    for params in ({}, *named):
        answer = api.get(route, tenant="sim-01", params=params)
        assert answer.status_code == 403 and answer.json()["error"] == "admin_required"
    assert api.get(route, tenant="admin").status_code == 200
    if route in NO_TENANT:
        refused = api.get(route, tenant="admin", params={"tenant_id": "sim-01"})
        assert refused.status_code == 400 and refused.json()["details"][0]["path"] == "/query/tenant_id"


@pytest.mark.parametrize("route", TENANT_ROUTES)
def test_another_tenants_numbers_answer_as_an_unknown_tenant(api: ApiWorld, route: str) -> None:
    theirs = api.get(route, tenant="sim-02", params={"tenant_id": "sim-01"})
    nowhere = api.get(route, tenant="sim-02", params={"tenant_id": "nope"})
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == nowhere.json() and theirs.json()["error"] == "tenant_not_found"
    own = api.get(route, tenant="sim-02", params={"tenant_id": "sim-02"})
    assert own.status_code == 200 and own.json()["tenant_id"] == "sim-02"


@pytest.mark.parametrize("route", TENANT_ROUTES)
def test_admin_token_names_the_tenant(api: ApiWorld, route: str) -> None:
    assert api.get(route, tenant="admin").json()["error"] == "missing_tenant_id"
    assert (
        api.get(route, tenant="admin", params={"tenant_id": "sim-01"}).json()["tenant_id"]
        == "sim-01"
    )


def test_numbers_without_a_token_are_refused(api: ApiWorld) -> None:
    for route in ("/v1/metrics", *TENANT_ROUTES, *PLATFORM_ROUTES):
        assert api.client.get(route).status_code == 401, route


def test_non_finite_values_become_null() -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    shown = json_value({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": np.float64("nan"),
                     "d": np.int64(3), "e": at, "f": (True, None)})  # fmt: skip
    assert shown == {
        "a": None,
        "b": [None, None, 1.5],
        "c": None,
        "d": 3,
        "e": at.isoformat(),
        "f": [True, None],
    }
