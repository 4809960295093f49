"""Long memory: entries ``candidate → promoted | archived | superseded``, each change audited.

- A statement whose normalised hash matches a live entry, or whose vector (same model) or terms
  are nearly the same, is *merged* into it: one more mention, its source turns added, the higher
  salience kept — never a second row, never a deletion (mem0's duplicate add removed one).
- A statement about the same subject as live entries, saying something else, *supersedes* them:
  they keep their row and history, get ``invalid_at`` and ``superseded_by``, and leave recall
  (Graphiti's validity window, not a delete).
- The promotion rules (data) promote a candidate in ``policy-gated`` mode; a person promotes or
  archives a candidate; any other transition is refused and changes nothing.

Every change is a row of the append-only ``memory_audit`` (who or what, old → new, why).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matrix.errors import ConflictError, NotFoundError, ProviderError
from matrix.memory import extract
from matrix.memory import text as mtext
from matrix.memory.ports import Embedder, MemoryRepository, Record

STATUSES = ("candidate", "promoted", "archived", "superseded")
LIVE = ("candidate", "promoted")
SOURCES = ("user_message", "assistant_message", "system_note", "episode_promotion")
ACTIONS = {"promote": "promoted", "archive": "archived"}
"""What a person may do to a candidate, and the status it leads to."""


@dataclass(frozen=True, kw_only=True)
class NewEntry:
    """What a caller asks memory to keep."""

    tenant_id: str
    session_id: str
    content: str
    source: str = "user_message"
    tags: tuple[str, ...] = ()
    salience: float = 0.5
    subject_key: str | None = None
    external_key: str | None = None
    memory_id: str | None = None
    source_turns: tuple[str, ...] = ()
    """Where it was said: ``<session_id>#<turn_no>`` for each turn."""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Added:
    """What :meth:`LongMemory.add` did: ``created``, ``merged`` (into ``entry``) or
    ``idempotent`` (the external key or id is known), the entries it superseded, and whether the
    entry was promoted by a rule now."""

    status: str
    entry: Record
    superseded: tuple[str, ...] = ()
    promoted_by: str | None = None


