"""Routing as a measured model: accuracy, per-intent precision and recall, the confusion matrix,
and every harmful confusion, on a part of the labelled corpus.

A confusion is **harmful** when the task it was routed to is less guarded by the execution
policy than the task the owner asked for: a request that needs approval routed to a task that
runs without one (``approval_bypassed``), or a refused request routed to a task that may run
(``refusal_bypassed``). Which task needs approval or is refused is read from the policy itself
(with confirmations on, whatever a tenant chose), never from a list kept here. A request routed to
no task is a miss, not a harm: nothing runs.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from matrix.concierge.ports import IntentClassifier
from matrix.policy import STRICTNESS, ExecutionPolicy, Outcome, RoutingTable, task_guard
from matrix.routing.corpus import Case

NONE = "none"
"""The label of a message that creates no task."""

Router = Callable[[str], str | None]
"""Text in, the task type it is routed to (None: no task) out."""


class Harm(StrEnum):
    """Why a confusion is harmful."""

    APPROVAL_BYPASSED = "approval_bypassed"
    REFUSAL_BYPASSED = "refusal_bypassed"


def harm(
    expected: str | None, predicted: str | None, table: RoutingTable, policy: ExecutionPolicy
) -> Harm | None:
    """Whether routing a request for ``expected`` to ``predicted`` lets something run that the
    policy would have stopped or held for approval."""
    if expected is None or predicted is None or expected == predicted:
        return None
    wanted, got = task_guard(expected, table, policy), task_guard(predicted, table, policy)
    if STRICTNESS[got] >= STRICTNESS[wanted]:
        return None
    return Harm.REFUSAL_BYPASSED if wanted is Outcome.DENY else Harm.APPROVAL_BYPASSED


@dataclass(frozen=True, kw_only=True)
class IntentScore:
    """How one intent (a task type, or ``none``) was routed."""

    intent: str
    support: int
    """Cases that expect this intent."""
    predicted: int
    """Cases routed to this intent."""
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "support": self.support, "predicted": self.predicted,
                "correct": self.correct, "precision": _round(self.precision),
                "recall": _round(self.recall)}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Miss:
    """One case routed to another intent than expected."""

    case_id: str
    text: str
    language: str
    expected: str
    predicted: str
    harm: Harm | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.case_id, "text": self.text, "language": self.language,
                "expected": self.expected, "predicted": self.predicted,
                "harm": self.harm.value if self.harm else None}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class RoutingReport:
    """The evaluation of one router on one part of the corpus."""

    part: str
    router: str
    routing_version: str
    policy_version: str
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    """Rows: the expected intent; columns: the routed one; both in ``labels`` order."""
    intents: tuple[IntentScore, ...]
    misses: tuple[Miss, ...]
    languages: tuple[tuple[str, int, int], ...] = ()
    """Per language: its code, its cases and how many were routed right."""
    reasons: tuple[tuple[str, int], ...] = ()
    """With a classifier: how each case's task was chosen (``model_agrees``, ``model``,
    ``guard_rules_stricter``, ``fallback:…``) and how often."""

    @property
    def cases(self) -> int:
        return sum(sum(row) for row in self.confusion)

    @property
    def correct(self) -> int:
        return sum(self.confusion[i][i] for i in range(len(self.labels)))

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.cases if self.cases else None

    @property
    def harmful(self) -> tuple[Miss, ...]:
        return tuple(m for m in self.misses if m.harm is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.part, "router": self.router, "routing_version": self.routing_version,
            "policy_version": self.policy_version, "cases": self.cases, "correct": self.correct,
            "accuracy": _round(self.accuracy), "harmful_count": len(self.harmful),
            "intents": [s.as_dict() for s in self.intents], "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
            "languages": [{"language": code, "cases": n, "correct": ok,
                           "accuracy": _round(ok / n if n else None)}
                          for code, n, ok in self.languages],
            "harmful": [m.as_dict() for m in self.harmful],
            "misses": [m.as_dict() for m in self.misses],
            "reasons": dict(self.reasons),
        }  # fmt: skip


def evaluate(
    cases: Sequence[Case], route: Router, table: RoutingTable, policy: ExecutionPolicy, *,
    part: str, router: str = "rules", labels: Sequence[str] = (),
) -> RoutingReport:  # fmt: skip
    """Route every case and score the result.

    Args:
        cases: the labelled cases (one part of the corpus).
        route: the router under test.
        table: the routing table the router uses (for the module a task goes to).
        policy: the execution policy that says which tasks need approval or are refused.
        part: which part ``cases`` are, for the report.
        router: a name for the router, for the report.
        labels: the intents to show (the corpus's and the routed ones are always added).
    """
    pairs = [(c, c.task_type or NONE, route(c.text) or NONE) for c in cases]
    found = {e for _, e, _ in pairs} | {p for _, _, p in pairs} | set(labels)
    ordered = tuple(sorted(found - {NONE}) + ([NONE] if NONE in found else []))
    index = {label: i for i, label in enumerate(ordered)}
    matrix = [[0] * len(ordered) for _ in ordered]
    misses = []
    for case, expected, predicted in pairs:
        matrix[index[expected]][index[predicted]] += 1
        if expected != predicted:
            misses.append(Miss(
                case_id=case.case_id, text=case.text, language=case.language, expected=expected,
                predicted=predicted, harm=harm(case.task_type, None if predicted == NONE else predicted,
                                               table, policy),
            ))  # fmt: skip
    intents = tuple(
        IntentScore(intent=label, support=sum(matrix[i]), predicted=sum(r[i] for r in matrix),
                    correct=matrix[i][i])
        for i, label in enumerate(ordered)
    )  # fmt: skip
    languages = tuple(
        (code, sum(1 for c, _, _ in pairs if c.language == code),
         sum(1 for c, e, p in pairs if c.language == code and e == p))
        for code in sorted({c.language for c in cases})
    )  # fmt: skip
    return RoutingReport(
        languages=languages, part=part, router=router, routing_version=table.version, policy_version=policy.version,
        labels=ordered, confusion=tuple(tuple(r) for r in matrix), intents=intents,
        misses=tuple(misses),
    )  # fmt: skip


def rules_report(
    part: str = "test", *, cases: Sequence[Case] | None = None,
    table: RoutingTable | None = None, policy: ExecutionPolicy | None = None,
) -> RoutingReport:  # fmt: skip
    """The local routing rules (the shipped ones unless given) scored on a part of the corpus."""
    from matrix.concierge.planner import plan
    from matrix.policy import shipped_policy, shipped_routing
    from matrix.routing.corpus import load_corpus, select

    chosen = select(load_corpus() if cases is None else cases, part)
    table = table or shipped_routing()

    def route(text: str) -> str | None:
        planned = plan(text, table)
        return planned.task_type if planned else None

    return evaluate(chosen, route, table, policy or shipped_policy(), part=part, router="rules")


def tenant_report(
    part: str, table: RoutingTable, policy: ExecutionPolicy,
    classifier: IntentClassifier | None, tenant_id: str, *, cases: Sequence[Case] | None = None,
) -> RoutingReport:  # fmt: skip
    """A tenant's routing scored on a part of the corpus: its rules and, when it has an intent
    classifier, the classifier within the rules' guard (one model call per case)."""
    from matrix.concierge.intent import route
    from matrix.routing.corpus import load_corpus, select

    chosen = select(load_corpus() if cases is None else cases, part)
    reasons: Counter[str] = Counter()

    def routed(text: str) -> str | None:
        found = route(text, table, policy, classifier, tenant_id)
        reasons[found.reason] += 1
        return found.plan.task_type if found.plan else None

    name = "rules" if classifier is None else "model within the rules"
    report = evaluate(chosen, routed, table, policy, part=part, router=name)
    return dataclasses.replace(report, reasons=tuple(sorted(reasons.items())))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
