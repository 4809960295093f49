"""Recall measured on a fixed, labelled set of multi-session histories, against two baselines.

The set (``data/eval.jsonl``) is synthetic owners' conversations with the concierge over weeks,
and questions asked afterwards, each labelled with the owner turns that hold its answer
(``evidence``) and, for a fact that changed, the older turns it replaced (``superseded``).
Categories: ``single_fact``, ``preference``, ``temporal``, ``knowledge_update`` and ``absent``
(the answer was never said). Tenants fall in a ``dev`` or a ``test`` part by a hash of their id
(:mod:`matrix.corpora`): tune on ``dev``, report ``test``.

Each history is fed through the product's own path — :meth:`Memory.remember` per exchange, at
the time it was said — and each question asked through :meth:`Memory.recall` (in a session of
its own) with the same embedder the product uses. Scored without a model:

- **evidence recall@k**: the share of a question's evidence turns that the top ``k`` entries
  came from (their ``source_turns``), averaged over the questions that have evidence;
- **latest first** (knowledge updates): the evidence is in the top ``k`` and no entry from a
  superseded turn ranks above it;
- **tokens**: what the recall for the question adds to the prompt (the product's budget cut);
  for ``absent`` questions, the tokens spent on a question with no answer.

Baselines, in the same run over the same histories: **full context** (every turn of the history
in the prompt — its evidence is always there; its cost is the tokens) and **BM25 over turns**
(every turn, the owner's and the assistant's, ranked by Okapi BM25 on the same terms; top ``k``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from matrix import corpora, paths
from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.concierge.ports import Provider, ProviderRequest
from matrix.errors import UsageError
from matrix.issues import Issues
from matrix.memory import text as mtext
from matrix.memory.ports import Embedder, MemoryStore
from matrix.memory.service import Memory, MemoryConfig

Judge = Callable[[str, str, str | None], bool]
"""(question, the context a system gave, the gold answer or None when absent) → answered right?"""

ANSWER_INSTRUCTIONS = (
    "You are the owner's assistant. Answer the owner's question in one short sentence using only"
    " the context below; if the context does not say, answer exactly: I don't know.\n\nContext:\n"
)
GRADE_INSTRUCTIONS = (
    "You grade an assistant's answer against the gold answer. Reply with one word: yes if the"
    " answer gives the gold answer's facts (wording may differ; when the gold answer is 'not"
    " stated', yes only if the assistant said it does not know), otherwise no."
)


def provider_judge(provider: Provider, tenant_id: str = "memory-eval") -> Judge:
    """A judge that asks ``provider`` twice per question: to answer from the context, then to
    grade the answer against the gold one (LLM-as-judge, as the LoCoMo and LongMemEval papers do)."""

    def judge(question: str, context: str, gold: str | None) -> bool:
        answer = provider.respond(ProviderRequest(
            tenant_id=tenant_id, text=question, instructions=ANSWER_INSTRUCTIONS + context
        )).text  # fmt: skip
        verdict = provider.respond(ProviderRequest(
            tenant_id=tenant_id, instructions=GRADE_INSTRUCTIONS,
            text=f"Question: {question}\nGold answer: {gold or 'not stated'}\nAnswer: {answer}",
        )).text  # fmt: skip
        return verdict.strip().lower().startswith("yes")

    return judge


CATEGORIES = ("single_fact", "preference", "temporal", "knowledge_update", "absent")
PARTS = ("dev", "test", "all")
K = 10


@dataclass(frozen=True, kw_only=True)
class Question:
    question_id: str
    category: str
    question: str
    asked_at: datetime
    evidence: tuple[str, ...]
    superseded: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class History:
    tenant_id: str
    language: str
    sessions: tuple[dict[str, Any], ...]
    questions: tuple[Question, ...]
    answers: dict[str, str | None] = field(default_factory=dict)
    """The gold answer of each question (for a judge)."""

    @property
    def part(self) -> str:
        return "test" if corpora.in_test(self.tenant_id) else "dev"


def load(path: Path | None = None) -> list[History]:
    """The labelled histories; a malformed line is named and refused."""
    path = path or paths.memory_eval_file()
    issues = Issues()
    out = []
    for where, raw in corpora.json_lines(path, issues):
        try:
            out.append(History(
                tenant_id=raw["tenant_id"], language=raw.get("language", "en"),
                sessions=tuple(raw["sessions"]),
                questions=tuple(Question(
                    question_id=q["question_id"], category=q["category"], question=q["question"],
                    asked_at=datetime.fromisoformat(q["asked_at"]),
                    evidence=tuple(q.get("evidence") or ()), superseded=tuple(q.get("superseded") or ()),
                ) for q in raw["questions"]),
                answers={q["question_id"]: q.get("answer") for q in raw["questions"]},
            ))  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            issues.error(where, f"not a history ({exc!r})")
    if issues.errors:
        raise UsageError(
            f"{path.name}: " + "; ".join(f"{i.where}: {i.message}" for i in issues.errors[:5])
        )
    return out


def select(histories: Sequence[History], part: str) -> list[History]:
    if part not in PARTS:
        raise UsageError(f"Unknown part {part!r}; use one of {', '.join(PARTS)}.")
    return [h for h in histories if part == "all" or h.part == part]


@dataclass
class Scores:
    """One system's scores over a set of questions."""

    recall: list[float] = field(default_factory=list)
    by_category: dict[str, list[float]] = field(default_factory=dict)
    latest_first: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    absent_tokens: list[int] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    judged: list[float] = field(default_factory=list)

    def add(
        self, question: Question, covered: set[str], ranked_turns: list[set[str]], tokens: int
    ) -> None:
        self.tokens.append(tokens)
        if question.category == "absent":
            self.absent_tokens.append(tokens)
            return
        score = len(covered & set(question.evidence)) / len(question.evidence)
        self.recall.append(score)
        self.by_category.setdefault(question.category, []).append(score)
        if question.category == "knowledge_update":
            self.latest_first.append(_latest_first(question, ranked_turns))

    def summary(self) -> dict[str, Any]:
        def mean(xs: Sequence[float]) -> float | None:
            return round(sum(xs) / len(xs), 4) if xs else None

        return {
            "questions": len(self.recall) + len(self.absent_tokens),
            "recall_at_k": mean(self.recall),
            "by_category": {c: mean(v) for c, v in sorted(self.by_category.items())},
            "latest_first": mean(self.latest_first),
            "tokens_mean": mean(self.tokens), "tokens_p95": _p95(self.tokens),
            "tokens_max": max(self.tokens) if self.tokens else None,
            "absent_tokens_mean": mean(self.absent_tokens),
            "latency_p95_ms": _p95(self.latency_ms) if self.latency_ms else None,
            "judge_accuracy": mean(self.judged),
        }  # fmt: skip


