"""Persona 2's actions on a conversation: suggest a reply, qualify the lead, execute (origin §e.4,
§g 55–57), and hand a conversation to a human or take it back.

The tenant's runtime config decides: ``execution.whatsapp_ai_enabled`` (off: every action is
refused, 403 ``crm_ai_disabled``), ``execution.whatsapp_ai_mode`` (``suggest_only``: suggestions
only, an execution is refused 409 ``crm_ai_execute_blocked``; ``assist_execute``: executions
too), ``execution.whatsapp_ai_min_confidence`` (below it a suggested stage keeps the current one)
and ``personas.whatsapp_agent_prompt`` (who the drafts speak for).

An execution is idempotent by its client request id **in the store**: the first execution stores
its result under ``(conversation, action, client_request_id)`` in the same transaction as its
effect (the queued reply, the moved lead), and a repeated request — after a restart, from
another process — gets that result with ``status: "idempotent"``. A reply goes through the
outbound queue, so it is sent once, like every message. Every attempt, blocked or refused too,
is a row of the audit (``crm_ai_actions``) and a ``crm.ai.*`` event.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.agent import context, drafts, rules
from matrix.agent.context import ThreadPack
from matrix.agent.models import Draft, Models, Qualification, Reader
from matrix.clock import Clock
from matrix.concierge.ports import TenantAI
from matrix.concierge.tenant import TenantRuntimes
from matrix.errors import ConflictError, ForbiddenError, NotFoundError, UsageError
from matrix.modules.context import Work
from matrix.modules.crm import conversations, funnel, handling, leads
from matrix.modules.crm.inbox import InboxStore
from matrix.modules.ports import Record

ACTIONS = ("send_reply", "update_stage")
ACTOR = "crm_ai"
AI_REASON_CODE = "ai_stage_update"


class ActionRefused(UsageError):
    """An execution whose input cannot work; ``code`` is the origin's (``missing_reply_text``,
    ``missing_to_stage``). Nothing was changed. A move the funnel refuses is a
    :class:`~matrix.modules.crm.leads.TransitionError` (``transition_error``)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class TelemetrySink(Protocol):
    def insert_many(self, rows: list[dict[str, Any]]) -> int: ...


class AgentStore(InboxStore, Protocol):
    @property
    def telemetry(self) -> TelemetrySink: ...


@dataclass(frozen=True, kw_only=True)
class AgentPolicy:
    """What a tenant lets Persona 2 do."""

    enabled: bool
    mode: str
    min_confidence: float
    prompt: str
    auto_reply: bool
    """``integrations.crm_evolution.auto_reply_enabled``: answer inbound messages without a human."""
    auto_reply_ai: bool
    """``auto_reply_use_ai``: the automatic answer is Persona 2's draft (else the static text)."""
    auto_reply_text: str
    ai: TenantAI = field(default_factory=TenantAI, repr=False)
    """The tenant's AI settings, read with the rest: which model reads its threads."""
    style: drafts.Style = field(default_factory=drafts.Style)
    """How replies are written (``agent.*``, ``privacy.pii_redaction``)."""
    handoff_codes: tuple[str, ...] | None = None
    """The handoff rules in force (``agent.handoff_codes``; None: every one)."""
    required_fields: tuple[str, ...] = ()
    """What a lead needs before Persona 2 calls it qualified (``agent.required_fields``)."""

    @property
    def handoff_rules(self) -> rules.RuleSet:
        """The offline rules with only the tenant's handoff rules in force."""
        return handoff_rules(self.handoff_codes)

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "mode": self.mode, "min_confidence": self.min_confidence}


