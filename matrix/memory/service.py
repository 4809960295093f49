"""Memory for one store: what the concierge calls on every owner turn, and what the API, the
command line and the notebooks read and change.

- :meth:`Memory.recall` — before the provider is asked: the query is embedded outside any
  transaction (an embedder may call a network service), then the ranked long-term entries, the
  session's last turns and its latest episodes are read in one transaction and cut to the token
  budget. A failing embedder leaves the vector search out of that recall (``degraded``).
- :meth:`Memory.remember` — in the interaction's last transaction: the two turns, an episode
  when the session's turn count reaches the next multiple of the threshold (once: the count is
  every turn ever stored, not the trimmed window — the origin's storm), the owner's statements
  as long-term entries, and the events of all that, returned for the caller to append.
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.errors import NotFoundError, ProviderError, UsageError
from matrix.memory import extract, usage
from matrix.memory import recall as ranking
from matrix.memory import text as mtext
from matrix.memory.entries import LIVE, Added, LongMemory, NewEntry
from matrix.memory.ports import Embedder, EmbedderSelector, MemoryStore, Record
from matrix.memory.recall import Recall

if TYPE_CHECKING:  # the concierge imports memory; memory needs only its type
    from matrix.concierge.ports import TenantAI

FLOAT32_MAX = 3.4028234663852886e38
"""The largest number a vector holds: both stores keep and compare 32-bit floats."""


@dataclass(frozen=True, kw_only=True)
class Query:
    """A turn's text embedded for recall: the embedder, the vector, why there is none (the
    embedder's failure), and what a remote model's call cost (tokens, milliseconds)."""

    embedder: Embedder | None = None
    vector: list[float] | None = None
    degraded: str | None = None
    tokens: int = 0
    latency_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class MemoryConfig:
    short_turns: int = 20
    """Turns kept per (tenant, session)."""
    episode_turns: int = 10
    """An episode every this many turns of a session."""
    recall_tokens: int = 2000
    """The most tokens recall adds to one provider request."""
    top_k: int = 10
    episodes_recalled: int = 3
    promotion_mode: str = "policy-gated"


class Memory:
    """Short, medium and long memory of every tenant of one store."""

    def __init__(
        self, store: MemoryStore, clock: Clock, embedders: EmbedderSelector | None = None,
        config: MemoryConfig | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.embedders = embedders
        self.config = config or MemoryConfig()
        self.long = LongMemory(store.memory)

    # -- embedding ----------------------------------------------------------------------------

    def embedder(self, ai: TenantAI | None) -> Embedder | None:
        if self.embedders is None:
            return None
        return self.embedders(ai)

    def embeds_remotely(self, ai: TenantAI | None) -> bool:
        """Whether the tenant's query embedding calls a network service (then no transaction
        may be open around :meth:`recall`)."""
        embedder = self._available_embedder(ai)
        return embedder is not None and embedder.remote

    def _available_embedder(self, ai: TenantAI | None) -> Embedder | None:
        """The tenant's embedder, or None when it has none or it cannot be built (no key for
        strict OpenAI): that tenant's memory works by keywords alone."""
        try:
            return self.embedder(ai)
        except ProviderError:
            return None

    def query_vector(self, ai: TenantAI | None, text: str) -> Query:
        """The text embedded by the tenant's embedder (none in mode off), or why it is not."""
        try:
            embedder = self.embedder(ai)
            if embedder is None:
                return Query()
            vectors, tokens, latency_ms = usage.embed_counted(embedder, [text])
            return Query(embedder=embedder, vector=vectors[0], tokens=tokens, latency_ms=latency_ms)
        except ProviderError as exc:
            return Query(degraded=exc.code)

    # -- recall -------------------------------------------------------------------------------

    def recall(
        self, tenant_id: str, session_id: str, text: str, ai: TenantAI | None = None,
        *, query: Query | None = None,
    ) -> Recall:  # fmt: skip
        """What memory adds to the provider request for this owner turn (``query``: the text's
        vector from :meth:`query_vector`, when it was embedded before)."""
        started = time.perf_counter()
        asked = query if query is not None else self.query_vector(ai, text)
        embedder, vector = asked.embedder, asked.vector
        cfg = self.config
        with self.store.transaction():
            ranked = ranking.rank(
                self.store.memory, tenant_id, text, now=self.clock.now(), top_k=cfg.top_k,
                vector=vector, model=embedder.model if embedder else None,
            )  # fmt: skip
            short = self.store.memory.turns(tenant_id, session_id, cfg.short_turns)
            episodes = self.store.memory.episodes(tenant_id, session_id, cfg.episodes_recalled)
        recalled = ranking.assemble(
            ranked, short, episodes, budget=cfg.recall_tokens, started=started,
            embedding_model=embedder.model if embedder else None, degraded=asked.degraded,
        )  # fmt: skip
        return dataclasses.replace(recalled, query=asked)

    def retrieve(
        self, tenant_id: str, text: str, *, ai: TenantAI | None = None, session_id: str | None = None,
        top_k: int = 5, min_score: float = 0.0, include_candidates: bool = False,
        include_archived: bool = False, strategy: str = "hybrid",
        vector: Sequence[float] | None = None,
    ) -> tuple[list[ranking.Ranked], str | None, str | None]:  # fmt: skip
        """Ranked entries for a query (the API's and the command line's retrieval), with the
        embedding model used and why the vector search was left out, if it was.

        ``vector`` is the query's own vector, in place of embedding ``text``: it must have the
        dimension of the tenant's embedding model (a vector is never compared with vectors of
        another length), else UsageError. The lexical strategy checks it and leaves it out.
        """
        statuses = ["promoted", *(["candidate"] if include_candidates else []),
                    *(["archived"] if include_archived else [])]  # fmt: skip
        embedder: Embedder | None
        degraded: str | None = None
        if vector is not None:
            embedder, vector = self.checked_vector(ai, vector), [float(x) for x in vector]
        elif strategy != "lexical":
            asked = self.query_vector(ai, text)
            embedder, vector, degraded = asked.embedder, asked.vector, asked.degraded
        if strategy == "lexical":
            embedder, vector = None, None
        with self.store.transaction():
            ranked = ranking.rank(
                self.store.memory, tenant_id, text, now=self.clock.now(), top_k=top_k,
                vector=vector, model=embedder.model if embedder else None,
                session_id=session_id, statuses=statuses,
            )  # fmt: skip
        return ([r for r in ranked if r.score >= min_score],
                embedder.model if embedder else None, degraded)  # fmt: skip

    def checked_vector(self, ai: TenantAI | None, vector: Sequence[float]) -> Embedder:
        """The tenant's embedder, when ``vector`` is one of its vectors: finite numbers, as many
        as the model makes.

        Raises:
            UsageError: the tenant has no embedding model, or the vector's length is not its
                dimension (both named), or a number is not finite or beyond a 32-bit float.
        """
        embedder = self._available_embedder(ai)
        if embedder is None:
            raise UsageError("The tenant has no embedding model (embedding is off), so a query"
                             " vector has nothing to be compared with; leave it out.")  # fmt: skip
        if not embedder.dimension:
            raise UsageError(f"The dimension of the tenant's embedding model {embedder.model} is"
                             " not known until it has embedded a text; leave the vector out.")  # fmt: skip
        if len(vector) != embedder.dimension:
            raise UsageError(
                f"The query vector has {len(vector)} numbers, but the tenant's embedding model"
                f" {embedder.model} makes vectors of {embedder.dimension}: give"
                f" {embedder.dimension} numbers, or leave it out."
            )
        if not all(math.isfinite(float(x)) for x in vector):
            raise UsageError(
                "The query vector holds a number that is not finite; give finite numbers."
            )
        if any(abs(float(x)) > FLOAT32_MAX for x in vector):
            raise UsageError(
                "The query vector holds a number beyond ±3.4e38, which vectors are compared in"
                " (32-bit floats); give smaller numbers (an embedding's are between -1 and 1)."
            )
        return embedder

    # -- remembering a turn -------------------------------------------------------------------

    def remember(
        self, chain: env.Chain, session_id: str, user_text: str, assistant_text: str, *,
        ai: TenantAI | None = None,
    ) -> list[env.Envelope]:  # fmt: skip
        """Store one exchange (inside the caller's transaction); the events to append."""
        now, tenant_id, cfg = self.clock.now(), chain.tenant_id, self.config
        repo = self.store.memory
        count = repo.append_turns(tenant_id, session_id, [("user", user_text), ("assistant", assistant_text)],
                                  now, keep=cfg.short_turns)  # fmt: skip
        user_turn = count - 1
        out: list[env.Envelope] = []
        embedder = self._local_embedder(ai)
        for found in extract.statements(user_text):
            added = self.long.add(
                NewEntry(tenant_id=tenant_id, session_id=session_id, content=found.content,
                         tags=found.tags, salience=found.salience, subject_key=found.subject_key,
                         source_turns=(f"{session_id}#{user_turn}",),
                         metadata={"cues": list(found.cues)}),
                at=now, actor="owner", correlation_id=chain.correlation_id, embedder=embedder,
                mode=cfg.promotion_mode,
            )  # fmt: skip
            out += self._added_events(chain, added)
        threshold = cfg.episode_turns
        if count // threshold > (count - 2) // threshold:
            out += self._episode(chain, session_id, (count // threshold) * threshold, now)
        return out

    def _local_embedder(self, ai: TenantAI | None) -> Embedder | None:
        """The tenant's embedder when it runs here (a remote one is left to the re-embed job)."""
        embedder = self._available_embedder(ai)
        return embedder if embedder is not None and not embedder.remote else None

    def _episode(
        self, chain: env.Chain, session_id: str, turn_count: int, now: datetime
    ) -> list[env.Envelope]:
        repo, tenant_id = self.store.memory, chain.tenant_id
        first = turn_count - self.config.episode_turns + 1
        turns = [(t["turn_no"], t["role"], t["content"])
                 for t in repo.turns(tenant_id, session_id, self.config.short_turns)
                 if first <= t["turn_no"] <= turn_count]  # fmt: skip
        summary, highlights = extract.summarise(turns)
        event = chain.event("memory.episode.created", env.OWNER, env.OWNER, status="info",
                            payload={"tenant_id": tenant_id, "session_id": session_id,
                                     "turn_count": turn_count, "summary": summary or None})  # fmt: skip
        stored = repo.add_episode({
            "episode_id": str(uuid.uuid4()), "tenant_id": tenant_id, "session_id": session_id,
            "turn_count": turn_count, "first_turn": first, "last_turn": turn_count,
            "summary": summary, "summary_source": "extractive", "event_id": event["event_id"],
            "created_at": now, "updated_at": now,
        })  # fmt: skip
        if not stored:
            return []
        out = [event]
        # What stood out in the episode is promoted into long memory (it is there already, as
        # candidates from its turns): no second copy of the same words.
        for content in highlights:
            entry = repo.live_by_hash(tenant_id, mtext.content_hash(content))
            if (entry is None or entry["status"] != "candidate"
                    or entry["salience"] < extract.rules().episode_highlight):  # fmt: skip
                continue
            promoted = self.long.promote_by_rule(
                entry, "episode_highlight", chain.correlation_id, now
            )
            out.append(chain.event("memory.promoted.from_episode", env.OWNER, env.OWNER, status="info",
                                   payload={"tenant_id": tenant_id, "session_id": session_id,
                                            "turn_count": turn_count, "memory_id": promoted["memory_id"],
                                            "episode_event_id": event["event_id"]}))  # fmt: skip
            out.append(promoted_event(chain, promoted))
        return out

    def _added_events(self, chain: env.Chain, added: Added) -> list[env.Envelope]:
        out = []
        if added.promoted_by:
            out.append(promoted_event(chain, added.entry))
        for old in added.superseded:
            out.append(chain.event("owner.memory.superseded", env.OWNER, env.OWNER, status="info",
                                   payload={"memory_id": old, "superseded_by": added.entry["memory_id"],
                                            "subject_key": added.entry["subject_key"] or ""}))  # fmt: skip
        return out

    # -- what a recall leaves in the trace and the telemetry ------------------------------------

    def recalled_event(self, chain: env.Chain, session_id: str, recall: Recall) -> env.Envelope:
        """``owner.memory.recalled``: what the provider was given, on the turn's trace."""
        return chain.event("owner.memory.recalled", env.OWNER, env.OWNER, status="info",
                           payload={"session_id": session_id, **recall.trace()})  # fmt: skip

    def recall_rows(self, tenant_id: str, recall: Recall, correlation_id: str) -> list[Record]:
        """The recall's telemetry: its ``memory_recall`` row (its latency, the tokens it added as
        ``input_tokens``, status ``hit`` or ``miss``: whether long memory had anything), and the
        ``provider_call`` row of the query's embedding when a remote model made it."""
        asked = recall.query
        rows = [self._recall_row(tenant_id, recall, correlation_id)]
        if isinstance(asked, Query) and asked.embedder is not None and asked.embedder.remote:
            rows.append(usage.call_row(tenant_id, asked.embedder, name="memory.embed",
                                       at=self.clock.now(), tokens=asked.tokens,
                                       latency_ms=asked.latency_ms, correlation_id=correlation_id))  # fmt: skip
        return rows

    def _recall_row(self, tenant_id: str, recall: Recall, correlation_id: str) -> Record:
        return {
            "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "memory_recall",
            "name": "memory.recall", "module": env.OWNER, "status": "hit" if recall.hit else "miss",
            "latency_ms": recall.latency_ms, "feature": "memory", "correlation_id": correlation_id,
            "input_tokens": recall.tokens, "model": recall.embedding_model,
            "error_code": recall.degraded,
        }  # fmt: skip

    # -- entries the API and the command line manage --------------------------------------------

    def add(
        self, tenant_id: str, session_id: str, content: str, *, source: str = "user_message",
        tags: Sequence[str] = (), salience: float = 0.5, external_key: str | None = None,
        memory_id: str | None = None, metadata: dict[str, Any] | None = None,
        ai: TenantAI | None = None, actor: str = "api", correlation_id: str | None = None,
    ) -> Added:  # fmt: skip
        """Keep one entry as a caller states it (a candidate; merged or idempotent as usual); an
        entry it supersedes is an ``owner.memory.superseded`` event, as in a conversation."""
        embedder = self._local_embedder(ai)
        chain = env.Chain(tenant_id=tenant_id, clock=self.clock,
                          correlation_id=correlation_id or env.new_id(), trace_id=env.new_id())  # fmt: skip
        stated = extract.statements(content)
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            added = self.long.add(
                NewEntry(tenant_id=tenant_id, session_id=session_id, content=content, source=source,
                         tags=tuple(tags), salience=salience, external_key=external_key,
                         memory_id=memory_id, metadata=metadata or {},
                         subject_key=stated[0].subject_key if len(stated) == 1 else None),
                at=self.clock.now(), actor=actor, correlation_id=chain.correlation_id,
                embedder=embedder, mode="manual-review",
            )  # fmt: skip
            events = self._added_events(chain, added)
            if events:
                self.store.events.append_many(events)
            return added

    def transition(
        self, tenant_id: str, memory_id: str, action: str, *, reason_code: str = "manual",
        actor: str = "owner", correlation_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> tuple[Record, env.Chain]:  # fmt: skip
        """Promote or archive a candidate; a promotion emits ``owner.context.promoted``.
        ``details`` (the caller's metadata) are kept in the change's audit row."""
        chain = env.Chain(tenant_id=tenant_id, clock=self.clock,
                          correlation_id=correlation_id or env.new_id(), trace_id=env.new_id())  # fmt: skip
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            entry = self.long.transition(tenant_id, memory_id, action, reason_code=reason_code,
                                         actor=actor, correlation_id=chain.correlation_id,
                                         at=self.clock.now(), details=details)  # fmt: skip
            if entry["status"] == "promoted":
                self.store.events.append_many([promoted_event(chain, entry)])
        return entry, chain

    def entries(
        self, tenant_id: str, *, session_id: str | None = None, status: str | None = None,
        limit: int = 1000,
    ) -> list[Record]:  # fmt: skip
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            return self.store.memory.entries(tenant_id, session_id=session_id,
                                             statuses=[status] if status else (), limit=limit)  # fmt: skip

    def show(self, tenant_id: str, memory_id: str) -> tuple[Record, list[Record]]:
        """One entry and its history."""
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            entry = self.store.memory.entry(tenant_id, memory_id)
            if entry is None:
                raise NotFoundError(f"No memory entry {memory_id!r} for tenant {tenant_id!r}"
                                    " (`matrix memory list` shows them).", code="memory_not_found")  # fmt: skip
            return entry, self.store.memory.history(tenant_id, memory_id)

    def summary(self, tenant_id: str) -> Record:
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            found = self.store.memory.summary(tenant_id)
        counts = found["counts"]
        return {
            "tenant_id": tenant_id, "entries_total": sum(counts.values()),
            "candidate_count": counts.get("candidate", 0), "promoted_count": counts.get("promoted", 0),
            "archived_count": counts.get("archived", 0), "superseded_count": counts.get("superseded", 0),
            "sessions_count": found["sessions_count"], "last_promoted_at": found["last_promoted_at"],
        }  # fmt: skip

    def sessions(self, tenant_id: str, limit: int = 20) -> list[Record]:
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            return self.store.memory.sessions(tenant_id, limit)

    def turns(self, tenant_id: str, session_id: str, limit: int = 80) -> list[Record]:
        with self.store.transaction():
            self.store.tenants.require(tenant_id)
            return self.store.memory.turns(tenant_id, session_id, limit)


def promoted_event(chain: env.Chain, entry: Record) -> env.Envelope:
    return chain.event("owner.context.promoted", env.OWNER, env.OWNER, status="info", payload={
        "memory_id": entry["memory_id"], "session_id": entry["session_id"], "status": "promoted",
        "salience_score": float(entry["salience"]),
    })  # fmt: skip


__all__ = ["LIVE", "Memory", "MemoryConfig", "Query", "Recall", "promoted_event"]
