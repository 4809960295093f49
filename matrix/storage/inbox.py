"""SQL for the inbox: conversation counters, monotonic delivery states, and the conversation list.

Implements :class:`matrix.modules.crm.inbox.InboxRepository`. Each write is one statement that
reads and changes the row under the database's row lock, so concurrent webhooks of one contact
neither lose an unread count nor let an older message, or an older delivery state, win.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from matrix.errors import UsageError
from matrix.storage.base import Backend

CONVERSATION_COLUMNS = (
    "conversation_id", "tenant_id", "contact_e164", "display_name", "lead_id",
    "last_message_preview", "last_message_at", "unread_count", "handler", "handler_user",
    "handoff_reason", "created_at", "updated_at",
)  # fmt: skip


class SqlInbox:
    """Conversation counters and delivery states, each updated in SQL in one statement."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def count_message(
        self, tenant_id: str, conversation_id: str, *, occurred_at: datetime, preview: str,
        at: datetime, unread: int = 1,
    ) -> None:  # fmt: skip
        """One more message (``unread`` more unread: 0 for one the tenant sent); it becomes the
        preview unless a newer one is already shown."""
        params = [unread, at, occurred_at, preview, occurred_at, occurred_at, tenant_id]
        with self._backend.transaction() as tx:
            tx.execute(
                "UPDATE crm_conversations SET unread_count = unread_count + ?, updated_at = ?,"
                " last_message_preview = CASE WHEN last_message_at IS NULL OR last_message_at <= ?"
                " THEN ? ELSE last_message_preview END,"
                " last_message_at = CASE WHEN last_message_at IS NULL OR last_message_at < ?"
                " THEN ? ELSE last_message_at END"
                " WHERE tenant_id = ? AND conversation_id = ?",
                [*params, conversation_id],
            )

    def apply_delivery(
        self, tenant_id: str, provider_message_id: str, state: str, *, ranks: Mapping[str, int],
        at: datetime,
    ) -> tuple[int, int]:  # fmt: skip
        """Move the inbox message and the outbound message with this provider id to ``state``
        where it ranks above their current state. Returns (rows found, rows changed)."""
        rank = _rank_sql(ranks)
        target = int(ranks[state])
        scope = "tenant_id = ? AND provider_message_id = ?"
        with self._backend.transaction() as tx:
            changed = tx.execute(
                f"UPDATE crm_messages SET delivery_state = ? WHERE {scope} AND {rank} < {target}",
                [state, tenant_id, provider_message_id],
            )
            changed += tx.execute(
                "UPDATE outbound_messages SET delivery_state = ?, delivery_updated_at = ?"
                f" WHERE {scope} AND {rank} < {target}",
                [state, at, tenant_id, provider_message_id],
            )
            if changed:
                return changed, changed
            found = sum(
                int(tx.query(f"SELECT count(*) FROM {table} WHERE {scope}",
                             [tenant_id, provider_message_id])[0][0])
                for table in ("crm_messages", "outbound_messages")
            )  # fmt: skip
        return found, 0

    def outbound_delivery(self, tenant_id: str, message_id: str) -> dict[str, Any] | None:
        """The delivery state the provider last reported for one outbound message, and when."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT provider_message_id, delivery_state, delivery_updated_at"
                " FROM outbound_messages WHERE tenant_id = ? AND message_id = ?",
                [tenant_id, message_id],
            )
        if not rows:
            return None
        provider_id, state, updated = rows[0]
        return {"provider_message_id": provider_id, "delivery_state": state,
                "delivery_updated_at": updated}  # fmt: skip

    def agent_activity(
        self, tenant_id: str, since: datetime
    ) -> tuple[dict[str, int], dict[str, int]]:
        """The tenant's conversations waiting for a human, counted by handoff reason, and
        Persona 2's actions done since ``since``, counted by action: two grouped counts, read on
        every owner interaction."""
        with self._backend.transaction() as tx:
            waiting = tx.query(
                "SELECT coalesce(handoff_reason, 'unknown'), count(*) FROM crm_conversations"
                " WHERE tenant_id = ? AND handler = 'waiting_human' GROUP BY 1",
                [tenant_id],
            )
            done = tx.query(
                "SELECT action, count(*) FROM crm_ai_actions"
                " WHERE tenant_id = ? AND status = 'ok' AND created_at >= ? GROUP BY 1",
                [tenant_id, since],
            )
        return ({str(r): int(n) for r, n in waiting}, {str(a): int(n) for a, n in done})

    def conversations(self, tenant_id: str, *, limit: int) -> list[dict[str, Any]]:
        """The tenant's conversations, the latest activity first (the last message, else the
        opening), each with its lead's stage (``lead_stage``, None without a lead)."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join('c.' + c for c in CONVERSATION_COLUMNS)}, l.stage"
                " FROM crm_conversations AS c LEFT JOIN crm_leads AS l"
                " ON l.tenant_id = c.tenant_id AND l.lead_id = c.lead_id"
                " WHERE c.tenant_id = ?"
                " ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.conversation_id"
                f" LIMIT {int(limit)}",
                [tenant_id],
            )
        return [
            {name: value.astimezone(UTC) if isinstance(value, datetime) else value
             for name, value in zip((*CONVERSATION_COLUMNS, "lead_stage"), row, strict=True)}
            for row in rows
        ]  # fmt: skip


def _rank_sql(ranks: Mapping[str, int]) -> str:
    """A CASE giving the stored state's rank (0 for none or an unranked one, like ``received``)."""
    whens = " ".join(f"WHEN '{_state(s)}' THEN {int(r)}" for s, r in ranks.items())
    return f"(CASE delivery_state {whens} ELSE 0 END)"


def _state(state: str) -> str:
    if not state.isidentifier():
        raise UsageError(f"Delivery state {state!r} is not a plain word; ranks name plain states.")
    return state