class WhatsAppAgent:
    """Persona 2 over one store: its actions, and the reading of inbound messages (see
    :mod:`matrix.agent.inbound`)."""

    def __init__(
        self, store: AgentStore, runtimes: TenantRuntimes, models: Models, clock: Clock
    ) -> None:
        self.store = store
        self.runtimes = runtimes
        self.models = models
        self.clock = clock

    # -- reading -------------------------------------------------------------------------

    def policy(self, tenant_id: str) -> AgentPolicy:
        """The tenant's Persona 2 settings. Raises NotFoundError for an unknown tenant."""
        runtime = self.runtimes.resolve(tenant_id)
        config = runtime.config
        execution, evolution = config["execution"], config["integrations"]["crm_evolution"]
        agent = config["agent"]
        style = drafts.Style(max_chars=agent["max_message_chars"], emoji=agent["emoji_policy"],
                             cta=agent["cta_enabled"], redact=bool(config["privacy"]["pii_redaction"]))  # fmt: skip
        codes = agent["handoff_codes"]
        return AgentPolicy(
            style=style, handoff_codes=tuple(codes) if codes is not None else None,
            required_fields=tuple(agent["required_fields"] or ()),
            enabled=execution["whatsapp_ai_enabled"] is not False, mode=execution["whatsapp_ai_mode"],
            min_confidence=float(execution["whatsapp_ai_min_confidence"]),
            prompt=config["personas"]["whatsapp_agent_prompt"] or "",
            auto_reply=bool(evolution["auto_reply_enabled"]), auto_reply_ai=bool(evolution["auto_reply_use_ai"]),
            auto_reply_text=evolution["auto_reply_text"] or "", ai=runtime.ai,
        )  # fmt: skip

    def reader(self, tenant_id: str, policy: AgentPolicy, correlation_id: str) -> Reader:
        """What reads the tenant's threads: its model (per ``policy.ai``), or the offline rules."""
        model, strict = self.models(policy.ai)
        return Reader(tenant_id=tenant_id, model=model, strict=strict, model_name=getattr(model, "model", None),
                      correlation_id=correlation_id, clock=self.clock)  # fmt: skip

    def conversation(self, tenant_id: str, conversation_id: str) -> Record:
        """Raises NotFoundError ``conversation_not_found``."""
        found = conversations.find(self.store, tenant_id, conversation_id)
        if found is None:
            raise NotFoundError(f"No conversation {conversation_id!r} for tenant {tenant_id!r}.",
                                code="conversation_not_found")  # fmt: skip
        return found

    # -- the three actions -------------------------------------------------------------------

    def suggest_reply(
        self, tenant_id: str, conversation_id: str, *, tone: str = drafts.DEFAULT_TONE,
        request_id: str | None = None, correlation_id: str | None = None, actor: str = "api",
    ) -> dict[str, Any]:  # fmt: skip
        """A drafted reply with its confidence and reasoning (route 55). Nothing is sent.

        Raises:
            NotFoundError: ``conversation_not_found``.
            ForbiddenError: ``crm_ai_disabled``.
            ProviderError: a strict tenant's model failed (the API answers 502 ``ai_provider_error``).
        """
        if tone not in drafts.TONES:
            raise UsageError(f"tone must be one of {list(drafts.TONES)}, got {tone!r}.")
        work, conversation, policy = self._begin(
            tenant_id, conversation_id, correlation_id, "suggest_reply"
        )
        pack = context.pack(self.store, tenant_id, conversation)
        reader = self.reader(tenant_id, policy, work.correlation_id)
        try:
            draft = reader.draft(pack, tone, policy.prompt, policy.style)
        finally:
            self.record_calls(reader)
        with self.store.transaction():
            self.record_suggestion(work, conversation, pack, draft, tone, actor)
        return {
            "request_id": request_id or env.new_id(), "status": "ok", "conversation_id": conversation_id,
            "draft_reply": draft.text, "confidence": round(draft.confidence, 4),
            "reasoning_summary": draft.reasoning_summary, "source": draft.source,
            "guard": {"blocked": draft.guard_reason_code is not None, "reason_code": draft.guard_reason_code},
            "policy": policy.as_dict(), "provider": {"name": draft.provider, "model": draft.model},
            "correlation_id": work.correlation_id, "trace_id": work.trace_id,
        }  # fmt: skip

    def qualify(
        self, tenant_id: str, conversation_id: str, *, request_id: str | None = None,
        correlation_id: str | None = None, actor: str = "api",
    ) -> dict[str, Any]:  # fmt: skip
        """A suggested funnel stage for the conversation's lead (route 56). Nothing is moved.

        Raises:
            NotFoundError: ``conversation_not_found``, ``lead_not_found_for_conversation``.
            ForbiddenError: ``crm_ai_disabled``.
        """
        work, conversation, policy = self._begin(
            tenant_id, conversation_id, correlation_id, "qualify"
        )
        pack = self._pack_with_lead(tenant_id, conversation)
        reader = self.reader(tenant_id, policy, work.correlation_id)
        try:
            found = reader.qualify(pack, policy.min_confidence, policy.required_fields)
        finally:
            self.record_calls(reader)
        with self.store.transaction():
            self.record_qualification(work, conversation, pack, found, actor)
        return {
            "request_id": request_id or env.new_id(), "status": "ok", **qualification_fields(found),
            "conversation_id": conversation_id, "lead_id": pack.lead["lead_id"] if pack.lead else None,
            "policy": policy.as_dict(), "provider": {"name": found.provider, "model": found.model},
            "correlation_id": work.correlation_id, "trace_id": work.trace_id,
        }  # fmt: skip

    def execute(
        self, tenant_id: str, conversation_id: str, *, action: str, client_request_id: str,
        reply_text: str | None = None, to_stage: str | None = None, trigger: str | None = None,
        reason_code: str | None = None, request_id: str | None = None,
        correlation_id: str | None = None, actor: str = "api",
    ) -> dict[str, Any]:  # fmt: skip
        """Queue a reply or move the lead (route 57), once per ``client_request_id``.

        Raises:
            NotFoundError: ``conversation_not_found``, ``lead_not_found_for_conversation``.
            ForbiddenError: ``crm_ai_disabled``.
            ConflictError: ``crm_ai_execute_blocked`` (the tenant's mode is ``suggest_only``).
            UsageError: ``missing_reply_text``, ``missing_to_stage``, ``transition_error``, an
                unknown action or a bad client request id.
        """
        if action not in ACTIONS:
            raise UsageError(f"action must be one of {list(ACTIONS)}, got {action!r}.")
        if not isinstance(client_request_id, str) or not 4 <= len(client_request_id.strip()) <= 120:
            raise UsageError("client_request_id (--request-id) must be 4 to 120 characters: the id that makes"
                             " a retry safe.")  # fmt: skip
        work, conversation, policy = self._begin(tenant_id, conversation_id, correlation_id, action,
                                                 client_request_id=client_request_id)  # fmt: skip
        key = f"execute:{conversation_id}:{action}:{client_request_id}"
        if (earlier := handling.stored_request(self.store, tenant_id, key)) is not None:
            return {**earlier["details"]["response"], "status": "idempotent"}
        if policy.mode != "assist_execute":
            self._block(
                work, conversation, action, "crm_ai_execute_blocked", client_request_id, actor
            )
            raise ConflictError(
                f"Persona 2 only suggests for tenant {tenant_id!r} (whatsapp_ai_mode is {policy.mode});"
                " set execution.whatsapp_ai_mode=assist_execute to let it act.", code="crm_ai_execute_blocked")  # fmt: skip
        response = self._base(work, conversation, action, request_id)
        if action == "send_reply":
            return self._send(
                work, conversation, key, client_request_id, reply_text, response, actor
            )
        return self._move(work, conversation, key, client_request_id, response, actor,
                          to_stage=to_stage, trigger=trigger, reason_code=reason_code)  # fmt: skip

    def hand_over(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        to: str,
        user: str | None = None,
        actor: str = "api",
    ) -> Record:
        """A person takes the conversation over (``human`` with ``user``), or hands it back
        (``agent``). Returns the conversation."""
        conversation = self.conversation(tenant_id, conversation_id)
        if to not in (handling.AGENT, handling.HUMAN):
            raise UsageError(
                f"to must be {handling.HUMAN!r} (take over) or {handling.AGENT!r} (hand back), got {to!r}."
            )
        work = Work.new(tenant_id, self.clock)
        return handling.hand_over(
            self.store, work, conversation, to=to, user=user, actor=user or actor
        )

    # -- parts ---------------------------------------------------------------------------------

    def _begin(
        self, tenant_id: str, conversation_id: str, correlation_id: str | None, action: str,
        client_request_id: str | None = None,
    ) -> tuple[Work, Record, AgentPolicy]:  # fmt: skip
        policy = self.policy(tenant_id)
        conversation = self.conversation(tenant_id, conversation_id)
        work = Work(tenant_id=tenant_id, clock=self.clock, correlation_id=correlation_id or env.new_id(),
                    trace_id=env.new_id())  # fmt: skip
        if not policy.enabled:
            self._block(work, conversation, action, "crm_ai_disabled", client_request_id, "api")
            raise ForbiddenError(
                f"Persona 2 is off for tenant {tenant_id!r}; set execution.whatsapp_ai_enabled=true to use it.",
                code="crm_ai_disabled")  # fmt: skip
        return work, conversation, policy

    def _pack_with_lead(self, tenant_id: str, conversation: Record) -> ThreadPack:
        pack = context.pack(self.store, tenant_id, conversation)
        if pack.lead is None:
            raise NotFoundError(f"Conversation {conversation['conversation_id']!r} has no lead to qualify.",
                                code="lead_not_found_for_conversation")  # fmt: skip
        return pack

    def record_suggestion(
        self,
        work: Work,
        conversation: Record,
        pack: ThreadPack,
        draft: Draft,
        tone: str,
        actor: str,
    ) -> None:
        """Audit a drafted reply and emit ``crm.ai.reply.suggested``."""
        handling.record(self.store, work, conversation, action="suggest_reply",
                        status="blocked" if draft.guard_reason_code else "ok", actor=actor,
                        reason_code=draft.guard_reason_code, confidence=draft.confidence, draft=draft.text,
                        provider=draft.provider, model=draft.model,
                        details={"tone": tone, "source": draft.source, "reasoning_summary": draft.reasoning_summary,
                                 "guard_found": list(draft.guard_found)})  # fmt: skip
        self._emit(work, "crm.ai.reply.suggested", {
            "conversation_id": conversation["conversation_id"], "lead_id": pack.lead["lead_id"] if pack.lead else None,
            "tone": tone, "source": draft.source, "confidence": draft.confidence,
            "provider": draft.provider, "model": draft.model, "draft_chars": len(draft.text),
            "guard_reason_code": draft.guard_reason_code})  # fmt: skip

    def send_automatic(
        self, work: Work, conversation: Record, message_row_id: str, text: str
    ) -> dict[str, Any]:
        """Queue Persona 2's own answer to an inbound message (once per message)."""
        request = f"auto-{message_row_id}"
        return self._send(work, conversation, f"auto:send:{message_row_id}", request, text,
                          self._base(work, conversation, "send_reply"), ACTOR, automatic=True)  # fmt: skip

    def move_automatic(
        self, work: Work, conversation: Record, message_row_id: str, stage: str
    ) -> None:
        """Move the lead to the stage Persona 2 suggested on an inbound message (once per message);
        a move the funnel refuses now (the lead moved meanwhile) is audited and skipped."""
        request = f"auto-{message_row_id}"
        with contextlib.suppress(ActionRefused, leads.TransitionError):
            self._move(work, conversation, f"auto:stage:{message_row_id}", request,
                       self._base(work, conversation, "update_stage"), ACTOR, to_stage=stage, trigger=None,
                       reason_code=None, automatic=True)  # fmt: skip

    def record_calls(self, reader: Reader) -> None:
        """Write the telemetry rows of the reader's model calls."""
        if reader.calls:
            self.store.telemetry.insert_many(reader.calls)
            reader.calls.clear()

    def _base(
        self, work: Work, conversation: Record, action: str, request_id: str | None = None
    ) -> dict[str, Any]:
        return {"request_id": request_id or env.new_id(), "status": "ok", "executed_action": action,
                "conversation_id": conversation["conversation_id"], "correlation_id": work.correlation_id,
                "trace_id": work.trace_id}  # fmt: skip

    def record_qualification(
        self, work: Work, conversation: Record, pack: ThreadPack, found: Qualification, actor: str
    ) -> None:
        s = found.suggestion
        status = (
            "refused" if found.refused_stage else "held" if found.held_below_threshold else "ok"
        )
        handling.record(self.store, work, conversation, action="qualify", status=status, actor=actor,
                        lead_id=pack.lead["lead_id"] if pack.lead else None,
                        reason_code="stage_not_allowed" if found.refused_stage else None,
                        confidence=found.raw_confidence, suggested_stage=s.suggested_stage,
                        provider=found.provider, model=found.model,
                        details={**qualification_fields(found), "rule_id": s.rule_id, "intent": s.intent})  # fmt: skip
        self._emit(work, "crm.ai.lead.qualified", {
            "conversation_id": conversation["conversation_id"], "lead_id": pack.lead["lead_id"] if pack.lead else None,
            "current_stage": s.current_stage, "suggested_stage": s.suggested_stage,
            "confidence": min(1.0, max(0.0, found.raw_confidence)), "source": found.source,
            "held_below_threshold": found.held_below_threshold, "refused_stage": found.refused_stage})  # fmt: skip

    def _send(
        self, work: Work, conversation: Record, key: str, client_request_id: str, text: str | None,
        response: dict[str, Any], actor: str, *, automatic: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        if not isinstance(text, str) or not text.strip():
            raise ActionRefused(
                "send_reply needs reply_text: the message to send.", code="missing_reply_text"
            )
        with self.store.transaction():
            row = handling.record(self.store, work, conversation, action="send_reply", status="ok", actor=actor,
                                  request_key=key, client_request_id=client_request_id, draft=text)  # fmt: skip
            if row is None:  # a concurrent request with this id committed first
                return self._idempotent(work.tenant_id, key)
            message, item, _ = conversations.reply(self.store, work, conversation, text=text,
                                                   request_id=f"ai:{client_request_id}")  # fmt: skip
            response = {**response, "provider_result": {"status": item["status"],
                                                         "provider_message_id": item["provider_message_id"]},
                        "message": message}  # fmt: skip
            response = self._store_response(work.tenant_id, row, response)
            self._emit(work, "crm.ai.action.executed", {
                "conversation_id": conversation["conversation_id"], "action": "send_reply",
                "client_request_id": client_request_id, "lead_id": conversation.get("lead_id"),
                "to_stage": None, "outbound_message_id": item["message_id"], "automatic": automatic})  # fmt: skip
        return response

    def _move(
        self, work: Work, conversation: Record, key: str, client_request_id: str, response: dict[str, Any],
        actor: str, *, to_stage: str | None, trigger: str | None, reason_code: str | None,
        automatic: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        if not to_stage:
            raise ActionRefused("update_stage needs to_stage: the funnel stage to move the lead to.",
                             code="missing_to_stage")  # fmt: skip
        lead = context.linked_lead(self.store, work.tenant_id, conversation)
        if lead is None:
            raise NotFoundError(f"Conversation {conversation['conversation_id']!r} has no lead to move.",
                                code="lead_not_found_for_conversation")  # fmt: skip
        rule = funnel.FUNNEL.get((lead["stage"], to_stage))
        trigger = trigger or (rule[0] if rule else None)
        reason_code = reason_code or (AI_REASON_CODE if rule and rule[1] else None)
        verdict = funnel.check_lead(lead["stage"], to_stage, trigger, reason_code)
        if not verdict.ok:  # checked before the transaction: a refusal must not doom it
            self._block(
                work, conversation, "update_stage", str(verdict.code), client_request_id, actor
            )
            targets = ", ".join(funnel.lead_targets(lead["stage"])) or "none (the stage is final)"
            # A business refusal (exit 1 on the command line); the API answers it 400 transition_error.
            raise leads.TransitionError(f"{verdict.message('lead', lead['stage'], to_stage)} From {lead['stage']}"
                                        f" it may move to: {targets}.", code="transition_error",
                                        expected_trigger=verdict.expected_trigger)  # fmt: skip
        metadata = {**(lead.get("metadata") or {}), "ai": {"client_request_id": client_request_id,
                                                           "conversation_id": conversation["conversation_id"],
                                                           "automatic": automatic}}  # fmt: skip
        with self.store.transaction():
            row = handling.record(self.store, work, conversation, action="update_stage", status="ok", actor=actor,
                                  lead_id=lead["lead_id"], request_key=key, client_request_id=client_request_id,
                                  suggested_stage=to_stage)  # fmt: skip
            if row is None:
                return self._idempotent(work.tenant_id, key)
            moved, status, _ = leads.change_stage(self.store, work, lead["lead_id"], to_stage=to_stage,
                                                  trigger=trigger, reason_code=reason_code, actor=ACTOR,
                                                  metadata=metadata)  # fmt: skip
            response = {**response, "lead_result": {"status": status, "lead_id": lead["lead_id"],
                                                     "from_stage": lead["stage"], "to_stage": moved["stage"],
                                                     "trigger": trigger, "reason_code": reason_code}}  # fmt: skip
            response = self._store_response(work.tenant_id, row, response)
            self._emit(work, "crm.ai.action.executed", {
                "conversation_id": conversation["conversation_id"], "action": "update_stage",
                "client_request_id": client_request_id, "lead_id": lead["lead_id"], "to_stage": to_stage,
                "outbound_message_id": None, "automatic": automatic})  # fmt: skip
        return response

    def _idempotent(self, tenant_id: str, key: str) -> dict[str, Any]:
        earlier = handling.stored_request(self.store, tenant_id, key)
        assert earlier is not None
        return {**earlier["details"]["response"], "status": "idempotent"}

    def _store_response(
        self, tenant_id: str, row: Record, response: dict[str, Any]
    ) -> dict[str, Any]:
        """Store an execution's response on its audit row; returns it as stored (times as text),
        which is what a repeated request gets."""
        stored: dict[str, Any] = _plain(response)
        self.store.modules.ai_actions.update(
            tenant_id, row["action_id"], {"details": {"response": stored}}
        )
        return stored

    def _block(
        self, work: Work, conversation: Record, action: str, reason_code: str,
        client_request_id: str | None, actor: str,
    ) -> None:  # fmt: skip
        with self.store.transaction():
            handling.record(self.store, work, conversation, action=action, status="blocked", actor=actor,
                            reason_code=reason_code, client_request_id=client_request_id)  # fmt: skip
            self._emit(work, "crm.ai.action.blocked", {
                "conversation_id": conversation["conversation_id"], "action": action,
                "reason_code": reason_code, "client_request_id": client_request_id})  # fmt: skip

    def _emit(self, work: Work, name: str, payload: dict[str, Any]) -> None:
        self.store.events.append_many(
            [work.event(name, env.CRM, env.OWNER, payload, status="info")]
        )


@functools.cache
def handoff_rules(codes: tuple[str, ...] | None) -> rules.RuleSet:
    """The shipped offline rules keeping the handoff rules of ``codes`` (None: all of them)."""
    shipped = rules.shipped()
    if codes is None:
        return shipped
    return replace(shipped, handoffs=tuple(h for h in shipped.handoffs if h.reason_code in codes))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return env.timestamp(value)
    return value


def qualification_fields(found: Qualification) -> dict[str, Any]:
    """The origin's fields of a qualification."""
    s = found.suggestion
    rule = funnel.FUNNEL.get((s.current_stage, s.suggested_stage))
    return {"current_stage": s.current_stage, "suggested_stage": s.suggested_stage,
            "confidence": round(found.raw_confidence, 4), "reason": s.reason,
            "required_trigger": rule[0] if rule and not found.held_below_threshold else None,
            "held_below_threshold": found.held_below_threshold, "refused_stage": found.refused_stage,
            "source": found.source}  # fmt: skip
