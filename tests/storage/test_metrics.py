"""Metrics on both backends, on hand-built rows whose answers are worked out by hand here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from matrix.errors import NotFoundError, UnknownMetricError, UsageError
from matrix.metrics import compute, load_catalog
from matrix.metrics.definitions import parse_catalog
from matrix.metrics.engine import check_formulas
from matrix.storage import Store

DAY1 = datetime(2026, 11, 2, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
WINDOW = {"since": DAY1, "until": DAY1 + timedelta(days=3)}


def _request(tenant: str, at: datetime, status: str, latency: float) -> dict[str, Any]:
    return {"tenant_id": tenant, "recorded_at": at, "kind": "request", "name": "owner.interaction",
            "status": status, "latency_ms": latency}  # fmt: skip


@pytest.fixture
def seeded(store: Store) -> Store:
    store.tenants.add("acme")
    store.tenants.add("globex")
    store.telemetry.insert_many([
        _request("acme", DAY1 + timedelta(hours=9), "ok", 100),
        _request("acme", DAY1 + timedelta(hours=10), "ok", 200),
        _request("acme", DAY1 + timedelta(hours=11), "error", 5000),
        _request("acme", DAY1 + timedelta(hours=12), "rejected", 3),   # refused input: not in the SLI
        _request("acme", DAY2 + timedelta(hours=9), "ok", 300),
        _request("acme", DAY2 + timedelta(hours=23, minutes=59, seconds=59), "ok", 400),
        _request("acme", DAY1 + timedelta(days=3), "error", 1),        # exactly at `until`: outside
        _request("globex", DAY1 + timedelta(hours=9), "error", 9999),  # another tenant
    ])  # fmt: skip
    return store


def test_success_ratio_by_day_and_over_the_window(seeded: Store) -> None:
    daily = compute(
        seeded, "owner_interaction_success_ratio", tenant_id="acme", grain="day", **WINDOW
    )
    assert list(daily.frame["value"]) == pytest.approx([2 / 3, 1.0])
    assert list(daily.frame["rows"]) == [3, 2]
    assert [b.date() for b in daily.frame["bucket"]] == [DAY1.date(), DAY2.date()]
    total = compute(
        seeded, "owner_interaction_success_ratio", tenant_id="acme", grain="all", **WINDOW
    )
    assert total.total == pytest.approx(4 / 5)
    assert total.provenance["rows_read"] == 5 and total.provenance["definition_version"] == 1


def test_p95_interpolates_between_ranks(seeded: Store) -> None:
    result = compute(
        seeded, "owner_interaction_latency_p95_ms", tenant_id="acme", grain="all", **WINDOW
    )
    # ok latencies 100, 200, 300, 400: rank 0.95 * 3 = 2.85 → 300 + 0.85 * 100
    assert result.total == pytest.approx(385.0)


def test_window_edges_single_event_and_ties(seeded: Store) -> None:
    since = DAY1 + timedelta(hours=10)  # inclusive: the 10:00 row counts
    one = compute(seeded, "owner_interaction_latency_p95_ms", tenant_id="acme", grain="all",
                  since=since, until=since + timedelta(seconds=1))  # fmt: skip
    assert one.total == pytest.approx(200.0) and one.provenance["rows_read"] == 1
    seeded.telemetry.insert_many([_request("globex", DAY2, "ok", 250) for _ in range(3)])
    ties = compute(
        seeded, "owner_interaction_latency_p95_ms", tenant_id="globex", grain="all", **WINDOW
    )
    assert ties.total == pytest.approx(250.0)


def test_empty_window_says_why(seeded: Store) -> None:
    later = {"since": DAY1 + timedelta(days=10), "until": DAY1 + timedelta(days=11)}
    result = compute(
        seeded, "owner_interaction_success_ratio", tenant_id="acme", grain="day", **later
    )
    assert result.frame.empty and result.total is None
    assert "no telemetry rows" in (result.empty_reason or "") and "acme" in (
        result.empty_reason or ""
    )
    result = compute(seeded, "dispatch_success_ratio", tenant_id="acme", grain="all", **WINDOW)
    assert result.frame.empty and "no outbound_messages rows" in (result.empty_reason or "")


def test_rows_without_a_value_give_none_with_a_reason(seeded: Store) -> None:
    later = DAY1 + timedelta(days=5)
    seeded.telemetry.insert_many([_request("acme", later, "ok", None)])  # type: ignore[arg-type]
    result = compute(seeded, "owner_interaction_latency_p95_ms", tenant_id="acme", grain="all",
                     since=later, until=later + timedelta(days=1))  # fmt: skip
    assert result.provenance["rows_read"] == 1 and result.total is None and result.status is None
    assert result.empty_reason == (
        "the 1 telemetry rows in the window give no value for owner_interaction_latency_p95_ms"
    )


def test_status_judges_the_window_value_against_the_target(seeded: Store) -> None:
    # 4 of 5 owner interactions ok: 0.8 is below the 0.99 floor; a p95 of 385 ms is under 1200 ms.
    ratio = compute(
        seeded, "owner_interaction_success_ratio", tenant_id="acme", grain="all", **WINDOW
    )
    p95 = compute(
        seeded, "owner_interaction_latency_p95_ms", tenant_id="acme", grain="all", **WINDOW
    )
    untargeted = compute(seeded, "llm_input_tokens_total", tenant_id="acme", grain="all", **WINDOW)
    assert (ratio.status, p95.status, untargeted.status) == ("breach", "ok", None)


def test_unknown_metric_suggests_the_closest_names(seeded: Store) -> None:
    with pytest.raises(UnknownMetricError) as info:
        compute(seeded, "owner_interaction_succes_ratio", tenant_id="acme", **WINDOW)
    assert isinstance(info.value, NotFoundError) and isinstance(info.value, UsageError)
    assert info.value.name == "owner_interaction_succes_ratio"
    assert info.value.suggestions[0] == "owner_interaction_success_ratio"
    assert info.value.exit_code == 1  # an unknown name exits as every unknown id does


def test_other_tenants_never_count(seeded: Store) -> None:
    result = compute(
        seeded, "owner_interaction_success_ratio", tenant_id="globex", grain="all", **WINDOW
    )
    assert result.total == 0.0 and result.provenance["rows_read"] == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"name": "owner_interaction_succes_ratio"},
            UsageError,
            "Did you mean owner_interaction_success_ratio",
        ),
        ({"until": DAY1 - timedelta(days=1)}, UsageError, "before it starts"),
        ({"tenant_id": "acmee"}, NotFoundError, "Did you mean acme"),
        ({"grain": "fortnight"}, UsageError, "grain 'fortnight'"),
    ],
)
def test_bad_requests_are_named(seeded: Store, kwargs: dict, error: type, message: str) -> None:  # type: ignore[type-arg]
    args: dict[str, Any] = {
        "name": "owner_interaction_success_ratio",
        "tenant_id": "acme",
        "grain": "day",
        **WINDOW,
        **kwargs,
    }
    with pytest.raises(error, match=message):
        compute(seeded, args.pop("name"), **args)


def test_shipped_catalog_is_valid_and_every_formula_runs(store: Store) -> None:
    catalog = load_catalog()
    assert [i for i in catalog.issues if i.level == "error"] == []
    assert check_formulas(catalog) == []


def test_catalog_validation_lists_every_issue(store: Store) -> None:
    catalog = parse_catalog({"version": "x", "metrics": [
        {"name": "Bad Name", "unit": "furlongs", "family": "fun", "source": "nowhere", "description": "", "value": ""},
        {"name": "ok_metric_ratio", "unit": "ratio", "family": "business", "source": "telemetry", "description": "d",
         "value": "avg(1)", "target": {"op": "~", "value": 1}},
        {"name": "broken_formula_ratio", "unit": "ratio", "family": "business", "source": "telemetry", "description": "d",
         "value": "avg(no_such_column)", "owner": "x"},
    ]})  # fmt: skip
    messages = [str(i) for i in catalog.issues]
    assert any("name 'Bad Name'" in m for m in messages) and any(
        "unit 'furlongs'" in m for m in messages
    )
    assert any("source 'nowhere'" in m for m in messages) and any(
        "value is required" in m for m in messages
    )
    assert any("ok_metric_ratio: target must be" in m for m in messages)
    assert any(m.startswith("warning: ok_metric_ratio") or "has no owner" in m for m in messages)
    assert list(catalog.metrics) == ["broken_formula_ratio"]
    [problem] = check_formulas(catalog)
    assert problem.startswith("broken_formula_ratio: formula does not run")
