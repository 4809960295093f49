"""Memory's records as the API and the command line show them: one shape per kind, times as ISO
text, and the stored columns a reader has no use for (hashes, lengths) left out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matrix.memory import text as mtext
from matrix.memory.ports import Record
from matrix.memory.recall import Ranked

ENTRY_FIELDS = (
    "memory_id", "tenant_id", "session_id", "external_key", "source", "content", "tags",
    "salience_score", "status", "valid_at", "invalid_at", "superseded_by", "source_turns",
    "metadata", "created_at", "updated_at",
)  # fmt: skip
"""What an entry shows, in order."""


def iso(value: Any) -> Any:
    """A time as ISO 8601 text; anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


def entry(record: Record) -> dict[str, Any]:
    """One long-memory entry (``salience`` is shown as ``salience_score``, as the origin named it)."""
    shown = {**record, "salience_score": float(record["salience"])}
    return {name: iso(shown.get(name)) for name in ENTRY_FIELDS}


def ranked(found: Ranked, query_terms: set[str]) -> dict[str, Any]:
    """One retrieved entry: its ranks and scores, and the query's terms it contains."""
    terms = query_terms & set(mtext.terms(found.entry["content"]))
    return {**found.as_dict(), "salience_score": float(found.entry["salience"]),
            "matched_terms": sorted(terms)}  # fmt: skip


def retrieval(
    found: Sequence[Ranked], *, query: str, strategy: str, top_k: int, model: str | None,
    degraded: str | None,
) -> dict[str, Any]:  # fmt: skip
    """What a retrieval found, and how: the strategy asked for, whether the vector search took
    part (with which model) or why it was left out."""
    terms = set(mtext.terms(query))
    return {"strategy": strategy, "vector_ready": model is not None, "embedding_model": model,
            "degraded": degraded, "top_k": top_k, "retrieved_count": len(found),
            "items": [ranked(f, terms) for f in found]}  # fmt: skip


def audit(record: Record) -> dict[str, Any]:
    """One change of an entry, from its audit."""
    return {name: iso(value) for name, value in record.items()}


def session(record: Record) -> dict[str, Any]:
    return {name: iso(record[name])
            for name in ("session_id", "turn_count", "last_ts", "last_role", "last_preview")}  # fmt: skip


def turn(record: Record) -> dict[str, Any]:
    return {"turn_no": record["turn_no"], "role": record["role"], "content": record["content"],
            "ts": iso(record["ts"])}  # fmt: skip


def summary(record: Record) -> dict[str, Any]:
    return {name: iso(value) for name, value in record.items()}
