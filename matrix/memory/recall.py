"""Recall: what memory adds to the provider's prompt for one owner turn.

Long-term entries are ranked by reciprocal rank fusion (RRF, k = 60, as Letta and Graphiti use)
of two searches — BM25 over their terms, cosine over their vectors of the tenant's embedding
model — plus a small prior for salience, recency and promotion. Only live entries (candidate or
promoted) take part, so the latest valid statement of a fact stands where a superseded one would.
An entry is kept only when something matched it: a term, or a cosine of at least
``MIN_COSINE`` — the nearest vector is always *some* vector. A question's shape (rules as data in
``data/rules.json``) favours the entries it asks about: preferences for "how do I like…", recent
statements for "…these days?". Within the top, the latest statement of a fact comes first (the
earliest, for a question about how something began). The weights below were set on the ``dev``
part of the labelled histories (:mod:`matrix.memory.evaluate`) and are judged on ``test``.

The recall for a turn is the ranked entries, the session's last turns and its latest episode
summaries, each cut to its share of the token budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matrix.memory import extract
from matrix.memory import text as mtext
from matrix.memory.entries import LIVE
from matrix.memory.ports import MemoryRepository, Record

RRF_K = 60
CANDIDATES = 50
"""How many results each search hands to the fusion."""
POOL = 3
"""Each search ranks this many times ``CANDIDATES`` of the tenant's entries whatever their status
and session; the read of the candidates keeps those recall may return (see ``_searched``)."""
MIN_COSINE = 0.1
SALIENCE_WEIGHT = 0.004
RECENCY_WEIGHT = 0.004
RECENCY_HALF_LIFE_DAYS = 30.0
PROMOTED_WEIGHT = 0.001
CURRENT_RECENCY_WEIGHT = 0.012
"""The recency prior for a question about how things stand now ("…these days?")."""
FAVOURED_WEIGHT = 0.006
"""An entry whose tag the question's shape favours (a preference, for "how do I like…")."""
LEXICAL_LEAD_WEIGHT = 0.018
LEXICAL_LEAD_POWER = 4
"""The lexical search's own score counts beside its rank: an entry whose BM25 score is close to
the best one's gains up to this weight (RRF alone gives a clear lexical winner no more than
an entry the weaker vector search ranked as high)."""
SUCCESSORS = 2
"""At most this many later changes pulled in beside the entries they update, per recall."""
SHARES = {"entries": 0.45, "short": 0.4, "episodes": 0.15}
"""The token budget's shares; what one part leaves unused goes to the next."""


@dataclass(frozen=True, kw_only=True)
class Ranked:
    """One long-term entry as recall ranked it."""

    entry: Record
    """The entry's columns recall reads (``RECALL_COLUMNS`` of the store: its id, session,
    source, status, text, salience, tags, when it was said and its source turns)."""
    score: float
    lexical_rank: int | None
    lexical_score: float
    vector_rank: int | None
    vector_score: float
    lead: float = 0.0
    """The part of ``score`` that the BM25 score's lead over the other matches gave."""

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "memory_id": e["memory_id"], "session_id": e["session_id"], "source": e["source"],
            "status": e["status"], "content": e["content"], "salience_score": e["salience"],
            "tags": e["tags"], "valid_at": e["valid_at"].isoformat(), "score": round(self.score, 6),
            "lexical_rank": self.lexical_rank, "lexical_score": round(self.lexical_score, 6),
            "vector_rank": self.vector_rank, "vector_score": round(self.vector_score, 6),
        }  # fmt: skip


