"""AI budgets: money burn-rate alerts on both backends, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matrix.concierge import Concierge
from matrix.errors import UsageError
from matrix.metrics.budgets import budget_status
from matrix.metrics.costs import set_price
from matrix.storage import Store

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _spend(store: Store, at: datetime, dollars: float) -> None:
    # At $1 per million output tokens, one million tokens is one dollar.
    store.telemetry.insert_many([{"tenant_id": "acme", "recorded_at": at, "kind": "provider_call", "name": "owner.respond",
                                  "status": "ok", "provider": "openai", "model": "gpt-x",
                                  "output_tokens": int(dollars * 1_000_000)}])  # fmt: skip


def test_budget_burn_pages_when_the_month_would_be_gone_in_days(
    concierge: Concierge, store: Store
) -> None:
    set_price(store, provider="openai", model="gpt-x", effective_from=AT - timedelta(days=60), input_per_mtok=0,
              output_per_mtok=1.0, actor="finance", now=AT)  # fmt: skip
    concierge.save_config("acme", {"ai_budget": {"monthly_usd": 30}})  # $1 a day
    _spend(store, AT - timedelta(days=10), 5.0)
    _spend(store, AT - timedelta(minutes=2), 1.0)  # a dollar in two minutes
    status = budget_status(store, "acme", at=AT)
    assert status["spent_usd"] == pytest.approx(6.0) and status["remaining_usd"] == pytest.approx(
        24.0
    )
    # 5 m allowance = 30 × 5/43200 = 0.003472 $ → 1 / 0.003472 = 288×; 1 h: 1 / 0.041667 = 24×.
    assert status["burn_rates"]["5m"] == pytest.approx(288.0) and status["burn_rates"][
        "1h"
    ] == pytest.approx(24.0)
    # 6 h: 1 / 0.25 = 4× (< 6), 1 d: 1× (< 3), 3 d: 1/3× (< 1): only the fast pair fires.
    assert status["burn_rates"]["6h"] == pytest.approx(4.0) and status["burn_rates"][
        "3d"
    ] == pytest.approx(1 / 3)
    assert [(a["factor"], a["severity"]) for a in status["alerts"]] == [(14.4, "page")]


def test_no_budget_and_bad_budget(concierge: Concierge, store: Store) -> None:
    assert "no AI budget set" in budget_status(store, "acme", at=AT)["empty_reason"]
    with pytest.raises(
        UsageError, match=r"ai_budget\.monthly_usd .*not a number; give one like 50"
    ):
        concierge.save_config("acme", {"ai_budget": {"monthly_usd": "lots"}})
