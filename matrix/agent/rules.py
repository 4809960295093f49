"""Placeholder of the offline rules (replaced by the rule set as data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from matrix.agent.context import ThreadMessage
from matrix.modules.crm import funnel


@dataclass(frozen=True, kw_only=True)
class StageSuggestion:
    current_stage: str
    suggested_stage: str
    confidence: float
    reason: str
    rule_id: str | None
    intent: str


@dataclass(frozen=True, kw_only=True)
class Handoff:
    reason_code: str
    rule_id: str
    reason: str


def qualify(messages: Sequence[ThreadMessage], current_stage: str, rules: object = None) -> StageSuggestion:
    text = " ".join(m.text.lower() for m in messages if m.direction == "inbound")
    targets = funnel.lead_targets(current_stage)
    if "não" in text or "not interested" in text:
        want = "lost"
    elif "quero" in text or "interested" in text:
        want = "qualified" if "qualified" in targets else "contacted"
    else:
        return StageSuggestion(current_stage=current_stage, suggested_stage=current_stage, confidence=0.4, reason="unclear", rule_id=None, intent="unclear")
    if want not in targets:
        return StageSuggestion(current_stage=current_stage, suggested_stage=current_stage, confidence=0.5, reason="stay", rule_id=None, intent="unclear")
    return StageSuggestion(current_stage=current_stage, suggested_stage=want, confidence=0.8, reason=f"rule {want}", rule_id="r1", intent="interested")


def handoff(messages: Sequence[ThreadMessage], rules: object = None) -> Handoff | None:
    text = " ".join(m.text.lower() for m in messages if m.direction == "inbound")
    if "atendente" in text or "human" in text:
        return Handoff(reason_code="human_requested", rule_id="h1", reason="asked for a human")
    return None


def hold_below(s: StageSuggestion, min_confidence: float) -> StageSuggestion:
    if s.confidence >= min_confidence or s.suggested_stage == s.current_stage:
        return s
    return replace(s, suggested_stage=s.current_stage, reason=f"confidence {s.confidence:.2f} is below the tenant's minimum {min_confidence:.2f}; the lead stays in {s.current_stage}")
