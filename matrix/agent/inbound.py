"""Persona 2 reading inbound messages by itself: the scheduler's ``crm_ai`` job.

Each inbound message is filed for Persona 2 in the webhook's transaction
(:func:`matrix.modules.crm.handling.file_for_agent`); the job claims due items and, per
conversation, reads only the latest of a burst. For a conversation Persona 2 handles, with the
tenant's Persona 2 on:

1. it drafts a reply and, when the conversation has a lead, suggests a stage;
2. it **sends** the draft (through the outbound queue) only when the tenant lets it answer by
   itself (``whatsapp_ai_mode=assist_execute``, ``auto_reply_enabled`` and ``auto_reply_use_ai``),
   no handoff rule matched (a contact asking for a person, abuse, a complaint), the model did not
   fail, the guard passed the draft, the offline rules understood the message (not their fallback,
   not off-topic) and its confidence reaches the tenant's minimum; otherwise it **hands the
   conversation to a human** with the reason, and the draft waits in the audit for a manager to
   approve and send it;
3. in ``assist_execute`` it moves the lead to the suggested stage when the suggestion holds above
   the minimum and no handoff rule matched.

With Persona 2 off, ``auto_reply_enabled`` without ``auto_reply_use_ai`` sends the tenant's static
acknowledgement once, to a contact the business has not yet answered.

Exactly once, whatever crashes: the reading's audit row is keyed ``auto:<message>``, the reply's
outbound item and the stage move are keyed by the message too, and all of them commit in one
transaction with the item's completion. A process that dies after the model answered and before
that commit leaves the item claimed; it is read again after the claim times out (the model is
asked again, the effects happen once).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from matrix.agent import context, drafts, rules
from matrix.agent.service import WhatsAppAgent
from matrix.errors import MatrixError, ProviderError
from matrix.modules.context import Work
from matrix.modules.crm import conversations, handling
from matrix.modules.ports import Record

BATCH = 20


def run_due(
    agent: WhatsAppAgent, *, limit: int = BATCH, tenants: Collection[str] | None = None
) -> int:
    """Read the due inbound messages (at most ``limit``); returns how many were read."""
    store, now = agent.store, agent.clock.now()
    done = 0
    for item in handling.due_items(store, now, limit=limit, tenants=tenants):
        if not handling.claim(store, item, now):
            continue  # another process took it
        claimed = {**item, "status": "working", "updated_at": now}
        if item["attempts"] >= handling.MAX_ATTEMPTS:  # claimed and never closed, again and again
            handling.finish(
                store, claimed, "failed", f"gave up after {item['attempts']} attempts", now
            )
            continue
        try:
            status, outcome = handle(agent, claimed)
        except MatrixError as exc:
            status, outcome = "failed", f"{type(exc).__name__}: {exc}"
        if status == "failed":
            handling.finish(store, claimed, status, outcome, agent.clock.now())
        done += 1
    return done


def handle(agent: WhatsAppAgent, item: Record) -> tuple[str, str]:
    """Read one inbound message; returns the item's status and outcome (already stored unless
    the status is ``failed``)."""
    store, tenant_id = agent.store, item["tenant_id"]
    conversation = conversations.find(store, tenant_id, item["conversation_id"])

    def close(status: str, outcome: str) -> tuple[str, str]:
        handling.finish(store, item, status, outcome, agent.clock.now())
        return status, outcome

    if conversation is None:
        return close("skipped", "conversation_gone")
    if handling.newer_inbound(store, item):
        return close("skipped", "superseded_by_a_later_message")
    policy = agent.policy(tenant_id)
    work = Work(tenant_id=tenant_id, clock=agent.clock, correlation_id=item["correlation_id"],
                trace_id=item["trace_id"])  # fmt: skip
    if not policy.enabled:
        return close("skipped", _static_ack(agent, work, conversation, item, policy.auto_reply,
                                            policy.auto_reply_text))  # fmt: skip
    handler = conversation.get("handler") or handling.AGENT
    if handler == handling.HUMAN:
        return close("skipped", f"handled_by:{conversation.get('handler_user') or 'a person'}")
    pack = context.pack(store, tenant_id, conversation)
    handoff = rules.handoff(pack.messages, policy.handoff_rules)
    reader = agent.reader(tenant_id, policy, work.correlation_id)
    try:
        try:
            draft = reader.draft(pack, drafts.DEFAULT_TONE, policy.prompt, policy.style)
        except ProviderError as exc:  # a strict tenant's model failed: a person answers
            draft = reader.draft_offline(pack, drafts.DEFAULT_TONE, f"provider_error:{exc.code}")
            reader.strict = False  # the qualification falls back to the rules
        found = reader.qualify(pack, policy.min_confidence, policy.required_fields) if pack.lead else None
    finally:
        agent.record_calls(reader)
    answers = policy.mode == "assist_execute" and policy.auto_reply and policy.auto_reply_ai
    reason = (
        handoff.reason_code if handoff
        else "suggest_only" if policy.mode != "assist_execute"
        else "review_required" if not answers
        else "provider_error" if (draft.guard_reason_code or "").startswith("provider_error")
        else "draft_blocked" if draft.guard_reason_code
        else "not_understood" if not draft.understood
        else "low_confidence" if draft.confidence < policy.min_confidence
        else None
    )  # fmt: skip
    if handler == handling.WAITING:
        reason = reason or "waiting_for_human"
    decision = "send" if reason is None else "handoff"
    key, message_id = f"auto:{item['message_row_id']}", item["message_row_id"]
    with store.transaction():
        row = handling.record(
            store, work, conversation, action="auto_handle", status="ok", actor="crm_ai", request_key=key,
            reason_code=reason, confidence=draft.confidence, draft=draft.text, provider=draft.provider,
            model=draft.model, suggested_stage=found.suggestion.suggested_stage if found else None,
            details={"decision": decision, "handoff_rule": handoff.rule_id if handoff else None,
                     "guard_reason_code": draft.guard_reason_code, "reasoning_summary": draft.reasoning_summary,
                     "qualification": _qualification(found), "message_row_id": message_id},
        )  # fmt: skip
        if row is None:  # read before, by a process that died before closing the item
            return close("done", "already_read")
        agent.record_suggestion(work, conversation, pack, draft, drafts.DEFAULT_TONE, "crm_ai")
        if found is not None:
            agent.record_qualification(work, conversation, pack, found, "crm_ai")
        if decision == "send":
            agent.send_automatic(work, conversation, message_id, draft.text)
        elif handler != handling.WAITING:
            handling.hand_over(
                store, work, conversation, to=handling.WAITING, reason_code=reason, actor="crm_ai"
            )
        moves = (found is not None and handoff is None and handler == handling.AGENT
                 and policy.mode == "assist_execute" and not found.held_below_threshold
                 and found.suggestion.suggested_stage != found.suggestion.current_stage)  # fmt: skip
        if moves and found is not None:
            agent.move_automatic(work, conversation, message_id, found.suggestion.suggested_stage)
        return close("done", decision if reason is None else f"{decision}:{reason}")


def _qualification(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    s = found.suggestion
    return {"current_stage": s.current_stage, "suggested_stage": s.suggested_stage,
            "confidence": found.raw_confidence, "held_below_threshold": found.held_below_threshold,
            "source": found.source, "reason": s.reason}  # fmt: skip


def _static_ack(
    agent: WhatsAppAgent, work: Work, conversation: Record, item: Record, enabled: bool, text: str
) -> str:
    """The static acknowledgement, once, to a contact the business has not answered yet."""
    if not enabled or not text.strip():
        return "crm_ai_disabled"
    answered = agent.store.modules.messages.find(
        work.tenant_id,
        conversation_id=conversation["conversation_id"],
        direction="outbound",
        limit=1,
    )
    if answered:
        return "crm_ai_disabled:already_answered"
    conversations.reply(agent.store, work, conversation, text=text,
                        request_id=f"ack:{item['message_row_id']}")  # fmt: skip
    return "static_acknowledgement_queued"