def rank(
    repo: MemoryRepository, tenant_id: str, query: str, *, now: datetime, top_k: int,
    vector: Sequence[float] | None = None, model: str | None = None,
    session_id: str | None = None, statuses: Sequence[str] = LIVE,
    min_cosine: float | None = None,
) -> list[Ranked]:  # fmt: skip
    """The tenant's best ``top_k`` entries for ``query``, best first."""
    floor = MIN_COSINE if min_cosine is None else min_cosine
    asked = mtext.terms(query)
    lexical, nearest, entries = _searched(repo, tenant_id, asked + extract.related_terms(asked),
                                          vector, model, statuses, session_id)  # fmt: skip
    nearest = [(m, s) for m, s in nearest if s >= floor]
    lex, vec = _ranks(lexical), _ranks(nearest)
    ids = list(dict.fromkeys([*lex, *vec]))
    shape = extract.query_shape(query)
    favoured = shape.tags
    recency = CURRENT_RECENCY_WEIGHT if shape.recent else RECENCY_WEIGHT
    best_lexical = lexical[0][1] if lexical else 0.0
    ranked = []
    for memory_id in ids:
        entry = entries.get(memory_id)
        if entry is None:
            continue
        lr, lf, ls = lex.get(memory_id, (None, None, 0.0))
        vr, vf, vs = vec.get(memory_id, (None, None, 0.0))
        lead = LEXICAL_LEAD_WEIGHT * (ls / best_lexical) ** LEXICAL_LEAD_POWER if ls > 0 else 0.0
        fused = sum(1 / (RRF_K + r) for r in (lf, vf) if r is not None) + lead
        age = max(0.0, (now - entry["valid_at"]).total_seconds() / 86400)
        prior = (SALIENCE_WEIGHT * float(entry["salience"])
                 + recency * math.exp(-age * math.log(2) / RECENCY_HALF_LIFE_DAYS)
                 + (PROMOTED_WEIGHT if entry["status"] == "promoted" else 0.0)
                 + (FAVOURED_WEIGHT if favoured & set(entry["tags"]) else 0.0))  # fmt: skip
        ranked.append(Ranked(entry=entry, score=fused + prior, lexical_rank=lr, lexical_score=ls,
                             vector_rank=vr, vector_score=vs, lead=lead))  # fmt: skip
    # Equal scores: the later statement first, then by text, so the order does not hang on
    # random ids.
    ranked.sort(key=lambda r: (-r.score, -r.entry["valid_at"].timestamp(), r.entry["content"],
                               r.entry["memory_id"]))  # fmt: skip
    # Only the order within the top changes (moving a later statement up from further down
    # cost recall on the dev part).
    top = ranked[:top_k]
    if not shape.original:
        top = successors(repo, tenant_id, top, top_k, statuses=statuses)
    return latest_first(top, query, oldest=shape.original)


def _ranks(scored: list[tuple[str, float]]) -> dict[str, tuple[int, float, float]]:
    """Each entry's place in a search's results (best first; equal scores share the first of
    theirs), the rank the fusion takes, and its score. Equal scores fuse at the mean of their
    places, so the fusion does not hang on the order the store gave them in (by random id: the
    same statement said twice scores the same) and a crowd of equal matches weighs what it did
    spread over its places."""
    ranks: dict[str, tuple[int, float, float]] = {}
    start = 0
    for end in range(1, len(scored) + 1):
        if end == len(scored) or not math.isclose(scored[end][1], scored[start][1],
                                                  rel_tol=1e-9, abs_tol=1e-12):  # fmt: skip
            for memory_id, score in scored[start:end]:
                ranks[memory_id] = (start + 1, (start + 1 + end) / 2, score)
            start = end
    return ranks


