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
