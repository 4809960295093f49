"""The thread context pack: what Persona 2 reads of a conversation before it drafts, qualifies or
acts (origin §e.4).

The pack holds the conversation, its lead (by ``lead_id``, else the tenant's lead with the
contact's phone), the last :data:`LAST_MESSAGES` messages in the provider's order, each cut to
:data:`MESSAGE_CHARS` characters, and the latest inbound and outbound texts (cut to
:data:`LATEST_CHARS`). Nothing else of the tenant is read: a draft can only use what is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matrix.modules.crm import conversations
from matrix.modules.ports import ModuleStore, Record

LAST_MESSAGES = 12
MESSAGE_CHARS = 600
LATEST_CHARS = 1200


@dataclass(frozen=True, kw_only=True)
class ThreadMessage:
    """One message of a thread as Persona 2 reads it."""

    direction: str
    """``inbound`` (from the contact) or ``outbound`` (from the business)."""
    text: str


@dataclass(frozen=True, kw_only=True)
class ThreadPack:
    """A conversation as Persona 2 reads it."""

    tenant_id: str
    conversation: Record
    lead: Record | None
    messages: tuple[ThreadMessage, ...]
    latest_inbound: str
    latest_outbound: str

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["conversation_id"])

    @property
    def display_name(self) -> str:
        return str(self.conversation.get("display_name") or "")

    @property
    def stage(self) -> str | None:
        """The linked lead's funnel stage (None without a lead)."""
        return self.lead["stage"] if self.lead else None

    def transcript(self) -> str:
        """The messages as lines a model reads (``cliente:`` / ``empresa:``)."""
        who = {"inbound": "contact", "outbound": "business"}
        return "\n".join(f"{who.get(m.direction, m.direction)}: {m.text}" for m in self.messages)

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "lead_id": self.lead["lead_id"] if self.lead else None,
            "stage": self.stage,
            "messages": [{"direction": m.direction, "text": m.text} for m in self.messages],
        }


def pack(store: ModuleStore, tenant_id: str, conversation: Record) -> ThreadPack:
    """The context pack of one of the tenant's conversations."""
    rows = conversations.last_messages(
        store, tenant_id, conversation["conversation_id"], limit=LAST_MESSAGES
    )
    messages = tuple(
        ThreadMessage(direction=r["direction"], text=(r["text"] or "")[:MESSAGE_CHARS])
        for r in rows
    )
    return ThreadPack(
        tenant_id=tenant_id, conversation=conversation, lead=linked_lead(store, tenant_id, conversation),
        messages=messages, latest_inbound=_latest(rows, "inbound"),
        latest_outbound=_latest(rows, "outbound"),
    )  # fmt: skip


def linked_lead(store: ModuleStore, tenant_id: str, conversation: Record) -> Record | None:
    """The conversation's lead: by its ``lead_id``, else the tenant's lead with the contact's phone."""
    if conversation.get("lead_id"):
        lead = store.modules.leads.get(tenant_id, conversation["lead_id"])
        if lead is not None:
            return lead
    found = store.modules.leads.find(tenant_id, phone_e164=conversation["contact_e164"], limit=1)
    return found[0] if found else None


def _latest(rows: list[Record], direction: str) -> str:
    for row in reversed(rows):
        if row["direction"] == direction and row["text"]:
            return str(row["text"])[:LATEST_CHARS]
    return ""