def _searched(
    repo: MemoryRepository, tenant_id: str, terms: list[str], vector: Sequence[float] | None,
    model: str | None, statuses: Sequence[str], session_id: str | None,
) -> tuple[list[tuple[str, float]], list[tuple[str, float]], dict[str, Record]]:  # fmt: skip
    """Both searches' best ``CANDIDATES`` entries in ``statuses`` (and ``session_id``), and what
    ranking needs of each of them. Each search first ranks entries of any status and session,
    reading only its terms or vectors (narrowing by status inside the search cost a second pass
    over the tenant's entries, as much as the search itself); the candidates' facts, read with
    them, keep those recall may return. Only when fewer than ``CANDIDATES`` of a full pool are
    kept is that search run again, narrowed, so the result is the narrowed search's either way."""
    wide = CANDIDATES * POOL
    lexical, nearest, entries = repo.search(tenant_id, terms, vector=vector, model=model,
                                            statuses=statuses, session_id=session_id, limit=wide)  # fmt: skip

    def narrowed(pool: list[tuple[str, float]],
                 again: Callable[[], list[tuple[str, float]]]) -> list[tuple[str, float]]:  # fmt: skip
        kept = [(m, s) for m, s in pool if m in entries][:CANDIDATES]
        return again() if len(pool) == wide and len(kept) < CANDIDATES else kept

    lexical = narrowed(lexical, lambda: repo.bm25(tenant_id, terms, statuses=statuses,
                                                  session_id=session_id, limit=CANDIDATES))  # fmt: skip
    if nearest:
        nearest = narrowed(nearest, lambda: repo.nearest(
            tenant_id, str(model), vector or (), statuses=statuses, session_id=session_id,
            limit=CANDIDATES, within=[m for m, _ in lexical]))  # fmt: skip
    missing = [m for m, _ in [*lexical, *nearest] if m not in entries]
    if missing:
        entries |= repo.ranking_facts(tenant_id, missing, statuses=statuses, session_id=session_id)
    return lexical, nearest, entries


def successors(
    repo: MemoryRepository, tenant_id: str, top: list[Ranked], top_k: int, *,
    statuses: Sequence[str],
) -> list[Ranked]:  # fmt: skip
    """A change the owner announced later about someone a statement names comes right before
    that statement, even when the question shares no word with the change: "change of plan:
    Yasmin covers for me from now on, Declan has enough on his plate" before "when I'm away,
    Declan is in charge". A change is a live entry tagged ``update``, said after the statement,
    naming one of its names; the newest one is taken, for at most :data:`SUCCESSORS`
    statements; past ``top_k`` the lowest scores give way."""
    named = {r.entry["memory_id"]: mtext.names(r.entry["content"]) for r in top}
    wanted = sorted(set().union(*named.values())) if named else []
    if not wanted:
        return top
    changes = repo.changes_naming(tenant_id, wanted, statuses=statuses, limit=CANDIDATES)
    present = {r.entry["memory_id"] for r in top}
    out: list[Ranked] = []
    pulled = 0
    for item in top:
        names, said = named.get(item.entry["memory_id"], frozenset()), item.entry["valid_at"]
        later = [e for e in changes if e["memory_id"] not in present and e["valid_at"] > said
                 and names & mtext.names(e["content"])]  # fmt: skip
        if later and pulled < SUCCESSORS:
            newest = max(later, key=lambda e: (e["valid_at"], e["memory_id"]))
            out.append(Ranked(entry=newest, score=item.score, lexical_rank=None, lexical_score=0.0,
                              vector_rank=None, vector_score=0.0))  # fmt: skip
            present.add(newest["memory_id"])
            pulled += 1
        out.append(item)
    # Room for the changes: the lowest-scored of the top leave (``top`` is best first).
    over = len(out) - top_k
    leaving = {id(r) for r in top[len(top) - over :]} if over > 0 else set()
    return [r for r in out if id(r) not in leaving]


