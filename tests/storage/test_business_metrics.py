"""Business and dispatch metrics on hand-built module rows, answers worked out by hand, both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matrix.metrics import compute
from matrix.metrics.costs import cost_per_active_tenant, set_price
from matrix.storage import Store

T = datetime(2026, 11, 5, 9, tzinfo=UTC)
WINDOW = {"since": T - timedelta(days=2), "until": T + timedelta(days=2), "grain": "all"}


@pytest.fixture
def acme(store: Store) -> Store:
    store.tenants.add("acme")
    return store


def _insert(store: Store, sql: str, rows: list[list[object]]) -> None:
    with store.backend.transaction() as tx:
        for row in rows:
            tx.execute(sql, row)


def test_dispatch_success_counts_finished_messages_only(acme: Store) -> None:
    sql = ("INSERT INTO outbound_messages (message_id, tenant_id, idempotency_key, context_type, context_id,"
           " phone_e164, text, status, attempts, max_attempts, available_at, provider_message_id, error_code,"
           " error_message, correlation_id, trace_id, causation_id, created_at, updated_at)"
           " VALUES (?, 'acme', ?, 'manual', 'x', '+5511999990000', 'hi', ?, 1, 5, ?,"
           " NULL, NULL, NULL, 'c', 't', NULL, ?, ?)")  # fmt: skip
    _insert(acme, sql, [[f"m{i}", f"k{i}", status, T, T, T] for i, status in
                        enumerate(["sent", "sent", "sent", "dead", "queued", "sending"])])  # fmt: skip
    assert compute(
        acme, "dispatch_success_ratio", tenant_id="acme", **WINDOW
    ).total == pytest.approx(3 / 4)


def test_reminder_on_time_allows_fifteen_minutes(acme: Store) -> None:
    sql = ("INSERT INTO agenda_reminders (reminder_id, tenant_id, appointment_id, schedule_at, channel, message,"
           " phone_e164, status, dispatch_id, error_code, correlation_id, trace_id, created_at, updated_at)"
           " VALUES (?, 'acme', 'a', ?, 'whatsapp', 'm', NULL, ?, NULL, NULL, 'c', 't', ?, ?)")  # fmt: skip
    _insert(acme, sql, [
        ["r1", T, "sent", T, T + timedelta(minutes=2)],     # on time
        ["r2", T, "sent", T, T + timedelta(minutes=15)],    # on the edge: on time
        ["r3", T, "sent", T, T + timedelta(minutes=16)],    # late
        ["r4", T, "failed", T, T + timedelta(minutes=1)],   # failed: not on time
        ["r5", T, "scheduled", T, T],                       # not due yet: not counted
    ])  # fmt: skip
    assert compute(
        acme, "reminder_on_time_ratio", tenant_id="acme", **WINDOW
    ).total == pytest.approx(2 / 4)


def test_lead_conversion_and_collection_success(acme: Store) -> None:
    _insert(acme, "INSERT INTO crm_leads VALUES (?, 'acme', NULL, 'L', '+5511988887777', 'whatsapp', 'won', ?, '{}', ?, ?)",
            [["l1", "c1", T, T], ["l2", None, T, T], ["l3", None, T, T]])  # fmt: skip
    assert compute(
        acme, "lead_conversion_ratio", tenant_id="acme", **WINDOW
    ).total == pytest.approx(1 / 3)
    sql = ("INSERT INTO billing_charges (charge_id, tenant_id, external_key, customer_id, amount, currency,"
           " due_date, status, collection_state, created_at, updated_at)"
           " VALUES (?, 'acme', NULL, 'c1', 100, 'BRL', ?, ?, ?, ?, ?)")  # fmt: skip
    _insert(acme, sql, [["b1", T.date(), "paid", "paid", T, T], ["b2", T.date(), "open", "sent", T, T],
                        ["b3", T.date(), "paid", None, T, T]])  # fmt: skip
    assert compute(
        acme, "collection_success_ratio", tenant_id="acme", **WINDOW
    ).total == pytest.approx(1 / 2)


def test_cost_per_active_tenant(acme: Store) -> None:
    acme.tenants.add("globex")
    set_price(acme, provider="openai", model="m", effective_from=T - timedelta(days=30), input_per_mtok=0,
              output_per_mtok=1.0, actor="x", now=T)  # fmt: skip
    rows = []
    for tenant, dollars in (("acme", 3.0), ("globex", 1.0)):
        rows.append(
            {
                "tenant_id": tenant,
                "recorded_at": T,
                "kind": "request",
                "name": "owner.interaction",
                "status": "ok",
            }
        )
        rows.append({"tenant_id": tenant, "recorded_at": T, "kind": "provider_call", "name": "owner.respond", "status": "ok",
                     "provider": "openai", "model": "m", "output_tokens": int(dollars * 1_000_000)})  # fmt: skip
    rows.append(
        {"tenant_id": "idle", "recorded_at": T, "kind": "task", "name": "x", "status": "completed"}
    )
    acme.telemetry.insert_many(rows)
    result = cost_per_active_tenant(acme, since=WINDOW["since"], until=WINDOW["until"])
    assert result == {"active_tenants": 2, "total_usd": pytest.approx(4.0), "unpriced_calls": 0,
                      "cost_per_active_tenant_usd": pytest.approx(2.0), "reason": None}  # fmt: skip
    before = cost_per_active_tenant(
        acme, since=T - timedelta(days=60), until=T - timedelta(days=30)
    )
    assert before["cost_per_active_tenant_usd"] is None
    assert before["reason"] == "no tenant had an owner interaction in the window"
