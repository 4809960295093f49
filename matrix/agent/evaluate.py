"""Persona 2's stage suggestions and handoffs measured on the labelled conversations: accuracy
after the tenant's confidence threshold, per category and language, the confusion matrix,
handoff precision and recall, and every harmful outcome; and the calibration that writes each
rule's measured precision on ``dev`` into the rules file.

An outcome is **harmful** when it does what a careful person never would:

- ``disinterest_advanced``: the contact said no (category ``disinterested``, or the label moves
  the lead to ``lost``, ``disqualified`` or ``nurturing``) and the lead is moved to a forward
  stage. A lead labelled to *stay* in nurturing that is moved on is a miss, not this harm: staying
  there is not a no (a nurtured contact asking a price is a stay or a re-engagement, a judgement
  call);
- ``handoff_answered``: the contact must be handed to a person (``expected_handoff``) and the
  agent would answer on its own: the rules see no handoff, understood the message (not the
  fallback, not off-topic) and are at least as sure as the tenant's minimum
  (:func:`matrix.agent.rules.may_answer`, the test the automatic answers use). A handoff missed
  on a message the rules did not understand still goes to a person (as ``not_understood``): it
  counts against handoff recall, not as this harm.

Any other wrong stage is a miss, not a harm.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from matrix.agent import rules as agent_rules
from matrix.agent.context import ThreadMessage
from matrix.agent.corpus import Conversation, load_corpus, select
from matrix.agent.rules import Handoff, RuleSet, StageSuggestion, hold_below, may_answer, shipped
from matrix.modules.crm.funnel import STAGES

DEFAULT_MIN_CONFIDENCE = 0.7
CHECK_ACCURACY = 0.85
"""`matrix crm ai eval --check` fails below this stage accuracy (or on any harmful outcome)."""
"""The origin's default ``min_confidence`` of a tenant (§e.4)."""
FORWARD = ("contacted", "qualified", "proposal", "negotiation", "won")
BACKING_OFF = ("lost", "disqualified", "nurturing")

Qualifier = Callable[[Sequence[ThreadMessage], str], StageSuggestion]
Detector = Callable[[Sequence[ThreadMessage]], Handoff | None]


