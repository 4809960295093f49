"""Persona 2's two readings of a thread — a drafted reply and a suggested stage — from the
tenant's AI model when it has one, else (or when the model fails in a mode that falls back) from
the offline rules.

Both ask the model for structured output (a strict JSON Schema) through the same structured call
the owner's intent classifier uses, and check what comes back: a draft that states a fact the
thread does not give is replaced by the offline draft (the guard's reason is kept); a stage that
the funnel does not allow from the lead's stage is refused and the rules' suggestion stands.

Confidence is measured, not invented: a draft's is the calibrated confidence of the offline
rules' reading of the latest inbound message (how sure the reading of what the contact wants is,
as measured on the labelled corpus); a model's stage suggestion carries the confidence the model
states, and the tenant's minimum applies to it as to the rules'.

Every model call is a ``provider_call`` telemetry row of feature ``crm_ai``, so Persona 2's cost
and error rate appear beside Persona 1's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from matrix import envelopes as env
from matrix.agent import drafts, guard, rules
from matrix.agent.context import ThreadPack
from matrix.clock import Clock
from matrix.concierge.ports import IntentClassifier, IntentOutput, IntentRequest, TenantAI
from matrix.errors import ProviderError
from matrix.modules.crm import funnel

Models = Callable[[TenantAI], tuple[IntentClassifier | None, bool]]
"""The structured model that serves a tenant (None: offline), and whether its failure surfaces
(strict: the tenant's own key) instead of falling back to the offline rules."""

FEATURE = "crm_ai"


@dataclass(frozen=True, kw_only=True)
class Draft:
    text: str
    reasoning_summary: str
    confidence: float
    source: str
    """``provider`` (the model's draft) or ``rules`` (the offline draft)."""
    provider: str
    model: str | None
    guard_reason_code: str | None = None
    """Why the model's draft was not used: the guard's reason, or ``provider_error:<code>``."""
    guard_found: tuple[str, ...] = ()
    understood: bool = True
    """Whether the offline rules understood what the contact wants (not the fallback, not
    off-topic); Persona 2 answers by itself only what it understood."""


@dataclass(frozen=True, kw_only=True)
class Qualification:
    suggestion: rules.StageSuggestion
    """After the tenant's minimum confidence was applied."""
    raw_confidence: float
    held_below_threshold: bool
    source: str
    provider: str
    model: str | None
    refused_stage: str | None = None


@dataclass(kw_only=True)
class Reader:
    """Reads threads for one tenant; collects the telemetry rows of its model calls."""

    tenant_id: str
    model: IntentClassifier | None
    strict: bool
    model_name: str | None
    correlation_id: str
    clock: Clock
    calls: list[dict[str, Any]] = field(default_factory=list)
    _read: tuple[ThreadPack, rules.StageSuggestion] | None = field(default=None, repr=False)

    def draft(
        self, pack: ThreadPack, tone: str, persona_prompt: str, style: drafts.Style = drafts.PLAIN
    ) -> Draft:
        """A reply for the thread, written in the tenant's ``style``. Raises ProviderError only
        for a strict tenant's model."""
        offline = self.draft_offline(pack, tone)
        if self.model is None:
            return offline
        request = IntentRequest(
            tenant_id=self.tenant_id,
            text=style.masked(pack.latest_inbound) or "(no message from the contact yet)",
            instructions=drafts.instructions(pack, tone, persona_prompt, style), schema=drafts.DRAFT_SCHEMA,
            schema_name="whatsapp_reply",
        )  # fmt: skip
        out = self._ask("crm.ai.draft", request)
        if isinstance(out, ProviderError):
            return replace(
                offline,
                guard_reason_code=f"provider_error:{out.code}",
                provider=out.provider or "openai",
            )
        data = out.data
        reply = data.get("reply") if isinstance(data, dict) else None
        if not isinstance(reply, str) or not reply.strip():
            self.calls[-1] |= {"status": "error", "error_code": "crm_ai_invalid_output"}
            return replace(offline, guard_reason_code="invalid_output", provider=out.provider)
        text = drafts.trim(reply, style)
        verdict = guard.check(text, pack.transcript())
        if verdict.blocked:
            return replace(offline, guard_reason_code=verdict.reason_code, guard_found=verdict.found,
                         provider=out.provider, model=out.model)  # fmt: skip
        why = data.get("reasoning_summary")
        return Draft(text=text, reasoning_summary=why if isinstance(why, str) else "",
                     confidence=offline.confidence, source="provider", provider=out.provider,
                     model=out.model, understood=offline.understood)  # fmt: skip

    def reading(self, pack: ThreadPack) -> rules.StageSuggestion:
        """The offline rules' reading of the thread (its lead's stage, else ``new``), once per
        thread: a draft's confidence and the stage suggestion both come from it."""
        if self._read is None or self._read[0] is not pack:
            self._read = (pack, rules.qualify(pack.messages, pack.stage or "new"))
        return self._read[1]

    def draft_offline(self, pack: ThreadPack, tone: str, reason: str | None = None) -> Draft:
        """The offline draft; ``reason`` says why the model's was not used (None: no model)."""
        text, why = drafts.offline(pack, tone)
        reading = self.reading(pack)
        return Draft(text=text, reasoning_summary=why, confidence=reading.confidence, source="rules",
                     provider="rules", model=None, guard_reason_code=reason,
                     understood=reading.intent not in rules.NOT_UNDERSTOOD)  # fmt: skip

    def qualify(
        self, pack: ThreadPack, min_confidence: float, required: tuple[str, ...] = ()
    ) -> Qualification:
        """A stage for the thread's lead (the caller checks there is one); a move to a stage
        from ``qualified`` on is held while a field of ``required`` is missing (a WhatsApp
        persona's ``required_fields_for_qualification``)."""
        by_rules = self.reading(pack)
        current = by_rules.current_stage
        allowed = funnel.lead_targets(current)
        chosen, source, provider, model, refused = by_rules, "rules", "rules", None, None
        if self.model is not None and allowed:
            out = self._ask(
                "crm.ai.qualify", _stage_request(self.tenant_id, pack, current, allowed)
            )
            if isinstance(out, ProviderError):
                if self.strict:
                    raise out
            else:
                provider, model = out.provider, out.model
                proposed = _read_stage(out.data)
                if proposed is None:
                    self.calls[-1] |= {"status": "error", "error_code": "crm_ai_invalid_output"}
                elif proposed[0] not in (current, *allowed):
                    refused = proposed[0]
                    self.calls[-1] |= {"status": "error", "error_code": "crm_ai_stage_not_allowed"}
                else:
                    stage, confidence, reason = proposed
                    chosen, source = rules.StageSuggestion(
                        current_stage=current, suggested_stage=stage, confidence=confidence,
                        reason=reason, rule_id=None, intent="model",
                    ), "provider"  # fmt: skip
        held = rules.hold_below(chosen, min_confidence)
        if refused is not None:
            held = rules.StageSuggestion(
                current_stage=held.current_stage, suggested_stage=held.suggested_stage,
                confidence=held.confidence, rule_id=held.rule_id, intent=held.intent,
                reason=f"The model proposed {refused!r}, which the funnel does not allow from"
                       f" {current!r}; the rules' reading stands: {held.reason}",
            )  # fmt: skip
        missing = missing_fields(pack, held, required)
        if missing and held.suggested_stage in QUALIFIED_STAGES:
            held = rules.StageSuggestion(
                current_stage=held.current_stage, suggested_stage=held.current_stage,
                confidence=held.confidence, rule_id=held.rule_id, intent=held.intent,
                reason=f"Not qualified yet: the lead has no {', '.join(missing)}; {held.reason}",
            )  # fmt: skip
        return Qualification(
            suggestion=held, raw_confidence=chosen.confidence,
            held_below_threshold=held.suggested_stage != chosen.suggested_stage,
            source=source, provider=provider, model=model, refused_stage=refused,
        )  # fmt: skip

    def _ask(self, name: str, request: IntentRequest) -> IntentOutput | ProviderError:
        """One structured call, recorded; a strict tenant's failure is raised after recording."""
        assert self.model is not None
        at = self.clock.now()
        row: dict[str, Any] = {"tenant_id": self.tenant_id, "recorded_at": at, "kind": "provider_call",
                               "name": name, "module": env.CRM, "feature": FEATURE,
                               "correlation_id": self.correlation_id}  # fmt: skip
        try:
            out = self.model.classify(request)
        except ProviderError as exc:
            self.calls.append(row | {"status": "error", "provider": exc.provider or "openai",
                                     "model": self.model_name, "error_code": exc.code})  # fmt: skip
            if self.strict:
                raise
            return exc
        self.calls.append(row | _usage(out))
        return out


QUALIFIED_STAGES = ("qualified", "proposal", "negotiation", "won")
"""The stages a lead reaches only once it is qualified."""
_LEAD_FIELDS = {"full_name": "display_name", "name": "display_name", "phone": "phone_e164"}


def missing_fields(pack: ThreadPack, reading: rules.StageSuggestion, required: tuple[str, ...]) -> list[str]:
    """The fields of ``required`` the thread's lead lacks: ``intent`` is the reading's (an
    understood intent), ``full_name`` and ``phone_e164`` are the lead's own columns, any other
    name a key of the lead's metadata."""
    lead = pack.lead or {}
    metadata = lead.get("metadata")
    extra = metadata if isinstance(metadata, dict) else {}
    missing = []
    for name in required:
        if name == "intent":
            present = reading.intent not in rules.NOT_UNDERSTOOD
        else:
            column = _LEAD_FIELDS.get(name, name)
            value = lead.get(column) if column in lead else extra.get(name)
            present = bool(str(value or "").strip())
        if not present:
            missing.append(name)
    return missing


def _usage(out: IntentOutput) -> dict[str, Any]:
    return {"status": "ok", "provider": out.provider, "model": out.model, "latency_ms": float(out.latency_ms),
            "input_tokens": out.usage.input, "cached_tokens": out.usage.cached,
            "output_tokens": out.usage.output, "reasoning_tokens": out.usage.reasoning}  # fmt: skip


def _stage_request(
    tenant_id: str, pack: ThreadPack, current: str, allowed: tuple[str, ...]
) -> IntentRequest:
    schema = {
        "type": "object",
        "properties": {
            "suggested_stage": {"type": "string", "enum": [current, *allowed],
                                "description": f"{current!r} to keep the lead where it is"},
            "confidence": {"type": "number", "description": "0 to 1: how sure you are"},
            "reason": {"type": "string", "description": "one sentence"},
        },
        "required": ["suggested_stage", "confidence", "reason"],
        "additionalProperties": False,
    }  # fmt: skip
    instructions = (
        "You qualify a sales lead from its WhatsApp conversation. The lead is in stage"
        f" {current!r}; it may move to {', '.join(allowed)}, or stay. Move it forward only when the"
        " contact shows it; a contact who declines, asks to stop or is not interested never moves"
        " forward. Conversation (oldest first):\n" + (pack.transcript() or "(no messages)")
    )
    return IntentRequest(tenant_id=tenant_id, text=pack.latest_inbound or "(no message)",
                         instructions=instructions, schema=schema, schema_name="lead_stage")  # fmt: skip


def _read_stage(data: Any) -> tuple[str, float, str] | None:
    if not isinstance(data, dict):
        return None
    stage, confidence, reason = (
        data.get("suggested_stage"),
        data.get("confidence"),
        data.get("reason"),
    )
    if (
        not isinstance(stage, str)
        or isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
    ):
        return None
    if not 0 <= confidence <= 1:
        return None
    return stage, float(confidence), reason if isinstance(reason, str) else ""