def _latest_first(question: Question, ranked_turns: list[set[str]]) -> float:
    """1 when an item holding the evidence comes before any item holding a superseded turn."""
    for turns in ranked_turns:
        if turns & set(question.evidence):
            return 1.0
        if turns & set(question.superseded):
            return 0.0
    return 0.0


def _p95(xs: Sequence[float]) -> float | None:
    if not xs:
        return None
    ordered = sorted(xs)
    return round(float(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]), 3)


@dataclass(frozen=True, kw_only=True)
class Report:
    part: str
    tenants: int
    k: int
    embedding_model: str | None
    systems: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "tenants": self.tenants, "k": self.k,
                "embedding_model": self.embedding_model, "systems": self.systems}  # fmt: skip


def evaluate(
    histories: Sequence[History], store_for: Callable[[FrozenClock], MemoryStore],
    embedder: Embedder | None, *, part: str = "test", k: int = K,
    config: MemoryConfig | None = None, progress: Callable[[int], None] | None = None,
    judge: Judge | None = None,
) -> Report:  # fmt: skip
    """Feed every history through memory and score its questions, beside the baselines.

    ``store_for(clock)`` opens an empty store on that clock (one per run: tenants are isolated
    in it as in production)."""
    chosen = select(histories, part)
    clock = FrozenClock(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    store = store_for(clock)
    config = dataclasses.replace(config or MemoryConfig(), top_k=k)
    memory = Memory(store, clock, embedders=(lambda ai, mode=None: embedder), config=config)
    ours, bm25, full = Scores(), Scores(), Scores()
    for history in chosen:
        turn_ref = _ingest(memory, store, clock, history)
        turns = [t for s in history.sessions for t in s["turns"]]
        for question in history.questions:
            clock.set(question.asked_at)
            # The product's own recall, in a session of its own: the ranked entries it gives the
            # provider are the items scored, its time is the latency.
            recall = memory.recall(history.tenant_id, f"eval-{question.question_id}",
                                   question.question)  # fmt: skip
            ours.latency_ms.append(recall.latency_ms)
            ranked = recall.entries
            items = [{turn_ref.get(t, t) for t in r.entry["source_turns"]} for r in ranked]
            ours.add(question, set().union(*items) if items else set(), items, recall.tokens)
            asked = [t for t in turns if datetime.fromisoformat(t["ts"]) <= question.asked_at]
            top = _bm25_turns(asked, question.question, k)
            bm25.add(question, {t["turn_id"] for t in top}, [{t["turn_id"]} for t in top],
                     sum(mtext.estimate_tokens(t["content"]) for t in top))  # fmt: skip
            full.add(question, {t["turn_id"] for t in asked}, [{t["turn_id"]} for t in reversed(asked)],
                     sum(mtext.estimate_tokens(t["content"]) + 4 for t in asked))  # fmt: skip
            if judge is not None:
                gold = history.answers.get(question.question_id)
                contexts = (
                    (ours, recall.instructions()),
                    (bm25, _lines(top)),
                    (full, _lines(asked)),
                )
                for scores, context in contexts:
                    scores.judged.append(1.0 if judge(question.question, context, gold) else 0.0)
        if progress:
            progress(1)
    return Report(part=part, tenants=len(chosen), k=k,
                  embedding_model=embedder.model if embedder else None,
                  systems={"memory": ours.summary(), "bm25_turns": bm25.summary(),
                           "full_context": full.summary()})  # fmt: skip


def _ingest(
    memory: Memory, store: MemoryStore, clock: FrozenClock, history: History
) -> dict[str, str]:
    """Feed a history through :meth:`Memory.remember`; the eval's turn id of each stored turn
    reference (``<session>#<turn_no>``)."""
    store.tenants.add(history.tenant_id)
    refs: dict[str, str] = {}
    for session in history.sessions:
        sid = session["session_id"]
        for user, assistant, number in _exchanges(session["turns"]):
            clock.set(datetime.fromisoformat(user["ts"]))
            chain = env.Chain(tenant_id=history.tenant_id, clock=clock,
                              correlation_id=env.new_id(), trace_id=env.new_id())  # fmt: skip
            with store.transaction():
                store.events.append_many(
                    memory.remember(
                        chain, sid, user["content"], assistant["content"] if assistant else ""
                    )
                )
            refs[f"{sid}#{number}"] = user["turn_id"]
    return refs


def _exchanges(
    turns: Sequence[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, int]]:
    """(user turn, the assistant's reply or None, the user turn's number in the stored session):
    the store numbers a session's turns 1, 2, … two per exchange."""
    number, i = 0, 0
    while i < len(turns):
        if turns[i]["role"] != "user":
            i += 1
            continue
        reply = turns[i + 1] if i + 1 < len(turns) and turns[i + 1]["role"] == "assistant" else None
        yield turns[i], reply, number + 1
        number += 2
        i += 2 if reply else 1


def _lines(turns: Sequence[dict[str, Any]]) -> str:
    return "\n".join(f"[{t['ts'][:10]}] {t['role']}: {t['content']}" for t in turns)


def _bm25_turns(turns: Sequence[dict[str, Any]], query: str, k: int) -> list[dict[str, Any]]:
    """The baseline: Okapi BM25 (k1 1.2, b 0.75) over whole turns, with memory's own terms."""
    docs = [Counter(mtext.terms(t["content"])) for t in turns]
    if not docs:
        return []
    avgdl = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df = Counter(term for d in docs for term in d)
    n = len(docs)
    query_terms = set(mtext.terms(query))
    scores = []
    for i, d in enumerate(docs):
        length = sum(d.values())
        score = sum(
            math.log(1 + (n - df[q] + 0.5) / (df[q] + 0.5)) * d[q] * 2.2
            / (d[q] + 1.2 * (0.25 + 0.75 * length / avgdl))
            for q in query_terms if q in d
        )  # fmt: skip
        if score > 0:
            scores.append((-score, i))
    return [turns[i] for _, i in sorted(scores)[:k]]


def table(report: Report) -> list[dict[str, Any]]:
    """The report as rows (one per system) for printing."""
    rows = []
    for name, s in report.systems.items():
        rows.append({"system": name, "recall@k": s["recall_at_k"], **{c: s["by_category"].get(c) for c in CATEGORIES[:-1]},
                     "latest_first": s["latest_first"], "tokens_mean": s["tokens_mean"],
                     "tokens_max": s["tokens_max"], "absent_tokens": s["absent_tokens_mean"],
                     "latency_p95_ms": s["latency_p95_ms"]})  # fmt: skip
    return rows


def dumps(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)
