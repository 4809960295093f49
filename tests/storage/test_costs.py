"""AI cost at query time against dated prices, on both backends; re-pricing is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matrix.errors import NotFoundError, UsageError
from matrix.metrics.costs import ai_cost, gross_margin, revenue, set_plan, set_price
from matrix.storage import Store

T1 = datetime(2026, 11, 3, 10, tzinfo=UTC)
T2 = datetime(2026, 11, 10, 10, tzinfo=UTC)
WINDOW = {"since": datetime(2026, 11, 1, tzinfo=UTC), "until": datetime(2026, 12, 1, tzinfo=UTC)}


def _call(
    tenant: str, at: datetime, model: str = "gpt-x", provider: str = "openai", **tokens: int
) -> dict:  # type: ignore[type-arg]
    return {"tenant_id": tenant, "recorded_at": at, "kind": "provider_call", "name": "owner.respond", "status": "ok",
            "provider": provider, "model": model, "feature": "owner_chat", **tokens}  # fmt: skip


@pytest.fixture
def usage(store: Store) -> Store:
    store.tenants.add("acme")
    store.tenants.add("globex")
    store.telemetry.insert_many([
        _call("acme", T1, input_tokens=1_000_000, cached_tokens=200_000, output_tokens=100_000),
        _call("acme", T2, input_tokens=2_000_000, cached_tokens=0, output_tokens=500_000),
        _call("acme", T2, model="deterministic-rule-v1", provider="local", input_tokens=50, output_tokens=20),
        _call("globex", T2, input_tokens=1_000_000, cached_tokens=0, output_tokens=0),
    ])  # fmt: skip
    return store


def test_unknown_models_are_unpriced_never_zero(usage: Store) -> None:
    report = ai_cost(usage, "acme", by="model", **WINDOW)
    assert report.unpriced_calls == 3 and report.unpriced_models == [
        "local/deterministic-rule-v1",
        "openai/gpt-x",
    ]
    assert {r["model"]: r["cost_usd"] for r in report.rows} == {
        "deterministic-rule-v1": None,
        "gpt-x": None,
    }


def test_a_window_without_usage_says_why(usage: Store) -> None:
    before = ai_cost(usage, "acme", since=datetime(2026, 10, 1, tzinfo=UTC), until=WINDOW["since"])
    assert before.rows == [] and before.total_usd == 0.0
    assert before.empty_reason == "no AI provider calls for tenant 'acme' in the window"
    assert ai_cost(usage, "acme", **WINDOW).empty_reason is None


def test_a_new_price_reprices_only_usage_after_its_date(usage: Store) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    set_price(usage, provider="local", model="deterministic-rule-v1", effective_from=WINDOW["since"],
              input_per_mtok=0, output_per_mtok=0, actor="finance", now=now)  # fmt: skip
    first = set_price(usage, provider="openai", model="gpt-x", effective_from=WINDOW["since"], input_per_mtok=1.0,
                      cached_input_per_mtok=0.5, output_per_mtok=4.0, actor="finance", now=now)  # fmt: skip
    # acme T1: 0.8 M × $1 + 0.2 M × $0.5 + 0.1 M × $4 = 1.3; acme T2: 2 × 1 + 0.5 × 4 = 4.0; globex T2: 1.0
    assert (
        first["rows_repriced"] == 3
        and first["old_total_usd"] is None
        and first["new_total_usd"] == pytest.approx(6.3)
    )
    report = ai_cost(usage, "acme", by="model", **WINDOW)
    assert report.total_usd == pytest.approx(5.3) and report.unpriced_calls == 0
    assert {r["model"]: r["cost_usd"] for r in report.rows} == {
        "deterministic-rule-v1": 0.0,
        "gpt-x": pytest.approx(5.3),
    }

    second = set_price(usage, provider="openai", model="gpt-x", effective_from=T1 + timedelta(days=1),
                       input_per_mtok=2.0, cached_input_per_mtok=1.0, output_per_mtok=8.0, actor="finance", now=now)  # fmt: skip
    # Only the T2 rows move: acme 4.0 → 8.0, globex 1.0 → 2.0; acme T1 stays 1.3.
    assert second["rows_repriced"] == 2
    assert (second["old_total_usd"], second["new_total_usd"]) == (
        pytest.approx(5.0),
        pytest.approx(10.0),
    )
    assert ai_cost(usage, "acme", **WINDOW).total_usd == pytest.approx(9.3)
    assert ai_cost(usage, "globex", **WINDOW).total_usd == pytest.approx(2.0)
    with usage.backend.transaction() as tx:
        assert tx.query("SELECT count(*) FROM price_audit")[0][0] == 3


def test_each_call_takes_the_price_in_force_at_its_instant(store: Store) -> None:
    """Three prices of one model: a call at a price's first instant takes it, a call a
    microsecond before takes the one before, and a call before every price is unpriced."""
    store.tenants.add("acme")
    starts = [T1, T1 + timedelta(days=2), T1 + timedelta(days=4)]
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for start, per_mtok in zip(starts, (1.0, 2.0, 4.0), strict=True):
        set_price(store, provider="openai", model="gpt-x", effective_from=start, input_per_mtok=per_mtok,
                  output_per_mtok=0.0, actor="finance", now=now)  # fmt: skip
    tick = timedelta(microseconds=1)
    calls = [starts[0] - tick, starts[0], starts[1] - tick, starts[1], starts[2] - tick, starts[2],
             starts[2] + timedelta(days=9)]  # fmt: skip
    store.telemetry.insert_many([_call("acme", at, input_tokens=1_000_000) for at in calls])
    report = ai_cost(store, "acme", by="model", **WINDOW)
    # unpriced, then $1, $1, $2, $2, $4, $4
    assert report.unpriced_calls == 1 and report.total_usd == pytest.approx(14.0)
    for at, expected in zip(calls, (None, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0), strict=True):
        one = ai_cost(store, "acme", since=at, until=at + tick)
        assert one.total_usd == pytest.approx(expected or 0.0) and one.unpriced_calls == (
            expected is None
        )


def test_bad_prices_and_dimensions_are_refused(usage: Store) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(UsageError, match="input_per_mtok must be a number of 0 or more"):
        set_price(usage, provider="openai", model="gpt-x", effective_from=T1, input_per_mtok=-1, output_per_mtok=1,
                  actor="x", now=now)  # fmt: skip
    with pytest.raises(UsageError, match="by must be one of"):
        ai_cost(usage, "acme", by="color", **WINDOW)


def test_gross_margin_proxy_from_dated_plans(usage: Store) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert "no subscription plan" in gross_margin(usage, "acme", **WINDOW)["reason"]
    set_price(usage, provider="openai", model="gpt-x", effective_from=WINDOW["since"], input_per_mtok=1.0,
              cached_input_per_mtok=0.5, output_per_mtok=4.0, actor="finance", now=now)  # fmt: skip
    # 365 USD a month is 12 USD a day; from Nov 16 it is 730 (24 a day). November: 15 × 12 + 15 × 24 = 540.
    set_plan(usage, "acme", plan="starter", monthly_fee_usd=365, effective_from=datetime(2026, 10, 1, tzinfo=UTC),
             actor="finance", now=now)  # fmt: skip
    set_plan(usage, "acme", plan="pro", monthly_fee_usd=730, effective_from=datetime(2026, 11, 16, tzinfo=UTC),
             actor="finance", now=now)  # fmt: skip
    assert revenue(usage, "acme", **WINDOW) == pytest.approx(540.0)
    assert revenue(usage, "acme", since=datetime(2026, 9, 1, tzinfo=UTC),
                   until=datetime(2026, 10, 1, tzinfo=UTC)) == 0.0  # fmt: skip
    margin = gross_margin(usage, "acme", **WINDOW)
    # acme's priced cost is 5.3 (see above); the local model has no price, so the margin is an upper bound.
    assert margin["ai_cost_usd"] == pytest.approx(5.3)
    assert margin["gross_margin_ratio"] == pytest.approx((540 - 5.3) / 540)
    assert margin["upper_bound"] and margin["unpriced_calls"] == 1
    assert (
        gross_margin(usage, "globex", **WINDOW)["gross_margin_ratio"] is None
    )  # other tenant: no plan
    with pytest.raises(UsageError, match="monthly_fee_usd must be a number of 0 or more"):
        set_plan(usage, "acme", plan="x", monthly_fee_usd=-1, effective_from=T1, actor="x", now=now)
    with pytest.raises(NotFoundError, match="Did you mean acme"):
        set_plan(usage, "acmee", plan="x", monthly_fee_usd=1, effective_from=T1, actor="x", now=now)


def test_many_calls_count_and_cost_without_overflow(store: Store) -> None:
    """Hundreds of calls in one group (counts past a small integer type's range), priced and not."""
    store.tenants.add("busy")
    store.telemetry.insert_many([_call("busy", T1 + timedelta(seconds=i), input_tokens=1000, output_tokens=100)
                                 for i in range(300)])  # fmt: skip
    report = ai_cost(store, "busy", **WINDOW)
    assert report.unpriced_calls == 300 and report.rows[0]["calls"] == 300
    set_price(store, provider="openai", model="gpt-x", effective_from=WINDOW["since"], input_per_mtok=1.0,
              output_per_mtok=10.0, actor="finance", now=T2)  # fmt: skip
    # 300 × (1,000 × $1 + 100 × $10) / 1 M = $0.60
    assert ai_cost(store, "busy", **WINDOW).total_usd == pytest.approx(0.6)
