"""Persona 2's offline rules: which funnel stage a conversation suggests, and when a person must
take over (origin §e.4's heuristic path), read from ``matrix/agent/data/rules.json``.

The rule set is data. Each **intent rule** has regular expressions (written on text that is
lower-cased and stripped of accents, so "não" and "nao" are one pattern), optional ``unless``
patterns that cancel it, optional ``context`` patterns the business's message just before the
contact's must match (a bare "sim" is an answer to that message), and ``negatable``: a match
preceded, in the same clause, by a negation word ("não tenho interesse", "not interested") does
not count. Rules are tried in file order and the first that fires decides; nothing fires → the
``fallback`` (unclear). Each intent names its preferred target stages in order; the suggestion
is the first of them the funnel allows from the current stage (``funnel.lead_targets``), else
the current stage: a suggestion is never a move the funnel forbids.

**Confidence is measured, not chosen**: each rule's ``confidence`` is its precision on the
``dev`` part of the labelled corpus (its suggestion equals the labelled stage), smoothed with
Laplace's rule, ``(correct + 1) / (cases + 2)``, and written into the file beside the counts
(``support``) by :func:`matrix.agent.evaluate.calibrate` (``matrix crm ai eval --calibrate``).
A rule that never fired on dev has 0.5. :func:`hold_below` then keeps a lead where it is when a
suggestion is less sure than the tenant's minimum.

**Handoff rules** (``abusive``, ``legal``, ``complaint``, ``human_requested``, in that order of
precedence) are separate: :func:`handoff` says whether the agent must not answer on its own. A
handoff rule may have ``unless`` patterns too (a prospect asking about a repair is not a
complaint about one). **Handoffs outrank stage rules**: while a handoff is raised, no rule whose
intent prefers a forward stage decides, so a thread waiting for a person is never moved forward.

**Vocabularies** keep the patterns readable: ``vocabularies`` maps a name to a list of word
forms (regular expressions themselves), and ``{name}`` in any pattern stands for
``(?:form|form|...)``. A word family is written once (``machucad[oa]s?``, ``quebr(ou|aram)``)
and used by every pattern that needs it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from matrix.agent.context import ThreadMessage
from matrix.agent.ruleset import (
    HANDOFF_CODES,
    INTENTS,
    RULES_FILE,
    HandoffRule,
    IntentRule,
    RuleSet,
    Target,
    load_rules,
    normalize,
    parse_rules,
    shipped,
)
from matrix.errors import UsageError
from matrix.modules.crm.funnel import STAGES, lead_targets

FORWARD_STAGES = ("contacted", "qualified", "proposal", "negotiation", "won")
"""Stages that move a lead on; a thread with a handoff raised is never suggested one."""


@dataclass(frozen=True, kw_only=True)
class StageSuggestion:
    """The stage Persona 2 suggests for a conversation's lead, and why."""

    current_stage: str
    suggested_stage: str
    """One of ``funnel.lead_targets(current_stage)``, or ``current_stage`` (stay)."""
    confidence: float
    """0..1: the deciding rule's measured precision on the corpus's dev part."""
    reason: str
    rule_id: str | None
    intent: str

    @property
    def moves(self) -> bool:
        return self.suggested_stage != self.current_stage

    def as_dict(self) -> dict[str, Any]:
        return {"current_stage": self.current_stage, "suggested_stage": self.suggested_stage,
                "confidence": self.confidence, "reason": self.reason, "rule_id": self.rule_id,
                "intent": self.intent}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Handoff:
    """Why a conversation goes to a person instead of an automatic answer."""

    reason_code: str
    rule_id: str
    reason: str


# -- reading the thread --------------------------------------------------------------------------


def latest_inbound(messages: Sequence[ThreadMessage]) -> tuple[str, str]:
    """The contact's latest turn (its last run of inbound messages, joined) and the business's
    message just before it, both normalized; empty strings when there is none."""
    end = max((i for i, m in enumerate(messages) if m.direction == "inbound"), default=-1)
    if end < 0:
        return "", ""
    start = end
    while start > 0 and messages[start - 1].direction == "inbound":
        start -= 1
    turn = " \n ".join(normalize(m.text) for m in messages[start : end + 1] if m.text.strip())
    before = normalize(messages[start - 1].text) if start > 0 else ""
    return turn, before


def _negated(text: str, start: int, rules: RuleSet) -> bool:
    clause = re.split(r"[.,;:!?\n]", text[:start])[-1]
    words = re.findall(r"[\w']+", clause)[-rules.negation_window :]
    return any(w in rules.negations for w in words)


