"""The simulation shows Persona 2 at work: contacts' messages read, replies sent by itself for the
tenant that lets it, leads moved, handoffs with their reasons; the report's numbers are the
store's, and the demo prints them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from matrix.app import build
from matrix.config import Settings
from matrix.demo import _persona2
from matrix.simulate import run_simulation
from matrix.storage import open_store

END = datetime(2026, 3, 9, tzinfo=UTC)  # a fixed window: the same traffic on every run


def test_the_simulation_shows_persona_2_at_work(tmp_path: Path) -> None:
    settings = Settings.load(
        storage_url=f"duckdb:///{tmp_path / 'store.duckdb'}", provider_mode="local"
    )
    store = open_store(settings=settings, migrate=True)
    report = run_simulation(partial(build, store=store), tenants=3, days=5, seed=7, end=END)
    p = report.as_dict()["persona2"]
    with store.backend.transaction() as tx:
        counted = dict(tx.query(
            "SELECT action || ':' || CASE WHEN actor = 'crm_ai' THEN 'auto' ELSE 'person' END, count(*)"
            " FROM crm_ai_actions WHERE status = 'ok' GROUP BY 1"))  # fmt: skip
        reasons = dict(tx.query("SELECT reason_code, count(*) FROM crm_ai_actions"
                                " WHERE action = 'handoff' AND status = 'ok' GROUP BY 1"))  # fmt: skip
        suggest_only_sends = tx.query(
            "SELECT count(*) FROM crm_ai_actions WHERE tenant_id = 'sim-02' AND action = 'send_reply'")[0][0]  # fmt: skip
    assert p["messages_read"] == counted["auto_handle:auto"] == report.inbound_messages > 0
    assert p["replies_sent_automatically"] == counted["send_reply:auto"] > 0
    assert p["leads_moved"] == counted.get("update_stage:auto", 0) > 0
    assert p["handoffs_by_reason"] == reasons and sum(reasons.values()) > 0
    assert {"suggest_only", "review_required"} <= set(
        reasons
    )  # sim-02 only suggests, sim-03 reviews
    assert suggest_only_sends == 0 and p["waiting_for_human"] > 0
    said: list[str] = []
    _persona2(store, said.append)
    assert f"sent {p['replies_sent_automatically']} replies by itself" in said[0]
    assert f"moved {p['leads_moved']} leads" in said[0] and "Conversations" in said[0]
    store.close()


def test_the_simulated_ai_workload_costs_tens_of_dollars_over_weeks_on_several_models() -> None:
    """Each tenant's AI day beyond the driven requests: several models and features, per-call
    tokens of a production concierge (not inflated), priced at list prices, the same per seed."""
    from datetime import timedelta
    from statistics import median

    from matrix.clock import FrozenClock
    from matrix.metrics.costs import ai_cost
    from matrix.simulate.driver import _prices
    from matrix.simulate.usage import workload_day, write_workload

    start = END - timedelta(days=14)
    sizes = {f"sim-{i:02d}": size for i, size in enumerate((0.6, 1.0, 1.4, 1.8, 2.2), start=1)}
    assert workload_day("sim-01", start, size=1.0, seed=7) == workload_day(
        "sim-01", start, size=1.0, seed=7
    )
    assert workload_day("sim-01", start, size=1.0, seed=7) != workload_day(
        "sim-01", start, size=1.0, seed=8
    )
    store = open_store("duckdb:///:memory:", migrate=True, clock=FrozenClock(END))
    for tenant in sizes:
        store.tenants.add(tenant)
    _prices(store, start)
    calls = write_workload(store, sizes, start, 14, seed=7)
    rows = [r for t, s in sizes.items() for d in range(14)
            for r in workload_day(t, start + timedelta(days=d), size=s, seed=7)]  # fmt: skip
    assert calls == len(rows) > 20_000
    chats = [
        r["input_tokens"] for r in rows if r["feature"] == "owner_chat" and r["status"] == "ok"
    ]
    assert 1_000 < median(chats) < 3_000 and max(chats) < 20_000  # a prompt, not a book
    assert {r["feature"] for r in rows} >= {"owner_chat", "intent_routing", "crm_ai", "memory_embedding",
                                             "memory_summary", "transcription"}  # fmt: skip
    reports = [ai_cost(store, t, since=start, until=END, by="model") for t in sizes]
    total = sum(r.total_usd for r in reports)
    models = {row["model"] for r in reports for row in r.rows}
    assert 10 < total < 100, total  # tens of dollars over two weeks of five tenants
    assert len(models) >= 5 and not any(r.unpriced_models for r in reports)
    store.close()
