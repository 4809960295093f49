"""Which operational tables the analytics store holds, and how each one is copied.

Append-only tables (telemetry, the event log) are copied incrementally by their ``seq`` column;
the others are small and change in place (a message is sent, a charge is paid), so each sync
copies them whole and swaps them in atomically.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    incremental: bool
    time_column: str | None = None
    """The column a Parquet or ClickHouse copy is partitioned and ordered by."""


INCREMENTAL = (
    Table(name="telemetry", incremental=True, time_column="recorded_at"),
    Table(name="event_log", incremental=True, time_column="occurred_at"),
)
WHOLE = tuple(
    Table(name=name, incremental=False)
    for name in (
        "outbound_messages", "agenda_reminders", "crm_leads", "billing_charges", "worklog",
        "costlog", "test_results", "gate_runs", "deployments", "commits", "incidents",
        "model_prices", "approvals",
    )
)  # fmt: skip
TABLES = INCREMENTAL + WHOLE
BY_NAME = {t.name: t for t in TABLES}
