"""Conversations: the tenant's WhatsApp conversations and who handles each (Persona 2, a human's
queue with the handoff's reason, or a person), the ones waiting for a human first; a selected
conversation's last messages and Persona 2's latest draft, and what a manager does with it:
approve and send the draft, take the conversation over or hand it back, ask for a new draft.

Every action goes through :class:`~matrix.agent.service.WhatsAppAgent` (the same rules, audit and
``crm.ai.*`` events as the API), as the signed-in user, on the tenant the filters chose; an id of
another tenant's conversation is not found. "Approve and send" uses a client request id derived
from the draft's audit row, so pressing it twice queues one message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboards.components import table
from dashboards.context import (
    application,
    current_user,
    filter_inputs,
    filters,
    guarded,
    message,
    outbound_notice,
    store,
    viewer_zone,
)
from matrix import formats
from matrix.access import User
from matrix.envelopes import parse_timestamp
from matrix.errors import UsageError
from matrix.modules.crm import conversations, handling
from matrix.modules.ports import Record

PATH, NAME = "/conversations", "Conversations"
ACTING_ROLES = ("admin", "manager")
"""The roles that may act on a conversation; any other role reads only."""
COLUMNS = ("contact", "handled_by", "unread", "lead_stage", "last_message", "last_message_at")
WIDTHS = {"contact": 170, "handled_by": 290, "unread": 80, "lead_stage": 110, "last_message": 320,
          "last_message_at": 175}  # fmt: skip
DRAFT_ACTIONS = ("auto_handle", "suggest_reply")
STAGE_ACTIONS = ("auto_handle", "qualify")
LIST_LIMIT = 200
MESSAGES = 12
BUTTONS = {
    "conversations-send-button": "send",
    "conversations-take-button": "take_over",
    "conversations-back-button": "hand_back",
    "conversations-suggest-button": "suggest",
}
REASONS = {
    "human_requested": "the contact asked for a person",
    "review_required": "the tenant reviews Persona 2's answers before they go out",
    "suggest_only": "Persona 2 only suggests for this tenant",
    "low_confidence": "the draft's confidence is below the tenant's minimum",
    "not_understood": "Persona 2 did not understand what the contact wants",
    "draft_blocked": "the reply guard stopped the model's draft",
    "provider_error": "the tenant's AI model failed, so the offline draft waits for a person",
    "abusive": "the contact was abusive",
    "complaint": "the contact complains about a service",
    "legal": "the contact mentions legal action",
    "waiting_for_human": "already waiting for a person",
}


def layout(**_: Any) -> html.Div:
    buttons = [html.Button(label, id=button_id, n_clicks=0, disabled=True) for button_id, label in (
        ("conversations-send-button", "Approve and send"), ("conversations-take-button", "Take over"),
        ("conversations-back-button", "Hand back"), ("conversations-suggest-button", "Suggest a new draft"))]  # fmt: skip
    return html.Div([
        html.H2("Conversations"),
        html.Div(id="conversations-content"),
        table("conversations-table", [], list(COLUMNS), select=True, page_size=20, row_id="conversation_id", widths=WIDTHS),
        html.Div(id="conversations-detail", className="conversation-detail"),
        html.Label(["Reply to send (Persona 2's draft; edit before sending)",
                    dcc.Textarea(id="conversations-draft", value="", className="draft-box")]),
        html.Div(buttons, className="toolbar"),
        html.Div(id="conversations-message"),
        dcc.Store(id="conversations-selected"),
        dcc.Store(id="conversations-refresh", data=0),
    ])  # fmt: skip


# -- reading ---------------------------------------------------------------------------------------


def handled_by(conversation: Record) -> str:
    """Who handles the conversation, as a person reads it."""
    handler = conversation.get("handler") or handling.AGENT
    if handler == handling.HUMAN:
        return str(conversation.get("handler_user") or "a person")
    if handler == handling.WAITING:
        return f"waiting for a human: {conversation.get('handoff_reason') or 'no reason recorded'}"
    return "Persona 2"


def rows(tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's conversations as table rows: those waiting for a human first (the longest
    waiting first), then the rest by their latest activity."""
    found = conversations.recent(store(), tenant_id, limit=LIST_LIMIT)
    waiting = sorted(
        (c for c in found if c.get("handler") == handling.WAITING), key=lambda c: c["updated_at"]
    )
    rest = [c for c in found if c.get("handler") != handling.WAITING]
    return [{
        "conversation_id": c["conversation_id"], "contact": c.get("display_name") or c["contact_e164"],
        "handled_by": handled_by(c), "unread": c.get("unread_count") or 0, "lead_stage": c.get("lead_stage") or "",
        "last_message": c.get("last_message_preview") or "", "last_message_at": _when(c.get("last_message_at")),
    } for c in [*waiting, *rest]]  # fmt: skip