def latest_first(ranked: list[Ranked], query: str, *, oldest: bool = False) -> list[Ranked]:
    """Within each group of entries about the same thing the question names, the latest
    statement takes the group's best place, so the current value of a fact comes before what it
    replaced (the earliest first, ``oldest``, for a question about how things began). Two entries
    are in one group when they share a query term that some other entry lacks, or a name;
    groups chain ("a avença mensal … agora" with both the old price and another change said
    "agora"). Only places within a group change, never the set."""
    asked = set(mtext.terms(query))
    if len(ranked) < 2:
        return ranked
    words = [set(mtext.terms(r.entry["content"])) for r in ranked]
    said = [asked & w for w in words]
    spread = {t: sum(t in s for s in said) for t in asked}
    keys = [{t for t in terms if 1 < spread[t] < len(ranked)} | {"@" + n for n in
             mtext.names(r.entry["content"])} for terms, r in zip(said, ranked, strict=True)]  # fmt: skip
    group = list(range(len(ranked)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    # A change ("from now on Matt is in charge when I'm not here") joins the statements it
    # shares any word with, asked or not.
    change = ["update" in r.entry["tags"] for r in ranked]
    for i in range(len(ranked)):
        for j in range(i + 1, len(ranked)):
            if keys[i] & keys[j] or ((change[i] or change[j]) and words[i] & words[j]):
                group[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for i in range(len(ranked)):
        members.setdefault(root(i), []).append(i)
    out = list(ranked)
    for places in members.values():
        by_time = sorted((ranked[i] for i in places), key=lambda r: r.entry["valid_at"],
                         reverse=not oldest)  # fmt: skip
        for place, item in zip(places, by_time, strict=True):
            out[place] = item
    return out


@dataclass(frozen=True, kw_only=True)
class Recall:
    """What memory adds to one owner turn, cut to the budget."""

    entries: tuple[Ranked, ...] = ()
    short: tuple[Record, ...] = ()
    episodes: tuple[Record, ...] = ()
    tokens: int = 0
    budget: int = 0
    latency_ms: float = 0.0
    embedding_model: str | None = None
    degraded: str | None = None
    """Why the vector search was left out (the embedder failed), if it was."""
    query: Any = None
    """How the turn's text was embedded (:class:`matrix.memory.service.Query`), for its cost."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hit(self) -> bool:
        return bool(self.entries)

    def facts(self) -> list[str]:
        return [r.entry["content"] for r in self.entries]

    def instructions(self) -> str:
        """The long-term entries and episode summaries as prompt text (the short memory goes to
        the provider as conversation turns)."""
        parts = []
        if self.entries:
            lines = "\n".join(f"- {r.entry['content']} (said {r.entry['valid_at']:%Y-%m-%d})"
                              for r in self.entries)  # fmt: skip
            parts.append(
                "What the owner told you before (the latest statement of a fact wins):\n" + lines
            )
        if self.episodes:
            lines = "\n".join(f"- turn {e['turn_count']}: {e['summary']}" for e in self.episodes)
            parts.append("Earlier in this session:\n" + lines)
        return "\n\n".join(parts)

    def trace(self) -> dict[str, Any]:
        """The recall as the trace shows it."""
        return {
            "memory_ids": [r.entry["memory_id"] for r in self.entries],
            "facts": [r.entry["content"][:200] for r in self.entries],
            "short_turns": len(self.short), "episodes": len(self.episodes),
            "tokens": self.tokens, "budget": self.budget, "latency_ms": round(self.latency_ms, 3),
            "embedding_model": self.embedding_model, "degraded": self.degraded,
        }  # fmt: skip


def assemble(
    ranked: Sequence[Ranked], short: Sequence[Record], episodes: Sequence[Record], *,
    budget: int, started: float, embedding_model: str | None, degraded: str | None,
) -> Recall:  # fmt: skip
    """Cut the parts to the budget: entries best first, turns newest first, episodes newest
    first; each part gets its share plus what the parts before it left."""
    left = total = 0
    kept: dict[str, list[Any]] = {}
    # (part, its items in the order they are kept, the text each costs, the lines around it)
    parts: tuple[tuple[str, list[Any], str, int], ...] = (
        ("entries", [r.entry for r in ranked], "content", 6),
        ("short", list(reversed(short)), "content", 4),
        ("episodes", list(episodes), "summary", 6),
    )
    for name, items, field_name, overhead in parts:
        share, used = min(int(budget * SHARES[name]) + left, budget - total), 0
        kept[name] = []
        for item in items:
            cost = mtext.estimate_tokens(item[field_name]) + overhead
            if used + cost > share:
                break
            kept[name].append(item)
            used += cost
        left, total = share - used, total + used
    kept_entries = list(ranked)[: len(kept["entries"])]
    kept_short, kept_episodes = kept["short"][::-1], kept["episodes"]
    return Recall(entries=tuple(kept_entries), short=tuple(kept_short), episodes=tuple(kept_episodes),
                  tokens=total, budget=budget, latency_ms=(time.perf_counter() - started) * 1000,
                  embedding_model=embedding_model, degraded=degraded)  # fmt: skip