class Harm(StrEnum):
    """Why an outcome is harmful."""

    DISINTEREST_ADVANCED = "disinterest_advanced"
    HANDOFF_ANSWERED = "handoff_answered"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One case scored: the suggestion after the threshold, and the handoff seen."""

    case: Conversation
    suggestion: StageSuggestion
    held: bool
    """The rules moved the lead, and the threshold kept it where it was."""
    handoff: Handoff | None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @property
    def correct(self) -> bool:
        return self.suggestion.suggested_stage == self.case.expected_stage

    @property
    def harms(self) -> tuple[Harm, ...]:
        case, s = self.case, self.suggestion
        found = []
        backing_off = case.category == "disinterested" or (
            case.expected_stage in BACKING_OFF and case.expected_stage != case.current_stage
        )
        if backing_off and s.moves and s.suggested_stage in FORWARD:
            found.append(Harm.DISINTEREST_ADVANCED)
        if case.expected_handoff is not None and may_answer(s, self.handoff, self.min_confidence):
            found.append(Harm.HANDOFF_ANSWERED)
        return tuple(found)

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {"id": c.case_id, "category": c.category, "language": c.language,
                "current_stage": c.current_stage, "expected_stage": c.expected_stage,
                "suggested_stage": self.suggestion.suggested_stage,
                "confidence": self.suggestion.confidence, "rule_id": self.suggestion.rule_id,
                "intent": self.suggestion.intent, "held": self.held,
                "expected_handoff": c.expected_handoff,
                "handoff": self.handoff.reason_code if self.handoff else None,
                "harms": [h.value for h in self.harms], "text": c.latest_text}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Score:
    """Cases and correct stages of one category or language."""

    name: str
    cases: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.cases if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "cases": self.cases, "correct": self.correct,
                "accuracy": _round(self.accuracy)}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class HandoffScore:
    """Handoff detection: a handoff is found when one is expected (any reason code), and how
    often the reason code agrees. Precision is ``found / detected``, recall ``found / expected``
    (None when there is nothing to divide by)."""

    expected: int
    detected: int
    found: int
    """Cases with a handoff expected and one detected."""
    same_reason: int
    precision: float | None = None
    recall: float | None = None

    @classmethod
    def of(cls, expected: int, detected: int, found: int, same_reason: int) -> HandoffScore:
        return cls(expected=expected, detected=detected, found=found, same_reason=same_reason,
                   precision=found / detected if detected else None,
                   recall=found / expected if expected else None)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        numbers = {k: getattr(self, k) for k in ("expected", "detected", "found", "same_reason")}
        return numbers | {"precision": _round(self.precision), "recall": _round(self.recall)}


@dataclass(frozen=True, kw_only=True)
class Report:
    """The evaluation of the rules on one part of the corpus."""

    part: str
    rules_version: str
    min_confidence: float
    outcomes: tuple[Outcome, ...]
    labels: tuple[str, ...] = STAGES

    @property
    def cases(self) -> int:
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.cases if self.cases else None

    @property
    def held(self) -> int:
        return sum(o.held for o in self.outcomes)

    @property
    def confusion(self) -> tuple[tuple[int, ...], ...]:
        """Rows: the expected stage; columns: the suggested one; both in ``labels`` order."""
        index = {label: i for i, label in enumerate(self.labels)}
        matrix = [[0] * len(self.labels) for _ in self.labels]
        for o in self.outcomes:
            matrix[index[o.case.expected_stage]][index[o.suggestion.suggested_stage]] += 1
        return tuple(tuple(row) for row in matrix)

    def scores(self, key: Callable[[Conversation], str]) -> tuple[Score, ...]:
        total, right = Counter[str](), Counter[str]()
        for o in self.outcomes:
            total[key(o.case)] += 1
            right[key(o.case)] += o.correct
        return tuple(Score(name=k, cases=total[k], correct=right[k]) for k in sorted(total))

    @property
    def handoffs(self) -> HandoffScore:
        expected = [o for o in self.outcomes if o.case.expected_handoff]
        found = [o for o in expected if o.handoff]
        return HandoffScore.of(
            len(expected), sum(1 for o in self.outcomes if o.handoff), len(found),
            sum(1 for o in found if o.handoff and o.handoff.reason_code == o.case.expected_handoff),
        )  # fmt: skip

    @property
    def harmful(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.harms)

    @property
    def misses(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.correct)

    def harm_counts(self) -> dict[str, int]:
        counts = Counter(h.value for o in self.outcomes for h in o.harms)
        return {h.value: counts[h.value] for h in Harm}

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.part, "rules_version": self.rules_version,
            "min_confidence": self.min_confidence, "cases": self.cases, "correct": self.correct,
            "accuracy": _round(self.accuracy), "held_by_threshold": self.held,
            "harmful_count": len(self.harmful), "harms": self.harm_counts(),
            "categories": [s.as_dict() for s in self.scores(lambda c: c.category)],
            "languages": [s.as_dict() for s in self.scores(lambda c: c.language)],
            "handoffs": self.handoffs.as_dict(), "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
            "harmful": [o.as_dict() for o in self.harmful],
            "misses": [o.as_dict() for o in self.misses],
        }  # fmt: skip


def evaluate(
    cases: Sequence[Conversation], qualifier: Qualifier, detector: Detector, *, part: str,
    rules_version: str, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> Report:  # fmt: skip
    """Qualify every case, hold what is below ``min_confidence``, detect handoffs, and score.

    Args:
        cases: the labelled cases (one part of the corpus).
        qualifier: messages and current stage in, a suggestion out (before the threshold).
        detector: messages in, the handoff (or None) out.
        part: which part ``cases`` are, for the report.
        rules_version: the rules' version, for the report.
        min_confidence: a tenant's minimum; a move less sure than this keeps the lead in place.
    """
    outcomes = []
    for case in cases:
        raw = qualifier(case.messages, case.current_stage)
        held = hold_below(raw, min_confidence)
        outcomes.append(Outcome(case=case, suggestion=held, held=held is not raw,
                                handoff=detector(case.messages), min_confidence=min_confidence))  # fmt: skip
    return Report(part=part, rules_version=rules_version, min_confidence=min_confidence,
                  outcomes=tuple(outcomes))  # fmt: skip


def rules_report(
    part: str = "test", *, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    rules: RuleSet | None = None, cases: Sequence[Conversation] | None = None,
) -> Report:  # fmt: skip
    """The offline rules (the shipped ones unless given) scored on a part of the corpus, or on
    the held-out conversations (``part="holdout"``)."""
    if cases is None:
        cases = load_corpus(holdout=part == "holdout")
    chosen = select(cases, part)
    ruleset = rules or shipped()
    return evaluate(
        chosen, lambda messages, stage: agent_rules.qualify(messages, stage, ruleset),
        lambda messages: agent_rules.handoff(messages, ruleset), part=part,
        rules_version=ruleset.version, min_confidence=min_confidence,
    )  # fmt: skip


def calibrate(rules: RuleSet, cases: Sequence[Conversation]) -> dict[str, Any]:
    """The rules document with each rule's confidence set to its measured precision on the
    ``dev`` cases: ``(correct + 1) / (cases + 2)`` (Laplace), where ``cases`` are the dev cases
    the rule decided and ``correct`` those whose suggestion (before any threshold) is the
    labelled stage. The counts are written beside it as ``support``."""
    dev = select(cases, "dev")
    decided, right = Counter[str](), Counter[str]()
    for case in dev:
        s = agent_rules.qualify(case.messages, case.current_stage, rules)
        rule_id = s.rule_id or rules.fallback.rule_id
        decided[rule_id] += 1
        right[rule_id] += s.suggested_stage == case.expected_stage
    document = copy.deepcopy(dict(rules.document))
    for entry in [*document["rules"], document["fallback"]]:
        n, k = decided[entry["id"]], right[entry["id"]]
        entry["confidence"] = round((k + 1) / (n + 2), 4)
        entry["support"] = {"dev_cases": n, "dev_correct": k}
    document["calibration"] = {**document.get("calibration", {}), "part": "dev",
                               "method": "laplace: (correct + 1) / (cases + 2)",
                               "cases": len(dev)}  # fmt: skip
    return document


def write_calibrated(
    path: Path | None = None, *, cases: Sequence[Conversation] | None = None
) -> RuleSet:
    """Calibrate the rules file (the shipped one unless given) on the corpus's dev part and
    write it back; returns the calibrated rule set."""
    path = path or agent_rules.RULES_FILE
    document = calibrate(agent_rules.load_rules(path), load_corpus() if cases is None else cases)
    calibrated = agent_rules.parse_rules(document, source=path.name)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    agent_rules.shipped.cache_clear()
    return calibrated


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
