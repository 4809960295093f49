"""Error budgets and multi-window burn-rate alerts on both backends, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matrix.metrics.slo import SLOS, burn_rate, status
from matrix.storage import Store

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
OWNER = next(s for s in SLOS if s.name == "owner_interaction_success")


def _rows(tenant: str, at: datetime, ok: int, errors: int) -> list[dict]:  # type: ignore[type-arg]
    return [{"tenant_id": tenant, "recorded_at": at, "kind": "request", "name": "owner.interaction",
             "status": "ok" if i < ok else "error", "latency_ms": 100} for i in range(ok + errors)]  # fmt: skip


@pytest.fixture
def tenant(store: Store) -> Store:
    store.tenants.add("acme")
    return store


def test_budget_and_a_fast_burn_that_pages(tenant: Store) -> None:
    # Ten days ago: 990 ok, 10 errors (exactly on target). Last 3 minutes: 80 ok, 20 errors.
    tenant.telemetry.insert_many(
        _rows("acme", AT - timedelta(days=10), 990, 10)
        + _rows("acme", AT - timedelta(minutes=3), 80, 20)
    )
    [owner] = [s for s in status(tenant, "acme", at=AT) if s.slo == "owner_interaction_success"]
    assert (owner.valid, owner.bad) == (1100, 30)
    assert owner.success_ratio == pytest.approx(1 - 30 / 1100)
    assert owner.budget_remaining == pytest.approx(1 - (30 / 1100) / 0.01)  # overspent: negative
    # 1 h and 5 m windows only hold the recent burst: 20/100 errors = 0.2 / 0.01 = 20× > 14.4×.
    assert owner.burn_rates["1h"] == pytest.approx(20.0) and owner.burn_rates[
        "5m"
    ] == pytest.approx(20.0)
    # Every window up to 3 d holds only the burst, so all four alerts fire.
    assert owner.burn_rates["3d"] == pytest.approx(20.0)
    assert [(a["factor"], a["severity"]) for a in owner.alerts] == [
        (14.4, "page"),
        (6.0, "page"),
        (3.0, "ticket"),
        (1.0, "ticket"),
    ]


def test_a_spike_outside_the_short_window_does_not_page(tenant: Store) -> None:
    tenant.telemetry.insert_many(
        _rows("acme", AT - timedelta(minutes=50), 50, 50)
        + _rows("acme", AT - timedelta(minutes=1), 100, 0)
    )
    [owner] = [s for s in status(tenant, "acme", at=AT) if s.slo == "owner_interaction_success"]
    assert owner.burn_rates["1h"] == pytest.approx((50 / 200) / 0.01)
    assert owner.burn_rates["5m"] == pytest.approx(0.0) and owner.burn_rates[
        "30m"
    ] == pytest.approx(0.0)
    # The spike has stopped: the paging pairs' short windows are clean; the slow-burn tickets still fire.
    assert [(a["factor"], a["severity"]) for a in owner.alerts] == [
        (3.0, "ticket"),
        (1.0, "ticket"),
    ]


def test_no_data_says_why(tenant: Store) -> None:
    results = {s.slo: s for s in status(tenant, "acme", at=AT)}
    assert (
        results["dispatch_success"].empty_reason
        == "no outbound_messages events for this SLO in the last 30 days"
    )
    assert burn_rate(tenant, OWNER, "acme", AT, timedelta(hours=1)) is None
