"""SQL for memory: sessions and their turns, episodes, long-memory entries with their terms and
vectors, and the audit.

Every statement names the tenant, and session-scoped reads the session as well. The searches
recall fuses are in :mod:`matrix.storage.memory_search`, whose :class:`SqlMemory` (these tables
and the searches) implements :class:`matrix.memory.ports.MemoryRepository`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from matrix.storage.base import Backend
from matrix.storage.modules import update_one

Record = dict[str, Any]

ENTRY_COLUMNS = (
    "memory_id", "tenant_id", "session_id", "external_key", "source", "content", "content_hash",
    "subject_key", "tags", "salience", "status", "valid_at", "invalid_at", "superseded_by",
    "source_turns", "metadata", "doc_len", "created_at", "updated_at",
)  # fmt: skip
RECALL_COLUMNS = (
    "memory_id", "session_id", "source", "status", "content", "salience", "tags", "valid_at",
    "source_turns",
)  # fmt: skip
"""The columns of an entry that recall ranks by and returns."""
EPISODE_COLUMNS = (
    "episode_id", "tenant_id", "session_id", "turn_count", "first_turn", "last_turn", "summary",
    "summary_source", "event_id", "created_at", "updated_at",
)  # fmt: skip
AUDIT_COLUMNS = (
    "audit_id", "tenant_id", "memory_id", "action", "old_status", "new_status", "old_value",
    "new_value", "reason_code", "actor", "details", "correlation_id", "created_at",
)  # fmt: skip
_JSON = {"tags", "source_turns", "metadata", "details", "old_value", "new_value"}
LIVE = ("candidate", "promoted")
ARRAY_DIMENSION = 256
"""On DuckDB, vectors of this dimension (the shipped local model's) are also kept as a
fixed-size array, which cosine ranks faster than a list (migration 0026)."""


def in_list(values: Sequence[Any]) -> str:
    """A parenthesised list of one parameter per value, for ``IN``."""
    return "(" + ", ".join("?" * len(values)) + ")"


class MemoryTables:
    """The memory tables of one store (:class:`matrix.storage.memory_search.SqlMemory` adds the
    searches)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values``, as SQL and its parameters. On DuckDB one bound list,
        not one parameter per value (binding a hundred ids one by one cost more than the read);
        PostgreSQL plans a list of parameters with the key's index, and ``= ANY`` of one array
        parameter without it (40 ms instead of 4 at 10,000 vectors)."""
        if self._backend.dialect == "duckdb":
            return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(values)]
        return f"{column} IN {in_list(values)}", list(values)

    # -- short memory -------------------------------------------------------------------------

    def append_turns(
        self, tenant_id: str, session_id: str, turns: Sequence[tuple[str, str]], at: datetime,
        *, keep: int,
    ) -> int:  # fmt: skip
        """Add turns (role, content) to the session, keep its last ``keep``; returns the
        session's turn count after, counting every turn ever added (not only those kept)."""
        with self._backend.transaction() as tx:
            found = tx.query(
                "SELECT turn_count FROM memory_sessions WHERE tenant_id = ? AND session_id = ?",
                [tenant_id, session_id],
            )
            before = int(found[0][0]) if found else 0
            count = before + len(turns)
            role, content = turns[-1]
            preview = content[:160]
            if found:
                tx.execute(
                    "UPDATE memory_sessions SET turn_count = ?, last_ts = ?, last_role = ?,"
                    " last_preview = ? WHERE tenant_id = ? AND session_id = ?",
                    [count, at, role, preview, tenant_id, session_id],
                )
            else:
                tx.execute(
                    "INSERT INTO memory_sessions (tenant_id, session_id, turn_count, last_ts,"
                    " last_role, last_preview, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [tenant_id, session_id, count, at, role, preview, at],
                )
            tx.insert_rows(
                "memory_turns", ("tenant_id", "session_id", "turn_no", "role", "content", "created_at"),
                [(tenant_id, session_id, before + i + 1, r, c, at) for i, (r, c) in enumerate(turns)],
            )  # fmt: skip
            tx.execute(
                "DELETE FROM memory_turns WHERE tenant_id = ? AND session_id = ? AND turn_no <= ?",
                [tenant_id, session_id, count - keep],
            )
        return count

    def turns(self, tenant_id: str, session_id: str, limit: int) -> list[Record]:
        """The session's last ``limit`` turns, oldest first. (A session keeps only its last
        turns, so all are read: a LIMIT below 50 makes DuckDB read the table twice.)"""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT turn_no, role, content, created_at FROM memory_turns"
                " WHERE tenant_id = ? AND session_id = ? ORDER BY turn_no",
                [tenant_id, session_id],
            )
        return [{"turn_no": int(n), "role": r, "content": c, "ts": _utc(t)}
                for n, r, c, t in rows[max(len(rows) - int(limit), 0):]]  # fmt: skip

    def sessions(self, tenant_id: str, limit: int) -> list[Record]:
        """The tenant's sessions, the most recently active first."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT session_id, turn_count, last_ts, last_role, last_preview"
                " FROM memory_sessions WHERE tenant_id = ? ORDER BY last_ts DESC, session_id"
                " LIMIT ?",
                [tenant_id, int(limit)],
            )
        return [{"session_id": s, "turn_count": int(n), "last_ts": _utc(t), "last_role": r,
                 "last_preview": p} for s, n, t, r, p in rows]  # fmt: skip

    # -- episodes -----------------------------------------------------------------------------

    def add_episode(self, record: Record) -> bool:
        """Store an episode unless the session has one at that turn count already."""
        with self._backend.transaction() as tx:
            if tx.query(
                "SELECT 1 FROM memory_episodes WHERE tenant_id = ? AND session_id = ?"
                " AND turn_count = ?",
                [record["tenant_id"], record["session_id"], record["turn_count"]],
            ):
                return False
            return (
                tx.insert_rows(
                    "memory_episodes", EPISODE_COLUMNS, [tuple(record[c] for c in EPISODE_COLUMNS)]
                )
                == 1
            )

    def episodes(self, tenant_id: str, session_id: str | None, limit: int) -> list[Record]:
        """The latest episodes of a session (or of the tenant), newest first."""
        where, params = "tenant_id = ?", [tenant_id]
        if session_id is not None:
            where, params = where + " AND session_id = ?", [*params, session_id]
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(EPISODE_COLUMNS)} FROM memory_episodes WHERE {where}"
                " ORDER BY created_at DESC, turn_count DESC LIMIT ?",
                [*params, int(limit)],
            )
        return [decode(EPISODE_COLUMNS, r) for r in rows]

    def insert_entry(self, record: Record, terms: dict[str, int]) -> None:
        with self._backend.transaction() as tx:
            tx.insert_rows("memory_entries", ENTRY_COLUMNS,
                           [tuple(_to_db(c, record.get(c)) for c in ENTRY_COLUMNS)])  # fmt: skip
            tx.insert_rows("memory_terms", ("tenant_id", "memory_id", "term", "tf", "doc_len"),
                           [(record["tenant_id"], record["memory_id"], t, n, record["doc_len"])
                            for t, n in terms.items()])  # fmt: skip

    def update_entry(
        self, tenant_id: str, memory_id: str, changes: Record, *, expect: Record | None = None
    ) -> bool:
        """Change one entry; with ``expect``, only while those columns hold those values."""
        stored = {c: _to_db(c, v) for c, v in changes.items()}
        return update_one(self._backend, "memory_entries", "memory_id", tenant_id, memory_id,
                          stored, expect)  # fmt: skip

    def entry(self, tenant_id: str, memory_id: str) -> Record | None:
        found = self.entries(tenant_id, ids=[memory_id], limit=1)
        return found[0] if found else None

    def entries(
        self, tenant_id: str, *, session_id: str | None = None, statuses: Sequence[str] = (),
        limit: int = 1000, ids: Sequence[str] | None = None,
    ) -> list[Record]:  # fmt: skip
        """The tenant's entries (of one session, in these statuses, with these ids), oldest
        first."""
        where: list[str] = ["tenant_id = ?"]
        params: list[Any] = [tenant_id]
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if statuses:
            where.append(f"status IN {in_list(statuses)}")
            params += list(statuses)
        if ids is not None:
            if not ids:
                return []
            match, values = self._one_of("memory_id", ids)
            where.append(match)
            params += values
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries WHERE {' AND '.join(where)}"
                " ORDER BY created_at, memory_id LIMIT ?",
                [*params, int(limit)],
            )
        return [decode(ENTRY_COLUMNS, r) for r in rows]

    def live_by_hash(self, tenant_id: str, content_hash: str) -> Record | None:
        """The oldest live entry with this content hash."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
                f" AND content_hash = ? AND status IN {in_list(LIVE)} ORDER BY created_at LIMIT 1",
                [tenant_id, content_hash, *LIVE],
            )
        return decode(ENTRY_COLUMNS, rows[0]) if rows else None

    def live_by_subject(self, tenant_id: str, subject_key: str) -> list[Record]:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
                f" AND subject_key = ? AND status IN {in_list(LIVE)} ORDER BY valid_at, memory_id",
                [tenant_id, subject_key, *LIVE],
            )
        return [decode(ENTRY_COLUMNS, r) for r in rows]

    def by_external_key(self, tenant_id: str, external_key: str) -> Record | None:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries"
                " WHERE tenant_id = ? AND external_key = ?",
                [tenant_id, external_key],
            )
        return decode(ENTRY_COLUMNS, rows[0]) if rows else None

    def audit(self, record: Record) -> None:
        with self._backend.transaction() as tx:
            tx.insert_rows("memory_audit", AUDIT_COLUMNS,
                           [tuple(_to_db(c, record.get(c)) for c in AUDIT_COLUMNS)])  # fmt: skip

    def history(self, tenant_id: str, memory_id: str) -> list[Record]:
        """Every change of one entry, oldest first."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM memory_audit"
                " WHERE tenant_id = ? AND memory_id = ? ORDER BY created_at, audit_id",
                [tenant_id, memory_id],
            )
        return [decode(AUDIT_COLUMNS, r) for r in rows]

    def summary(self, tenant_id: str) -> Record:
        """Counts per status, sessions, and when an entry was last promoted."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT status, count(*) FROM memory_entries WHERE tenant_id = ? GROUP BY status",
                [tenant_id],
            )
            sessions = tx.query(
                "SELECT count(DISTINCT session_id) FROM memory_entries WHERE tenant_id = ?",
                [tenant_id],
            )[0][0]
            last = tx.query(
                "SELECT max(created_at) FROM memory_audit WHERE tenant_id = ? AND action = 'promoted'",
                [tenant_id],
            )[0][0]
        counts = {str(s): int(n) for s, n in rows}
        return {"counts": counts, "sessions_count": int(sessions or 0),
                "last_promoted_at": _utc(last) if last else None}  # fmt: skip

    # -- vectors ------------------------------------------------------------------------------

    def put_vectors(
        self, tenant_id: str, model: str, vectors: Sequence[tuple[str, Sequence[float]]],
        at: datetime,
    ) -> int:  # fmt: skip
        """Store one vector per entry for ``model`` (replacing an older one of that model)."""
        if not vectors:
            return 0
        ids = [m for m, _ in vectors]
        with self._backend.transaction() as tx:
            tx.execute(
                f"DELETE FROM memory_vectors WHERE tenant_id = ? AND model = ? AND memory_id IN {in_list(ids)}",
                [tenant_id, model, *ids],
            )
            columns = ["tenant_id", "memory_id", "model", "dimension", "vector", "created_at"]
            rows = [[tenant_id, m, model, len(v), [float(x) for x in v], at] for m, v in vectors]
            if self._backend.dialect == "duckdb":  # the array beside the list (migration 0026)
                columns.append(f"vector_{ARRAY_DIMENSION}")
                for row in rows:
                    row.append(row[4] if row[3] == ARRAY_DIMENSION else None)
            return tx.insert_rows("memory_vectors", columns, [tuple(r) for r in rows])

    def vector(self, tenant_id: str, memory_id: str, model: str) -> list[float] | None:
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT vector FROM memory_vectors WHERE tenant_id = ? AND memory_id = ? AND model = ?",
                [tenant_id, memory_id, model],
            )
        return [float(x) for x in rows[0][0]] if rows else None

    def lacking_vector(self, tenant_id: str, model: str, limit: int) -> list[Record]:
        """Live entries without a vector of ``model``, oldest first."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join('e.' + c for c in ENTRY_COLUMNS)} FROM memory_entries e"
                f" WHERE e.tenant_id = ? AND e.status IN {in_list(LIVE)} AND NOT EXISTS (SELECT 1"
                " FROM memory_vectors v WHERE v.tenant_id = e.tenant_id AND v.memory_id = e.memory_id"
                " AND v.model = ?) ORDER BY e.created_at, e.memory_id LIMIT ?",
                [tenant_id, *LIVE, model, int(limit)],
            )
        return [decode(ENTRY_COLUMNS, r) for r in rows]


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _to_db(column: str, value: Any) -> Any:
    if column in ("old_value", "new_value"):
        return None if value is None else json.dumps(value, ensure_ascii=False)
    if column in _JSON:
        empty: Any = {} if column in ("metadata", "details") else []
        return json.dumps(empty if value is None else value, default=str, ensure_ascii=False)
    return value


def decode(
    columns: Sequence[str], row: Sequence[Any], json_columns: frozenset[str] | set[str] = _JSON
) -> Record:
    """A row as a record: its JSON columns parsed, its times in UTC. (Recall decodes every
    candidate it reads, so the common cases are tested first: an empty list, a plain value.)"""
    out: Record = {}
    for column, value in zip(columns, row, strict=True):
        kind = type(value)
        if kind is str:
            if column in json_columns:
                value = [] if value == "[]" else json.loads(value)
        elif kind is datetime:
            value = _utc(value)
        out[column] = value
    return out
