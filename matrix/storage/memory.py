"""SQL for memory: sessions and their turns, episodes, long-memory entries with their terms and
vectors, the audit, and the two searches recall fuses.

Implements :class:`matrix.memory.ports.MemoryRepository`. Every statement names the tenant, and
session-scoped reads the session as well. BM25 runs in SQL over ``memory_terms`` on both
backends (each term carries its entry's length: a search of any status reads the terms alone).
Nearest vectors: on DuckDB ``array_cosine_similarity`` over every ``FLOAT[256]`` vector of the
tenant's model (``list_cosine_similarity`` over the list, for another dimension); on PostgreSQL
(no pgvector) over a prefiltered set — the entries the lexical search found and the most recent
ones — ranked with numpy. Vectors are only ever compared with vectors of the same model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

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
BM25_K1, BM25_B = 1.2, 0.75
PREFILTER_RECENT = 200
"""On PostgreSQL, the most recent entries added to the vector search's candidates."""
ARRAY_DIMENSION = 256
"""On DuckDB, vectors of this dimension (the shipped local model's) are also kept as a
fixed-size array, which cosine ranks faster than a list (migration 0026)."""


_ACCENTED, _PLAIN = "áàâãäéèêëíìîïóòôõöúùûüçñ", "aaaaaeeeeiiiiooooouuuucn"
"""The accents names are folded from, for SQL's ``translate`` (both backends have it)."""


def _in(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" * len(values)) + ")"


def _narrowing(statuses: Sequence[str] | None, session_id: str | None) -> tuple[str, list[Any]]:
    """SQL and parameters for the entries ``e`` a search keeps (nothing to add, for None)."""
    narrow, narrowing = "", []
    if statuses is not None:
        narrow += f" AND e.status IN {_in(statuses)}"
        narrowing += list(statuses)
    if session_id is not None:
        narrow += " AND e.session_id = ?"
        narrowing.append(session_id)
    return narrow, narrowing