def latest_draft(tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
    """Persona 2's latest draft for the conversation, from the audit: its row id, text,
    confidence, the stage it suggested, why it waits (if it does) and its correlation."""
    audit = handling.actions(store(), tenant_id, conversation_id)
    drafts = [a for a in audit if a["action"] in DRAFT_ACTIONS and a.get("draft")]
    if not drafts:
        return None
    draft = drafts[0]
    # A reading of an inbound message audits its suggestion too, just after it: the reading
    # carries the decision and its reason.
    draft = next((a for a in drafts if a["action"] == "auto_handle"
                  and a["correlation_id"] == draft["correlation_id"]), draft)  # fmt: skip
    stage = next(
        (a for a in audit if a["action"] in STAGE_ACTIONS and a.get("suggested_stage")), None
    )
    approved = any(a["action"] == "send_reply" and a["status"] == "ok"
                   and a.get("client_request_id") == approval_id(draft["action_id"]) for a in audit)  # fmt: skip
    decision = (draft.get("details") or {}).get("decision")
    return {"action_id": draft["action_id"], "action": draft["action"], "text": draft["draft"],
            "confidence": draft.get("confidence"), "suggested_stage": stage["suggested_stage"] if stage else None,
            "from_stage": _from_stage(stage),
            "reason_code": draft.get("reason_code"), "sent": "automatically" if decision == "send"
            else "approved" if approved else None,
            "correlation_id": draft["correlation_id"], "at": _when(draft["created_at"])}  # fmt: skip


def _from_stage(row: Record | None) -> str | None:
    """The stage the lead was in when Persona 2 suggested one (a reading keeps it in its details)."""
    details = (row or {}).get("details") or {}
    found = (details.get("qualification") or {}).get("current_stage") or details.get(
        "current_stage"
    )
    return str(found) if found else None


def approval_id(draft_id: str) -> str:
    """The client request id of approving one draft: the same for every press of the button."""
    return f"approve-{draft_id}"


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           refresh: Any = None) -> tuple[Any, list[dict[str, Any]]]:  # fmt: skip
    """The main callback: the tenant's Persona 2 settings, delivery, the waiting list and every
    conversation (the table's rows)."""
    f = filters(user, tenant, since, until, grain)
    listed = rows(f.tenant)
    policy = application().agent.policy(f.tenant)
    answers = policy.mode == "assist_execute" and policy.auto_reply and policy.auto_reply_ai
    mode = ("off" if not policy.enabled else
            f"answers by itself at confidence ≥ {policy.min_confidence:.2f}, otherwise hands over" if answers
            else "drafts and qualifies; a person approves every answer" if policy.mode == "assist_execute"
            else "suggests only (it sends nothing and moves no lead)")  # fmt: skip
    waiting = [r for r in listed if r["handled_by"].startswith("waiting for a human")]
    queue = html.Ul([html.Li(f"{r['contact']} — {_reason(r['handled_by'])} (since {r['last_message_at'] or '?'})")
                     for r in waiting[:10]], id="conversations-waiting-list") if waiting else \
        html.P("Nobody is waiting for a human.", id="conversations-waiting-list")  # fmt: skip
    content = [
        *outbound_notice("conversations", f.tenant),
        html.P(f"Persona 2 for {f.tenant}: {mode}. {len(listed)} conversations; the list is their"
               " state now (the dates above do not filter it).", id="conversations-policy"),
        html.H4(f"Waiting for a human ({len(waiting)})"),
        queue,
    ]  # fmt: skip
    return content, listed


