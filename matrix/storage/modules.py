"""SQL for the business modules. Records are plain dicts keyed by column; every read is tenant-scoped.

These tables implement the ``ModuleStore`` repositories declared in ``matrix.modules.ports``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from matrix.storage.base import Backend

Record = dict[str, Any]

_JSON = {"metadata", "snapshot", "fields", "clauses", "field_values"}


class Table:
    """A tenant-scoped table gateway: insert, get, find, update by id."""

    def __init__(self, backend: Backend, name: str, key: str, columns: tuple[str, ...]) -> None:
        self._backend = backend
        self.name = name
        self.key = key
        self.columns = columns

    def insert(self, record: Record) -> None:
        values = [_to_db(c, record.get(c)) for c in self.columns]
        marks = ", ".join("?" * len(self.columns))
        with self._backend.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})", values
            )

    def get(self, tenant_id: str, key: str) -> Record | None:
        equals: dict[str, Any] = {self.key: key}
        found = self.find(tenant_id, limit=1, **equals)
        return found[0] if found else None

    def find(
        self, tenant_id: str, *, order: str | None = None, limit: int = 1000, **equals: Any
    ) -> list[Record]:
        clauses, params = ["tenant_id = ?"], [tenant_id]
        for column, value in equals.items():
            if column not in self.columns:
                raise ValueError(f"{self.name} has no column {column}")
            clauses.append(f"{column} = ?")
            params.append(value)
        sql = f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE {' AND '.join(clauses)}"
        default = "created_at" if "created_at" in self.columns else self.key
        sql += f" ORDER BY {order or default}, {self.key} LIMIT {int(limit)}"
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        return [self._record(r) for r in rows]

    def where(self, sql_where: str, params: list[Any], *, order: str, limit: int) -> list[Record]:
        """Admin sweep across tenants (for schedulers): a raw condition, ordered and bounded."""
        sql = f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE {sql_where} ORDER BY {order} LIMIT {int(limit)}"
        with self._backend.transaction() as tx:
            return [self._record(r) for r in tx.query(sql, params)]

    def update(
        self, tenant_id: str, key: str, changes: Record, *, expect: Record | None = None
    ) -> bool:
        """Update one row; with ``expect``, only when those columns still hold those values."""
        sets = ", ".join(f"{c} = ?" for c in changes)
        params = [_to_db(c, v) for c, v in changes.items()] + [tenant_id, key]
        where = f"tenant_id = ? AND {self.key} = ?"
        for column, value in (expect or {}).items():
            where += f" AND {column} = ?"
            params.append(value)
        with self._backend.transaction() as tx:
            return tx.execute(f"UPDATE {self.name} SET {sets} WHERE {where}", params) == 1

    def _record(self, row: tuple[Any, ...]) -> Record:
        out: Record = {}
        for column, value in zip(self.columns, row, strict=True):
            if column in _JSON and isinstance(value, str):
                value = json.loads(value)
            elif isinstance(value, datetime):
                value = value.astimezone(UTC)
            elif isinstance(value, Decimal):
                value = value.quantize(Decimal("0.01"))
            out[column] = value
        return out


def _to_db(column: str, value: Any) -> Any:
    if column in _JSON:
        return json.dumps(value if value is not None else {}, default=str, ensure_ascii=False)
    return value


class ModuleTables:
    """Every module table of one store."""

    def __init__(self, backend: Backend) -> None:
        self.customers = Table(backend, "customers", "customer_id", (
            "customer_id", "tenant_id", "external_key", "display_name", "primary_phone", "primary_email",
            "origin", "status", "lead_id", "merged_into", "metadata", "created_at", "updated_at"))  # fmt: skip
        self.customer_merges = Table(backend, "customer_merges", "merge_id", (
            "merge_id", "tenant_id", "kept_customer_id", "merged_customer_id", "actor", "reason",
            "snapshot", "merged_at"))  # fmt: skip
        self.leads = Table(backend, "crm_leads", "lead_id", (
            "lead_id", "tenant_id", "external_key", "display_name", "phone_e164", "source_channel", "stage",
            "customer_id", "metadata", "created_at", "updated_at"))  # fmt: skip
        self.lead_history = Table(backend, "crm_lead_stage_history", "history_id", (
            "history_id", "tenant_id", "lead_id", "from_stage", "to_stage", "trigger", "reason_code",
            "actor", "changed_at"))  # fmt: skip
        self.appointments = Table(backend, "agenda_appointments", "appointment_id", (
            "appointment_id", "tenant_id", "external_key", "customer_id", "title", "start_at", "end_at",
            "timezone", "status", "correlation_id", "created_at", "updated_at"))  # fmt: skip
        self.reminders = Table(backend, "agenda_reminders", "reminder_id", (
            "reminder_id", "tenant_id", "appointment_id", "schedule_at", "channel", "message", "phone_e164",
            "status", "dispatch_id", "error_code", "correlation_id", "trace_id", "created_at", "updated_at"))  # fmt: skip
        self.charges = Table(backend, "billing_charges", "charge_id", (
            "charge_id", "tenant_id", "external_key", "customer_id", "amount", "currency", "due_date",
            "status", "collection_state", "created_at", "updated_at"))  # fmt: skip
        self.payments = Table(backend, "billing_payments", "payment_id", (
            "payment_id", "tenant_id", "charge_id", "external_key", "amount", "currency", "paid_at",
            "created_at"))  # fmt: skip
        self.conversations = Table(backend, "crm_conversations", "conversation_id", (
            "conversation_id", "tenant_id", "contact_e164", "display_name", "lead_id", "last_message_preview",
            "last_message_at", "unread_count", "created_at", "updated_at"))  # fmt: skip
        self.messages = Table(backend, "crm_messages", "message_row_id", (
            "message_row_id", "tenant_id", "conversation_id", "provider_message_id", "direction", "message_type",
            "text", "delivery_state", "occurred_at", "created_at"))  # fmt: skip
        self.webhook_receipts = Table(backend, "webhook_receipts", "receipt_id", (
            "receipt_id", "tenant_id", "event_id", "event_type", "received_at"))  # fmt: skip
        self.agreement_templates = Table(backend, "agreement_templates", "template_id", (
            "template_id", "tenant_id", "template_key", "version", "title", "fields", "clauses", "created_at"))  # fmt: skip
        self.agreement_documents = Table(backend, "agreement_documents", "document_id", (
            "document_id", "tenant_id", "template_id", "template_key", "template_version", "customer_id",
            "field_values", "markdown", "docx_base64", "created_at"))  # fmt: skip
        self.accounts = Table(backend, "crm_accounts", "account_id", (
            "account_id", "tenant_id", "external_key", "name", "document_number", "status", "created_at",
            "updated_at"))  # fmt: skip
        self.contacts = Table(backend, "crm_contacts", "contact_id", (
            "contact_id", "tenant_id", "account_id", "external_key", "display_name", "phone_e164", "email",
            "status", "created_at", "updated_at"))  # fmt: skip
        self.deals = Table(backend, "crm_deals", "deal_id", (
            "deal_id", "tenant_id", "lead_id", "account_id", "contact_id", "external_key", "title", "stage",
            "amount", "currency", "created_at", "updated_at"))  # fmt: skip
        self.activities = Table(backend, "crm_activities", "activity_id", (
            "activity_id", "tenant_id", "deal_id", "contact_id", "kind", "title", "body", "occurred_at",
            "created_at"))  # fmt: skip
        self.todos = Table(backend, "crm_todos", "todo_id", (
            "todo_id", "tenant_id", "deal_id", "title", "due_at", "status", "priority", "created_at",
            "updated_at"))  # fmt: skip
        self.campaigns = Table(backend, "crm_campaigns", "campaign_id", (
            "campaign_id", "tenant_id", "external_key", "name", "audience", "message", "state", "scheduled_at",
            "created_at", "updated_at"))  # fmt: skip
        self.outbound = Table(backend, "outbound_messages", "message_id", (
            "message_id", "tenant_id", "idempotency_key", "context_type", "context_id", "phone_e164", "text",
            "status", "attempts", "max_attempts", "available_at", "provider_message_id", "error_code",
            "error_message", "correlation_id", "trace_id", "causation_id", "created_at", "updated_at"))  # fmt: skip


__all__ = ["ModuleTables", "Record", "Table"]