class SqlMemory:
    """The memory tables of one store."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _one_of(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values``, as SQL and its parameters. On DuckDB one bound list,
        not one parameter per value (binding a hundred ids one by one cost more than the read);
        PostgreSQL plans a list of parameters with the key's index, and ``= ANY`` of one array
        parameter without it (40 ms instead of 4 at 10,000 vectors)."""
        if self._backend.dialect == "duckdb":
            return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(values)]
        return f"{column} IN {_in(values)}", list(values)

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
        """The session's last ``limit`` turns, oldest first."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT turn_no, role, content, created_at FROM memory_turns"
                " WHERE tenant_id = ? AND session_id = ? ORDER BY turn_no DESC LIMIT ?",
                [tenant_id, session_id, int(limit)],
            )
        return [{"turn_no": int(n), "role": r, "content": c, "ts": _utc(t)}
                for n, r, c, t in reversed(rows)]  # fmt: skip

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
            where.append(f"status IN {_in(statuses)}")
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

    def ranking_facts(
        self, tenant_id: str, ids: Sequence[str], *, statuses: Sequence[str],
        session_id: str | None = None,
    ) -> dict[str, Record]:  # fmt: skip
        """What recall ranks the entries with these ids by and shows of them (:data:`RECALL_COLUMNS`:
        status, salience, when it was said, tags, the text and where it was said — not the
        metadata and bookkeeping); only those in ``statuses`` (and of ``session_id``, when given).
        One read for every candidate: a second one for the top's whole rows cost more than the
        text of all candidates."""
        if not ids or not statuses:
            return {}
        session = " AND session_id = ?" if session_id is not None else ""
        match, values = self._one_of("memory_id", ids)
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(RECALL_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
                f" AND {match} AND status IN {_in(statuses)}{session}",
                [tenant_id, *values, *statuses, *([session_id] if session_id is not None else [])],
            )  # fmt: skip
        return {r[0]: decode(RECALL_COLUMNS, r) for r in rows}

    def live_by_hash(self, tenant_id: str, content_hash: str) -> Record | None:
        """The oldest live entry with this content hash."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
                f" AND content_hash = ? AND status IN {_in(LIVE)} ORDER BY created_at LIMIT 1",
                [tenant_id, content_hash, *LIVE],
            )
        return decode(ENTRY_COLUMNS, rows[0]) if rows else None

    def live_by_subject(self, tenant_id: str, subject_key: str) -> list[Record]:
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
                f" AND subject_key = ? AND status IN {_in(LIVE)} ORDER BY valid_at, memory_id",
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

    # -- search -------------------------------------------------------------------------------

    def bm25(
        self, tenant_id: str, terms: Sequence[str], *, statuses: Sequence[str] | None,
        session_id: str | None, limit: int,
    ) -> list[tuple[str, float]]:  # fmt: skip
        """The entries that best match ``terms`` by Okapi BM25 (k1 1.2, b 0.75), best first, in
        ``statuses`` (any status, for None) and of ``session_id`` when given. Document
        frequencies and the mean length are the tenant's, over all its entries. With no status
        or session to narrow by, only the terms are read (each carries its entry's length)."""
        unique = sorted(set(terms))
        if not unique or (statuses is not None and not statuses):
            return []
        narrow, narrowing = _narrowing(statuses, session_id)
        entries = f" JOIN memory_entries e ON e.tenant_id = ? AND e.memory_id = h.memory_id{narrow}"
        sql = (
            "WITH docs AS (SELECT count(*) AS n, coalesce(avg(doc_len), 1) AS avgdl"
            " FROM memory_entries WHERE tenant_id = ?),"
            # one pass over the terms: each match with its term's document frequency
            " hits AS (SELECT memory_id, tf, doc_len, count(*) OVER (PARTITION BY term) AS df"
            f" FROM memory_terms WHERE tenant_id = ? AND term IN {_in(unique)})"
            " SELECT h.memory_id, sum(ln(1 + (docs.n - h.df + 0.5) / (h.df + 0.5))"
            f" * h.tf * {BM25_K1 + 1} / (h.tf + {BM25_K1} * ({1 - BM25_B} + {BM25_B}"
            " * coalesce(h.doc_len, docs.avgdl) / greatest(docs.avgdl, 1)))) AS score"
            f" FROM hits h CROSS JOIN docs{entries if narrow else ''}"
            " GROUP BY h.memory_id ORDER BY score DESC, h.memory_id LIMIT ?"
        )
        params = [tenant_id, tenant_id, *unique, *([tenant_id, *narrowing] if narrow else []),
                  int(limit)]  # fmt: skip
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        return [(m, float(s)) for m, s in rows]

    def changes_naming(
        self, tenant_id: str, names: Sequence[str], *, statuses: Sequence[str], limit: int
    ) -> list[Record]:
        """Entries tagged ``update`` in these statuses whose text holds one of ``names``
        (lower-case, accents folded), newest first, as :data:`RECALL_COLUMNS` — the changes
        recall places beside what they change. A substring test: the caller checks the names
        themselves."""
        if not names or not statuses:
            return []
        folded = f"translate(lower(content), '{_ACCENTED}', '{_PLAIN}')"
        sql = (
            f"SELECT {', '.join(RECALL_COLUMNS)} FROM memory_entries WHERE tenant_id = ?"
            f" AND status IN {_in(statuses)} AND tags LIKE ?"
            f" AND ({' OR '.join([f'{folded} LIKE ?'] * len(names))})"
            " ORDER BY valid_at DESC, memory_id LIMIT ?"
        )
        params = [tenant_id, *statuses, '%"update"%', *(f"%{n}%" for n in names), int(limit)]
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        return [decode(RECALL_COLUMNS, r) for r in rows]

    def nearest(
        self, tenant_id: str, model: str, vector: Sequence[float], *,
        statuses: Sequence[str] | None, session_id: str | None, limit: int,
        within: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:  # fmt: skip
        """The entries whose vector (of ``model``) is closest to ``vector`` by cosine, best
        first, in ``statuses`` (any status, for None: then the vectors are ranked without
        reading their entries). On PostgreSQL only ``within`` and the most recent entries are
        ranked."""
        if statuses is not None and not statuses:
            return []
        narrow, narrowing = _narrowing(statuses, session_id)
        where = " WHERE v.tenant_id = ? AND v.model = ?" + narrow
        base: list[Any] = [tenant_id, model, *narrowing]
        source = " FROM memory_vectors v" + (
            " JOIN memory_entries e ON e.tenant_id = v.tenant_id AND e.memory_id = v.memory_id"
            if narrow else ""
        )  # fmt: skip
        with self._backend.transaction() as tx:
            if self._backend.dialect == "duckdb":
                if len(vector) == ARRAY_DIMENSION:
                    score = f"array_cosine_similarity(v.vector_{ARRAY_DIMENSION}, ?::FLOAT[{ARRAY_DIMENSION}])"
                else:
                    score = "list_cosine_similarity(v.vector, ?::FLOAT[])"
                rows = tx.query(
                    f"SELECT v.memory_id, {score} AS score{source}{where}"
                    " ORDER BY score DESC, v.memory_id LIMIT ?",
                    [list(map(float, vector)), *base, int(limit)],
                )
                return [(m, float(s)) for m, s in rows if s is not None]
            recent = tx.query(  # newest first from the (tenant_id, created_at) index
                f"SELECT e.memory_id FROM memory_entries e WHERE e.tenant_id = ?{narrow}"
                " AND EXISTS (SELECT 1 FROM memory_vectors v WHERE v.tenant_id = e.tenant_id"
                " AND v.memory_id = e.memory_id AND v.model = ?)"
                f" ORDER BY e.created_at DESC LIMIT {PREFILTER_RECENT}",
                [tenant_id, *narrowing, model],
            )  # fmt: skip
            candidates = sorted({*(within or ()), *(r[0] for r in recent)})
            if not candidates:
                return []
            match, values = self._one_of("v.memory_id", candidates)
            rows = tx.query(
                # As text for numpy to parse: psycopg builds a Python float per number of a
                # REAL[], which took longer than the rest of the search.
                f"SELECT v.memory_id, array_to_string(v.vector, ','){source}{where} AND {match}",
                [*base, *values],
            )
        # Only vectors of the query's length are compared; those are parsed in one pass.
        rows = [r for r in rows if r[1] and r[1].count(",") + 1 == len(vector)]
        if not rows:
            return []
        ids = [r[0] for r in rows]
        matrix = np.fromstring(",".join(r[1] for r in rows), dtype=np.float32, sep=",").reshape(
            len(rows), len(vector)
        )
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        scores = (matrix @ query) / np.where(norms == 0, 1.0, norms)
        order = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), ids[i]))[: int(limit)]
        return [(ids[i], float(scores[i])) for i in order]

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
                f"DELETE FROM memory_vectors WHERE tenant_id = ? AND model = ? AND memory_id IN {_in(ids)}",
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
                f" WHERE e.tenant_id = ? AND e.status IN {_in(LIVE)} AND NOT EXISTS (SELECT 1"
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
