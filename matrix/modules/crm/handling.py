"""Who handles a conversation, what Persona 2 did in it, and the inbound messages it has to read.

Every conversation says who is handling it: Persona 2 (``agent``, the default), a human's queue
(``waiting_human``, with the handoff's reason) or a named person (``human``, who took it over). A
manager takes a conversation over or hands it back; Persona 2 answers automatically only while it
handles the conversation.

Every attempt of Persona 2 — a suggestion, a qualification, an execution, a block, a handoff, a
take-over — is a row of ``crm_ai_actions`` (the audit). An executed request also keeps its
``request_key`` (unique per tenant), so a repeated request finds the stored result, whatever
restarted in between.

An inbound message is filed for Persona 2 (``crm_ai_inbox``) in the webhook's own transaction, so
it is read exactly when it was filed; the scheduler's job claims due items, and a claim not
finished within :data:`CLAIM_TIMEOUT` (a crashed process) is taken again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules.context import Work
from matrix.modules.ports import ModuleStore, Record

AGENT = "agent"
WAITING = "waiting_human"
HUMAN = "human"
HANDLERS = (AGENT, WAITING, HUMAN)

CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)


def file_for_agent(
    store: ModuleStore, work: Work, conversation_id: str, message_row_id: str
) -> None:
    """File an inbound message for Persona 2 to read (once per message)."""
    now = work.clock.now()
    store.modules.ai_inbox.insert_once({
        "item_id": env.new_id(), "tenant_id": work.tenant_id, "conversation_id": conversation_id,
        "message_row_id": message_row_id, "status": "pending", "attempts": 0, "available_at": now,
        "outcome": None, "correlation_id": work.correlation_id, "trace_id": work.trace_id,
        "created_at": now, "updated_at": now,
    }, key=("message_row_id",))  # fmt: skip


def due_items(
    store: ModuleStore, now: datetime, *, limit: int, tenants: Collection[str] | None = None
) -> list[Record]:
    """Inbound messages waiting for Persona 2, across tenants, the oldest first: pending ones
    whose time came, and claims left unfinished (a process that died while reading)."""
    return store.modules.ai_inbox.due(
        [("pending", "available_at", now), ("working", "updated_at", now - CLAIM_TIMEOUT)],
        order="available_at, item_id", limit=limit, tenants=tenants,
    )  # fmt: skip


def claim(store: ModuleStore, item: Record, now: datetime) -> bool:
    """Take one item for this process; False when another took it first."""
    return store.modules.ai_inbox.update(
        item["tenant_id"], item["item_id"],
        {"status": "working", "attempts": item["attempts"] + 1, "updated_at": now},
        expect={"status": item["status"], "updated_at": item["updated_at"]},
    )  # fmt: skip


def finish(store: ModuleStore, item: Record, status: str, outcome: str, now: datetime) -> None:
    """Close an item: ``done``, ``skipped``, or ``failed`` after its last attempt; a failure
    with attempts left makes it due again after :data:`RETRY_AFTER`."""
    changes: Record = {"status": status, "outcome": outcome[:500], "updated_at": now}
    if status == "failed" and item["attempts"] + 1 < MAX_ATTEMPTS:
        changes |= {"status": "pending", "available_at": now + RETRY_AFTER}
    store.modules.ai_inbox.update(item["tenant_id"], item["item_id"], changes)


def newer_inbound(store: ModuleStore, item: Record) -> bool:
    """Whether a later inbound message of the same conversation waits too (a burst is read once,
    at its last message)."""
    later = store.modules.ai_inbox.find(
        item["tenant_id"], conversation_id=item["conversation_id"], status="pending", limit=50
    )
    return any(other["created_at"] > item["created_at"] for other in later)


def record(
    store: ModuleStore, work: Work, conversation: Record, *, action: str, status: str,
    actor: str, lead_id: str | None = None, request_key: str | None = None,
    client_request_id: str | None = None, reason_code: str | None = None,
    confidence: float | None = None, suggested_stage: str | None = None, draft: str | None = None,
    provider: str | None = None, model: str | None = None, details: dict[str, Any] | None = None,
) -> Record | None:  # fmt: skip
    """Audit one attempt. With ``request_key``, only the first attempt of that key is stored:
    returns None when the key was stored before (read it with :func:`stored_request`)."""
    row: Record = {
        "action_id": env.new_id(), "tenant_id": work.tenant_id,
        "conversation_id": conversation["conversation_id"], "lead_id": lead_id or conversation.get("lead_id"),
        "action": action, "status": status, "request_key": request_key,
        "client_request_id": client_request_id, "reason_code": reason_code, "confidence": confidence,
        "suggested_stage": suggested_stage, "draft": draft, "provider": provider, "model": model,
        "details": details or {}, "actor": actor, "correlation_id": work.correlation_id,
        "trace_id": work.trace_id, "created_at": work.clock.now(),
    }  # fmt: skip
    if request_key is None:
        store.modules.ai_actions.insert(row)
        return row
    return row if store.modules.ai_actions.insert_once(row, key=("request_key",)) else None


def stored_request(store: ModuleStore, tenant_id: str, request_key: str) -> Record | None:
    """The audit row an executed request stored under its key (None: never executed)."""
    found = store.modules.ai_actions.find(tenant_id, request_key=request_key, limit=1)
    return found[0] if found else None


def actions(
    store: ModuleStore, tenant_id: str, conversation_id: str, *, limit: int = 100
) -> list[Record]:
    """The audit of one conversation, the newest first."""
    return store.modules.ai_actions.find(
        tenant_id, conversation_id=conversation_id, order="created_at DESC", limit=limit
    )


def require(store: ModuleStore, tenant_id: str, conversation_id: str) -> Record:
    conversation = store.modules.conversations.get(tenant_id, conversation_id)
    if conversation is None:
        raise NotFoundError(f"No conversation {conversation_id!r} for tenant {tenant_id!r}.")
    return conversation


def hand_over(
    store: ModuleStore, work: Work, conversation: Record, *, to: str, user: str | None = None,
    reason_code: str | None = None, actor: str,
) -> Record:  # fmt: skip
    """Change who handles a conversation: ``agent`` (hand back), ``waiting_human`` (a handoff, with
    its reason) or ``human`` (a person took it over: ``user`` names them). Emits
    ``crm.handoff.required`` for a handoff, ``crm.conversation.handler.changed`` otherwise, and
    audits it. Returns the conversation as it is now."""
    if to not in HANDLERS:
        raise UsageError(f"handler must be one of {list(HANDLERS)}, got {to!r}.")
    if to == HUMAN and not (user and user.strip()):
        raise UsageError("Taking a conversation over needs the user who takes it (--user NAME).")
    if to == WAITING and not reason_code:
        raise UsageError("A handoff needs its reason_code.")
    now = work.clock.now()
    changes: Record = {"handler": to, "handler_user": user.strip() if to == HUMAN and user else None,
                       "handoff_reason": reason_code if to == WAITING else None, "updated_at": now}  # fmt: skip
    before = conversation.get("handler") or AGENT
    with store.transaction():
        store.modules.conversations.update(work.tenant_id, conversation["conversation_id"], changes)
        ids = {"conversation_id": conversation["conversation_id"]}
        if to == WAITING:
            event = work.event("crm.handoff.required", env.CRM, env.OWNER, status="info", payload={
                **ids, "reason_code": reason_code, "lead_id": conversation.get("lead_id")})  # fmt: skip
        else:
            event = work.event("crm.conversation.handler.changed", env.CRM, env.OWNER, status="info",
                               payload={**ids, "from_handler": before, "to_handler": to,
                                        "handler_user": changes["handler_user"]})  # fmt: skip
        store.events.append_many([event])
        action = {WAITING: "handoff", HUMAN: "take_over", AGENT: "hand_back"}[to]
        record(store, work, conversation, action=action, status="ok", actor=actor,
               reason_code=reason_code, details={"from_handler": before, "to_handler": to,
                                                 "handler_user": changes["handler_user"]})  # fmt: skip
    return {**conversation, **changes}


def waiting(store: ModuleStore, tenant_id: str, *, limit: int = 100) -> list[Record]:
    """The tenant's conversations waiting for a human, the longest waiting first."""
    return store.modules.conversations.find(
        tenant_id, handler=WAITING, order="updated_at", limit=limit
    )