class LongMemory:
    """Adds, merges, supersedes, promotes and archives one store's entries."""

    def __init__(self, repo: MemoryRepository) -> None:
        self.repo = repo

    def add(
        self, new: NewEntry, *, at: datetime, actor: str, correlation_id: str | None,
        embedder: Embedder | None = None, mode: str = "policy-gated",
    ) -> Added:  # fmt: skip
        """Keep one statement (inside the caller's transaction)."""
        repo, rules = self.repo, extract.rules()
        # Either key names the entry a retry meant: a known one of them is never stored twice.
        known = repo.by_external_key(new.tenant_id, new.external_key) if new.external_key else None
        if known is None and new.memory_id:
            known = repo.entry(new.tenant_id, new.memory_id)
        if known is not None:
            return Added(status="idempotent", entry=known)
        digest = mtext.content_hash(new.content)
        counts = mtext.term_counts(new.content)
        vector = _vector(embedder, new.content)
        same = repo.live_by_hash(new.tenant_id, digest) or self._near(new, counts, vector, embedder)
        if same is not None:
            return self._merge(
                same, new, at=at, actor=actor, correlation_id=correlation_id, mode=mode
            )
        memory_id = new.memory_id or str(uuid.uuid4())
        subject = new.subject_key
        older = [e for e in repo.live_by_subject(new.tenant_id, subject)] if subject else []
        record: Record = {
            "memory_id": memory_id, "tenant_id": new.tenant_id, "session_id": new.session_id,
            "external_key": new.external_key, "source": new.source, "content": new.content,
            "content_hash": digest, "subject_key": subject, "tags": list(new.tags),
            "salience": float(new.salience), "status": "candidate", "valid_at": at,
            "invalid_at": None, "superseded_by": None, "source_turns": list(new.source_turns),
            "metadata": {**new.metadata, "mentions": 1}, "doc_len": sum(counts.values()),
            "created_at": at, "updated_at": at,
        }  # fmt: skip
        repo.insert_entry(record, counts)
        if vector is not None and embedder is not None:
            repo.put_vectors(new.tenant_id, embedder.model, [(memory_id, vector)], at)
        self._audit(record, "created", None, "candidate", None, new.content, "statement",
                    actor, correlation_id, at, {"source": new.source, "rules": rules.version})  # fmt: skip
        for old in older:
            repo.update_entry(new.tenant_id, old["memory_id"], {
                "status": "superseded", "invalid_at": at, "superseded_by": memory_id, "updated_at": at,
            })  # fmt: skip
            self._audit(old, "superseded", old["status"], "superseded", old["content"], new.content,
                        "contradicted", actor, correlation_id, at, {"superseded_by": memory_id,
                                                                    "subject_key": subject})  # fmt: skip
        rule = extract.promotion_rule(new.salience, 1, mode)
        if rule:
            record = self._move(record, "promoted", rule, "policy", correlation_id, at)
        return Added(status="created", entry=record,
                     superseded=tuple(o["memory_id"] for o in older), promoted_by=rule)  # fmt: skip

    def _near(
        self, new: NewEntry, counts: dict[str, int], vector: list[float] | None,
        embedder: Embedder | None,
    ) -> Record | None:  # fmt: skip
        """A live entry that states nearly the same: its vector at least ``merge.cosine`` close,
        or its terms overlapping at least ``merge.jaccard`` — and the same values (every number
        in it), since "Saturdays 8am to 1pm" after "Saturdays 8am to 12pm" is news, not a repeat."""
        rules, values = extract.rules(), mtext.values(new.content)
        close: list[str] = []  # ids, the most likely first
        if vector is not None and embedder is not None:
            found = self.repo.nearest(new.tenant_id, embedder.model, vector, statuses=LIVE,
                                      session_id=None, limit=1)  # fmt: skip
            close += [m for m, score in found if score >= rules.merge_cosine]
        lexical = [m for m, _ in self.repo.bm25(new.tenant_id, list(counts), statuses=LIVE,
                                                session_id=None, limit=3)]  # fmt: skip
        entries = {e["memory_id"]: e for e in self.repo.entries(new.tenant_id, ids=close + lexical)}
        for memory_id in close:
            entry = entries.get(memory_id)
            if entry is not None and mtext.values(entry["content"]) == values:
                return entry
        for memory_id in lexical:
            entry = entries.get(memory_id)
            if (entry is not None and mtext.values(entry["content"]) == values
                    and extract.jaccard(mtext.terms(entry["content"]), list(counts)) >= rules.merge_jaccard):  # fmt: skip
                return entry
        return None

    def _merge(
        self, entry: Record, new: NewEntry, *, at: datetime, actor: str,
        correlation_id: str | None, mode: str,
    ) -> Added:  # fmt: skip
        mentions = int(entry["metadata"].get("mentions", 1)) + 1
        turns = sorted({*entry["source_turns"], *new.source_turns})
        salience = max(float(entry["salience"]), float(new.salience))
        changes = {"salience": salience, "source_turns": turns, "updated_at": at,
                   "metadata": {**entry["metadata"], "mentions": mentions}}  # fmt: skip
        self.repo.update_entry(entry["tenant_id"], entry["memory_id"], changes)
        merged = {**entry, **changes}
        self._audit(entry, "merged", entry["status"], entry["status"], entry["content"], new.content,
                    "duplicate", actor, correlation_id, at, {"mentions": mentions})  # fmt: skip
        rule = (
            extract.promotion_rule(salience, mentions, mode)
            if entry["status"] == "candidate"
            else None
        )
        if rule:
            merged = self._move(merged, "promoted", rule, "policy", correlation_id, at)
        return Added(status="merged", entry=merged, promoted_by=rule)

    def transition(
        self, tenant_id: str, memory_id: str, action: str, *, reason_code: str, actor: str,
        correlation_id: str | None, at: datetime, details: dict[str, Any] | None = None,
    ) -> Record:  # fmt: skip
        """A person promotes or archives a candidate (``details`` go into its audit row)."""
        entry = self.repo.entry(tenant_id, memory_id)
        if entry is None:
            raise NotFoundError(f"No memory entry {memory_id!r} for tenant {tenant_id!r}"
                                " (`matrix memory list` shows them).", code="memory_not_found")  # fmt: skip
        target = ACTIONS[action]
        if entry["status"] != "candidate":
            raise ConflictError(
                f"Memory entry {memory_id} is {entry['status']}; only a candidate can be"
                f" {target} (invalid_transition: nothing was changed).", code="invalid_transition",
            )  # fmt: skip
        return self._move(entry, target, reason_code, actor, correlation_id, at, details)

    def promote_by_rule(
        self, entry: Record, rule: str, correlation_id: str | None, at: datetime
    ) -> Record:
        """Promote a candidate because a promotion rule holds (not a person)."""
        return self._move(entry, "promoted", rule, "policy", correlation_id, at)

    def _move(
        self, entry: Record, status: str, reason: str, actor: str, correlation_id: str | None,
        at: datetime, details: dict[str, Any] | None = None,
    ) -> Record:  # fmt: skip
        if not self.repo.update_entry(entry["tenant_id"], entry["memory_id"],
                                      {"status": status, "updated_at": at},
                                      expect={"status": entry["status"]}):  # fmt: skip
            raise ConflictError(f"Memory entry {entry['memory_id']} changed meanwhile; try again.",
                                code="invalid_transition")  # fmt: skip
        self._audit(entry, status, entry["status"], status, None, None, reason, actor,
                    correlation_id, at, details or {})  # fmt: skip
        return {**entry, "status": status, "updated_at": at}

    def _audit(
        self, entry: Record, action: str, old: str | None, new: str | None, old_value: str | None,
        new_value: str | None, reason: str, actor: str, correlation_id: str | None, at: datetime,
        details: dict[str, Any],
    ) -> None:  # fmt: skip
        self.repo.audit({
            # Ordered by time within one process, so rows written at the same instant (created,
            # then promoted) read back in the order they were written.
            "audit_id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}", "tenant_id": entry["tenant_id"],
            "memory_id": entry["memory_id"], "action": action, "old_status": old, "new_status": new,
            "old_value": old_value, "new_value": new_value, "reason_code": reason, "actor": actor,
            "details": details, "correlation_id": correlation_id, "created_at": at,
        })  # fmt: skip


def _vector(embedder: Embedder | None, content: str) -> list[float] | None:
    """The content's vector when the embedder runs here; None when there is none, it is remote,
    or it failed — the re-embedding job gives the entry its vector later."""
    if embedder is None or embedder.remote:
        return None
    try:
        return embedder.embed([content])[0]
    except ProviderError:
        return None
