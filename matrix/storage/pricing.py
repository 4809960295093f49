"""SQL for AI prices, their audit and tenant plans, and the cross-tenant usage reads that
re-pricing and the per-tenant averages need (admin reads; the cost figures themselves come from
the metric engine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matrix.storage.base import Backend

PRICE_COLUMNS = ("price_id", "provider", "model", "effective_from", "input_per_mtok", "cached_input_per_mtok",
                 "output_per_mtok", "audio_per_minute", "note", "created_by", "created_at")  # fmt: skip
AUDIT_COLUMNS = ("audit_id", "provider", "model", "effective_from", "rows_repriced", "old_total_usd",
                 "new_total_usd", "actor", "changed_at")  # fmt: skip
PLAN_COLUMNS = ("tenant_id", "effective_from", "plan", "monthly_fee_usd", "created_by", "created_at")  # fmt: skip
LISTED = ("provider", "model", "effective_from", "input_per_mtok", "cached_input_per_mtok",
          "output_per_mtok", "audio_per_minute", "note")  # fmt: skip


class SqlPricing:
    """The ``model_prices``, ``price_audit`` and ``tenant_plans`` tables."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def add_price(self, price: dict[str, Any]) -> None:
        """Insert one price row (keys: :data:`PRICE_COLUMNS`)."""
        self._insert("model_prices", PRICE_COLUMNS, price)

    def add_audit(self, audit: dict[str, Any]) -> None:
        """Insert one price change's audit row (keys: :data:`AUDIT_COLUMNS`)."""
        self._insert("price_audit", AUDIT_COLUMNS, audit)

    def prices(self) -> list[dict[str, Any]]:
        """Every price with its effective date, by provider, model and date."""
        with self._backend.transaction() as tx:
            rows = tx.query(f"SELECT {', '.join(LISTED)} FROM model_prices"
                            " ORDER BY provider, model, effective_from")  # fmt: skip
        return [dict(zip(LISTED, r, strict=True)) for r in rows]

    def set_plan(self, plan: dict[str, Any]) -> None:
        """Store a tenant's plan from a date, replacing one from the same date."""
        with self._backend.transaction() as tx:
            tx.execute(
                "DELETE FROM tenant_plans WHERE tenant_id = ? AND effective_from = ?",
                [plan["tenant_id"], plan["effective_from"]],
            )
            self._insert("tenant_plans", PLAN_COLUMNS, plan)

    def plans(self, tenant_id: str) -> list[tuple[datetime, float]]:
        """The tenant's plans as (effective from, monthly fee), oldest first."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT effective_from, monthly_fee_usd FROM tenant_plans WHERE tenant_id = ?"
                " ORDER BY effective_from",
                [tenant_id],
            )
        return [(start, float(fee)) for start, fee in rows]

    def tenants_calling(self, provider: str, model: str, since: datetime) -> list[str]:
        """Every tenant with a provider call to this model from ``since``."""
        with self._backend.transaction() as tx:
            return [r[0] for r in tx.query(
                "SELECT DISTINCT tenant_id FROM telemetry WHERE kind = 'provider_call' AND provider = ?"
                " AND model = ? AND recorded_at >= ?", [provider, model, since])]  # fmt: skip

    def active_tenants(self, since: datetime, until: datetime) -> list[str]:
        """Every tenant with at least one owner interaction in ``[since, until)``."""
        with self._backend.transaction() as tx:
            return [r[0] for r in tx.query(
                "SELECT DISTINCT tenant_id FROM telemetry WHERE kind = 'request' AND recorded_at >= ?"
                " AND recorded_at < ?", [since, until])]  # fmt: skip

    def _insert(self, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> None:
        with self._backend.transaction() as tx:
            tx.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [row[c] for c in columns],
            )
