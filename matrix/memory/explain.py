"""Memory explained to a person: what it did on one trace, and how a recall ranked its facts.

- :func:`steps` — the memory events of a trace in words: the facts a turn recalled (with the
  tokens they took and the time it took), the entries promoted or superseded, the episodes
  closed. Each names the facts themselves, read from the tenant's entries, not only their ids.
  The trace view and the notebooks show them.
- :func:`ranking` — each recalled fact's two ranks and the parts of its score: reciprocal rank
  fusion, ``1 / (60 + rank)`` for each search that found it, plus the salience, recency and
  promotion prior.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matrix import envelopes as env
from matrix.memory.recall import RRF_K, Recall

if TYPE_CHECKING:  # the service is passed in; this module only reads through it
    from matrix.memory.service import Memory

RECALLED = "owner.memory.recalled"
PROMOTED = "owner.context.promoted"
SUPERSEDED = "owner.memory.superseded"
EPISODE = "memory.episode.created"
FROM_EPISODE = "memory.promoted.from_episode"
NAMES = (RECALLED, PROMOTED, SUPERSEDED, EPISODE, FROM_EPISODE)


@dataclass(frozen=True, kw_only=True)
class MemoryStep:
    """One memory event of a trace, as a person reads it."""

    at: str
    name: str
    summary: str
    facts: tuple[str, ...] = ()
    """The texts the step is about: the facts recalled, the entry promoted, the old and the new
    statement of a superseded fact, an episode's summary."""
    tokens: int | None = None
    latency_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "name": self.name, "summary": self.summary, "facts": list(self.facts),
                "tokens": self.tokens, "latency_ms": self.latency_ms}  # fmt: skip


def steps(memory: Memory, tenant_id: str, events: Sequence[env.Envelope]) -> list[MemoryStep]:
    """The memory steps among ``events`` (one trace of ``tenant_id``), in order."""
    mine = [e for e in events if e["name"] in NAMES]
    ids = sorted({str(e["payload"][key]) for e in mine for key in ("memory_id", "superseded_by")
                  if e["payload"].get(key)})  # fmt: skip
    contents: dict[str, str] = {}
    if ids:
        with memory.store.transaction():  # tenant-scoped: another tenant's id reads as unknown
            found = memory.store.memory.entries(tenant_id, ids=ids, limit=len(ids))
        contents = {e["memory_id"]: e["content"] for e in found}
    return [_step(e, contents) for e in mine]


def _step(event: env.Envelope, contents: dict[str, str]) -> MemoryStep:
    p, name, at = event["payload"], event["name"], env.occurred_at(event)

    def text(memory_id: str) -> str:
        return contents.get(memory_id, f"entry {memory_id[:8]}… (not found)")

    if name == RECALLED:
        facts = tuple(p["facts"])
        parts = [f"Recalled {_count(len(facts), 'fact')}", f"{p['tokens']:,} tokens of {p['budget']:,}",
                 f"{p['latency_ms']:,.1f} ms", f"{_count(p['short_turns'], 'turn')} of the session",
                 _count(p["episodes"], "episode")]  # fmt: skip
        if p.get("degraded"):
            parts.append(f"vector search left out ({p['degraded']})")
        elif p.get("embedding_model"):
            parts.append(f"embedded with {p['embedding_model']}")
        return MemoryStep(at=at, name=name, summary=", ".join(parts), facts=facts,
                          tokens=int(p["tokens"]), latency_ms=float(p["latency_ms"]))  # fmt: skip
    if name == PROMOTED:
        content = text(p["memory_id"])
        return MemoryStep(at=at, name=name, facts=(content,), summary=(
            f"Promoted to long memory (salience {float(p['salience_score']):.2f}): {content}"))  # fmt: skip
    if name == SUPERSEDED:
        old, new = text(p["memory_id"]), text(p["superseded_by"])
        about = f" (subject: {p['subject_key']})" if p.get("subject_key") else ""
        return MemoryStep(at=at, name=name, facts=(old, new),
                          summary=f"No longer valid{about}: {old} Replaced by: {new}")  # fmt: skip
    if name == EPISODE:
        summary = p.get("summary") or "no statement stood out"
        return MemoryStep(at=at, name=name, facts=(summary,) if p.get("summary") else (),
                          summary=f"Episode closed at turn {p['turn_count']}: {summary}")  # fmt: skip
    content = text(p["memory_id"])  # FROM_EPISODE
    return MemoryStep(at=at, name=name, facts=(content,),
                      summary=f"Promoted from the episode at turn {p['turn_count']}: {content}")  # fmt: skip


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def ranking(recall: Recall) -> list[dict[str, Any]]:
    """The recall's facts best first, each with its BM25 and cosine rank and score, its RRF
    score (``1 / (RRF_K + rank)`` summed over the searches that found it), its BM25 lead, its
    prior, and the total it was ranked by."""
    out = []
    for place, r in enumerate(recall.entries, start=1):
        bm25 = 1 / (RRF_K + r.lexical_rank) if r.lexical_rank is not None else 0.0
        cosine = 1 / (RRF_K + r.vector_rank) if r.vector_rank is not None else 0.0
        out.append({
            "place": place, "content": r.entry["content"], "status": r.entry["status"],
            "bm25_rank": r.lexical_rank, "bm25_score": round(r.lexical_score, 4),
            "cosine_rank": r.vector_rank, "cosine": round(r.vector_score, 4),
            "rrf_bm25": bm25, "rrf_cosine": cosine, "rrf": bm25 + cosine,
            "bm25_lead": r.lead, "prior": r.score - bm25 - cosine - r.lead, "score": r.score,
        })  # fmt: skip
    return out