def detail(user: User | None, tenant: str | None, selected_rows: list[dict[str, Any]] | None,
           kept: dict[str, Any] | None = None, *, trigger: str | None = None) -> tuple[Any, ...]:  # fmt: skip
    """The selected conversation: its last messages and Persona 2's latest draft; the draft in
    the reply box; what is selected (for the actions); and which buttons the user may press."""
    if user is None:
        raise UsageError("Sign in again: your session has ended.")
    tenant_id = user.require(store(), tenant)
    picked = (
        selected_rows[0].get("conversation_id")
        if selected_rows and trigger != "filter-tenant"
        else None
    )
    if (
        picked is None
        and trigger != "filter-tenant"
        and kept
        and kept.get("tenant_id") == tenant_id
    ):
        picked = kept.get("conversation_id")  # the table was refreshed: keep what was selected
    if not isinstance(picked, str):
        return (html.P("Select a conversation to see its messages and Persona 2's draft."), "", None,
                *_disabled(user, None))  # fmt: skip
    agent = application().agent
    conversation = agent.conversation(tenant_id, picked)  # another tenant's id is not found
    draft = latest_draft(tenant_id, picked)
    last = conversations.last_messages(store(), tenant_id, picked, limit=MESSAGES)
    bubbles = [html.Div([html.Div(f"{'contact' if m['direction'] == 'inbound' else 'business'} · "
                                  f"{_when(m.get('occurred_at'))} · {m.get('delivery_state') or ''}",
                                  className="bubble-meta"), html.Div(m.get("text") or "")],
                        className=f"bubble bubble-{m['direction']}") for m in last]  # fmt: skip
    panel = [
        html.H3(f"{conversation.get('display_name') or conversation['contact_e164']} · {handled_by(conversation)}",
                id="conversations-detail-title"),
        html.Div(bubbles or [html.P("No messages yet.")], id="conversations-messages", className="bubbles"),
        _draft_panel(draft),
    ]  # fmt: skip
    chosen = {"tenant_id": tenant_id, "conversation_id": picked,
              "draft_id": draft["action_id"] if draft else None}  # fmt: skip
    return (
        html.Div(panel),
        draft["text"] if draft and not draft["sent"] else "",
        chosen,
        *_disabled(user, conversation, draft),
    )


def act(user: User | None, tenant: str | None, chosen: dict[str, Any] | None, reply_text: str | None,
        *, trigger: str | None) -> html.Div:  # fmt: skip
    """Do what ``trigger`` (a button's id) asks on the selected conversation, as ``user``;
    returns the message to show. A refusal raises (the guard shows it)."""
    action = BUTTONS.get(trigger or "")
    if action is None:
        raise UsageError("Press one of the buttons under the conversation.")
    if user is None:
        raise UsageError("Sign in again: your session has ended.")
    tenant_id = user.require(store(), tenant)
    if user.role not in ACTING_ROLES:
        raise UsageError(
            f"Your role ({user.role}) may read conversations but not act on them; ask a manager."
        )
    conversation_id = (chosen or {}).get("conversation_id")
    if not isinstance(conversation_id, str) or (chosen or {}).get("tenant_id") != tenant_id:
        raise UsageError("Select a conversation in the table first.")
    agent = application().agent
    conversation = agent.conversation(tenant_id, conversation_id)
    name = conversation.get("display_name") or conversation["contact_e164"]
    if action == "take_over":
        agent.hand_over(
            tenant_id, conversation_id, to=handling.HUMAN, user=user.username, actor="dashboard"
        )
        return message(
            f"You handle the conversation with {name} now; Persona 2 will not answer it.", "ok"
        )
    if action == "hand_back":
        agent.hand_over(
            tenant_id, conversation_id, to=handling.AGENT, user=user.username, actor="dashboard"
        )
        return message(f"Persona 2 handles the conversation with {name} again.", "ok")
    if action == "suggest":
        drafted = agent.suggest_reply(tenant_id, conversation_id, actor=user.username)
        return message(f"New draft for {name} (confidence {drafted['confidence']:.2f}).", "ok")
    return _send(user, tenant_id, conversation, chosen or {}, reply_text)


def _send(
    user: User, tenant_id: str, conversation: Record, chosen: dict[str, Any], reply_text: str | None
) -> html.Div:
    conversation_id = conversation["conversation_id"]
    draft_id = chosen.get("draft_id")
    audit = handling.actions(store(), tenant_id, conversation_id)
    draft = next(
        (a for a in audit if a["action_id"] == draft_id and a["action"] in DRAFT_ACTIONS), None
    )
    if not isinstance(draft_id, str) or draft is None:
        raise UsageError(
            "This conversation has no draft of Persona 2 to approve; press “Suggest a new draft”."
        )
    if (draft.get("details") or {}).get("decision") == "send":
        raise UsageError(
            "Persona 2 already sent this draft by itself; suggest a new draft to answer again."
        )
    if not (reply_text or "").strip():
        raise UsageError("The reply is empty; write it or suggest a new draft.")
    done = application().agent.execute(
        tenant_id, conversation_id, action="send_reply", client_request_id=approval_id(draft_id),
        reply_text=reply_text, actor=user.username,
    )  # fmt: skip
    name = conversation.get("display_name") or conversation["contact_e164"]
    said = ("This draft was approved and queued before; it is not sent again." if done.get("status") == "idempotent"
            else f"Reply to {name} approved and queued for sending.")  # fmt: skip
    if application().outbound_off_for(tenant_id):
        said += " Outbound delivery is off for this tenant, so it stays queued."
    if conversation.get("handler") == handling.WAITING:
        said += " The conversation still waits for a human: hand it back or take it over."
    return message(said, "ok")