class ActivityRepository(Protocol):
    def agent_activity(
        self, tenant_id: str, since: datetime
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Conversations waiting for a human by handoff reason; Persona 2's actions done since
        ``since`` by action."""
        ...


class ActivityStore(Protocol):
    @property
    def inbox(self) -> ActivityRepository: ...


def activity(store: ActivityStore, tenant_id: str, since: datetime) -> dict[str, Any]:
    """What Persona 2 did for the tenant since ``since``, for Persona 1's operational context:
    how many conversations wait for a human (and why), replies sent, stages moved, handoffs."""
    reasons, done = store.inbox.agent_activity(tenant_id, since)
    return {"waiting_for_human": sum(reasons.values()), "waiting_reasons": reasons, "actions": done}


def activity_line(store: ActivityStore, tenant_id: str, now: datetime) -> str | None:
    """:func:`activity` of the last day in a line of the owner's operational context (None when
    Persona 2 did nothing and nothing waits)."""
    done = activity(store, tenant_id, now - timedelta(days=1))
    parts = []
    if done["waiting_for_human"]:
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(done["waiting_reasons"].items()))
        parts.append(
            f"{done['waiting_for_human']} WhatsApp conversation(s) wait for a human ({reasons})"
        )
    labels = {"send_reply": "replies queued", "update_stage": "leads moved", "handoff": "handoffs"}
    parts += [
        f"{done['actions'][a]} {label}" for a, label in labels.items() if done["actions"].get(a)
    ]
    return "; ".join(parts) + " in the last 24 h" if parts else None