def _fires(
    rule: IntentRule, turn: str, before: str, rules: RuleSet, handoff_code: str | None
) -> bool:
    if rule.when_handoff is not None:
        return handoff_code == rule.when_handoff
    if rule.context and not any(p.search(before) for p in rule.context):
        return False
    if any(p.search(turn) for p in rule.unless):
        return False
    for pattern in rule.patterns:
        for match in pattern.finditer(turn):
            if not (rule.negatable and _negated(turn, match.start(), rules)):
                return True
    return False


# -- the decisions -------------------------------------------------------------------------------


def qualify(
    messages: Sequence[ThreadMessage], current_stage: str, rules: RuleSet | None = None
) -> StageSuggestion:
    """The stage the contact's latest messages suggest for a lead in ``current_stage``.

    The first rule that fires names the intent; the intent's first preferred stage the funnel
    allows from ``current_stage`` is suggested, else the lead stays. The confidence is the rule's
    calibrated precision; apply :func:`hold_below` for a tenant's minimum.

    Raises:
        UsageError: ``current_stage`` is not a funnel stage.
    """
    rules = rules or shipped()
    if current_stage not in STAGES:
        raise UsageError(
            f"The current stage {current_stage!r} is not a funnel stage; use one of {list(STAGES)}."
        )
    turn, before = latest_inbound(messages)
    found = handoff(messages, rules)
    code = found.reason_code if found else None
    candidates = [r for r in rules.rules if not (found and _moves_forward(r, rules))]
    rule = next((r for r in candidates if turn and _fires(r, turn, before, rules, code)), None)
    rule = rule or rules.fallback
    allowed = lead_targets(current_stage)
    target = next(
        (t.stage for t in rules.targets.get(rule.intent, ())
         if t.stage in allowed and t.applies(current_stage)),
        current_stage,
    )  # fmt: skip
    what = f"the contact's latest message reads as {rule.intent.replace('_', ' ')} (rule {rule.rule_id})"
    if not turn:
        what = "the contact has sent no message yet"
    if target == current_stage:
        reason = f"{what}; the lead stays in {current_stage}"
    else:
        reason = f"{what}; the lead moves from {current_stage} to {target}"
    return StageSuggestion(current_stage=current_stage, suggested_stage=target,
                           confidence=rule.confidence, reason=reason, rule_id=rule.rule_id,
                           intent=rule.intent)  # fmt: skip


def _moves_forward(rule: IntentRule, rules: RuleSet) -> bool:
    return any(t.stage in FORWARD_STAGES for t in rules.targets.get(rule.intent, ()))


def handoff(messages: Sequence[ThreadMessage], rules: RuleSet | None = None) -> Handoff | None:
    """Whether the contact's latest messages must go to a person (and why), else None: the
    first handoff rule (in file order) one of whose patterns matches and none of whose
    ``unless`` patterns does."""
    rules = rules or shipped()
    turn, _ = latest_inbound(messages)
    if not turn:
        return None
    for rule in rules.handoffs:
        if any(p.search(turn) for p in rule.unless):
            continue
        if any(p.search(turn) for p in rule.patterns):
            return Handoff(reason_code=rule.reason_code, rule_id=rule.rule_id, reason=rule.reason)
    return None


NOT_UNDERSTOOD = frozenset({"unclear", "off_topic"})
"""Readings that say the rules did not understand what the contact wants (the fallback, a
message not meant for the business): Persona 2 never answers those by itself."""


def may_answer(s: StageSuggestion, handoff: Handoff | None, min_confidence: float) -> bool:
    """Whether Persona 2 may answer a thread by itself, on this reading: no handoff, a reading it
    understood, and a confidence that reaches the tenant's minimum. The same test decides the
    automatic answers (``matrix.agent.inbound``) and counts the harm ``handoff_answered``."""
    return handoff is None and s.intent not in NOT_UNDERSTOOD and s.confidence >= min_confidence


def hold_below(s: StageSuggestion, min_confidence: float) -> StageSuggestion:
    """``s``, or, when it moves the lead with less confidence than ``min_confidence``, the same
    suggestion keeping the lead where it is, with a reason that says so."""
    if not s.moves or s.confidence >= min_confidence:
        return s
    reason = (
        f"confidence {s.confidence:.2f} is below the tenant's minimum {min_confidence:.2f}; the"
        f" lead stays in {s.current_stage} (the rules suggested {s.suggested_stage}: {s.reason})"
    )
    return replace(s, suggested_stage=s.current_stage, reason=reason)


__all__ = [
    "FORWARD_STAGES", "HANDOFF_CODES", "INTENTS", "NOT_UNDERSTOOD", "RULES_FILE", "Handoff",
    "HandoffRule", "IntentRule", "RuleSet", "StageSuggestion", "Target", "handoff", "hold_below",
    "latest_inbound", "load_rules", "may_answer", "normalize", "parse_rules", "qualify", "shipped",
]  # fmt: skip