def _draft_panel(draft: dict[str, Any] | None) -> html.Div:
    if draft is None:
        return html.Div(
            html.P("Persona 2 has no draft for this conversation yet."),
            id="conversations-draft-info",
        )
    confidence = "?" if draft["confidence"] is None else f"{draft['confidence']:.2f}"
    parts = [f"Persona 2's latest draft, {draft['at']} ({draft['action'].replace('_', ' ')})",
             f"confidence {confidence}", _stage(draft)]  # fmt: skip
    if draft["reason_code"]:
        parts.append(f"waiting because {REASONS.get(draft['reason_code'], draft['reason_code'])}")
    if draft["sent"]:
        parts.append(f"sent ({draft['sent']})")
    return html.Div([
        html.P(" · ".join(parts), id="conversations-draft-summary"),
        dcc.Link("Trace of this reading", href=f"/traces?correlation={draft['correlation_id']}",
                 id="conversations-trace-link"),
    ], id="conversations-draft-info")  # fmt: skip


def _stage(draft: dict[str, Any]) -> str:
    if draft["suggested_stage"] is None:
        return "no stage suggested (no lead)"
    if draft["suggested_stage"] == draft["from_stage"]:
        return f"suggested stage: stay in {draft['suggested_stage']}"
    return f"suggested stage {draft['suggested_stage']} (from {draft['from_stage'] or '?'})"


def _disabled(
    user: User, conversation: Record | None, draft: dict[str, Any] | None = None
) -> tuple[bool, ...]:
    """Whether each button (send, take over, hand back, suggest) is disabled."""
    if user.role not in ACTING_ROLES or conversation is None:
        return True, True, True, True
    handler = conversation.get("handler") or handling.AGENT
    return (
        draft is None or draft["sent"] is not None,
        handler == handling.HUMAN,
        handler == handling.AGENT,
        False,
    )


def _reason(handled: str) -> str:
    code = handled.split(": ", 1)[-1]
    return REASONS.get(code, code)


def _when(value: Any) -> str:
    """A time (or an ISO timestamp) in the viewer's zone (``2026-12-01 05:16 -03``); any other
    text as it came."""
    if isinstance(value, str):
        try:
            value = parse_timestamp(value)
        except ValueError:
            return str(value)
    return formats.when(value, viewer_zone()) if isinstance(value, datetime) else str(value or "")


def register(app: Dash) -> None:
    app.callback(
        Output("conversations-content", "children"), Output("conversations-table", "rowData"),
        *filter_inputs(), Input("conversations-refresh", "data"),
    )(guarded([])(lambda *values: render(current_user(), *values)))  # fmt: skip

    @app.callback(
        Output("conversations-detail", "children"), Output("conversations-draft", "value"),
        Output("conversations-selected", "data"),
        *[Output(button_id, "disabled") for button_id in BUTTONS],
        Input("filter-tenant", "value"), Input("conversations-table", "selectedRows"),
        Input("conversations-refresh", "data"), State("conversations-selected", "data"),
    )  # fmt: skip
    @guarded(no_update, None, True, True, True, True)
    def show(tenant: Any, selected: Any, _refresh: Any, kept: Any) -> Any:
        return detail(current_user(), tenant, selected, kept, trigger=ctx.triggered_id)

    @app.callback(
        Output("conversations-message", "children"), Output("conversations-refresh", "data"),
        *[Input(button_id, "n_clicks") for button_id in BUTTONS],
        State("filter-tenant", "value"), State("conversations-selected", "data"),
        State("conversations-draft", "value"), State("conversations-refresh", "data"),
        prevent_initial_call=True,
    )  # fmt: skip
    @guarded(no_update)
    def press(*values: Any) -> Any:
        tenant, chosen, reply_text, count = values[len(BUTTONS) :]
        shown = act(current_user(), tenant, chosen, reply_text, trigger=ctx.triggered_id)
        return shown, (count or 0) + 1
