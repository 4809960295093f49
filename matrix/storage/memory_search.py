"""SQL for the searches recall fuses, and the store's whole memory repository.

:class:`SqlMemory` (the tables of :mod:`matrix.storage.memory` and these searches) implements
:class:`matrix.memory.ports.MemoryRepository`. Every statement names the tenant. BM25 runs in
SQL over ``memory_terms`` on both backends (each term carries its entry's length: a search of
any status reads the terms alone). Nearest vectors: on DuckDB ``array_cosine_similarity`` over
every ``FLOAT[256]`` vector of the tenant's model (``list_cosine_similarity`` over the list, for
another dimension); on PostgreSQL (no pgvector) over a prefiltered set — the entries the lexical
search found and the most recent ones — ranked with numpy. Vectors are only ever compared with
vectors of the same model.

:meth:`SqlMemory.search` is what recall reads first: both searches' pools and the facts of their
entries. On DuckDB that is one statement, whose two searches run side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from matrix.storage.memory import (
    ARRAY_DIMENSION,
    RECALL_COLUMNS,
    MemoryTables,
    Record,
    decode,
    in_list,
)  # fmt: skip

Scored = list[tuple[str, float]]
BM25_K1, BM25_B = 1.2, 0.75
PREFILTER_RECENT = 200
"""On PostgreSQL, the most recent entries added to the vector search's candidates."""

_ACCENTED, _PLAIN = "áàâãäéèêëíìîïóòôõöúùûüçñ", "aaaaaeeeeiiiiooooouuuucn"
"""The accents names are folded from, for SQL's ``translate`` (both backends have it)."""


def _narrowing(statuses: Sequence[str] | None, session_id: str | None) -> tuple[str, list[Any]]:
    """SQL and parameters for the entries ``e`` a search keeps (nothing to add, for None)."""
    narrow, narrowing = "", []
    if statuses is not None:
        narrow += f" AND e.status IN {in_list(statuses)}"
        narrowing += list(statuses)
    if session_id is not None:
        narrow += " AND e.session_id = ?"
        narrowing.append(session_id)
    return narrow, narrowing


def _bm25(tenant_id: str, terms: Sequence[str], narrow: str, narrowing: list[Any],
          limit: int) -> tuple[str, str, list[Any]]:  # fmt: skip
    """BM25 as SQL: the common table expressions it needs, the ranking query over them, and the
    parameters of both in order."""
    tables = (
        "docs AS (SELECT count(*) AS n, coalesce(avg(doc_len), 1) AS avgdl"
        " FROM memory_entries WHERE tenant_id = ?),"
        # one pass over the terms: each term's matches and document frequency, then each match
        # on its own (a window over the term took twice as long on DuckDB for some terms); the
        # lists of one group hold its rows in one order
        " matched AS (SELECT count(*) AS df, array_agg(memory_id) AS ids, array_agg(tf) AS tfs,"
        " array_agg(doc_len) AS lens FROM memory_terms"
        f" WHERE tenant_id = ? AND term IN {in_list(terms)} GROUP BY term),"
        " hits AS (SELECT unnest(ids) AS memory_id, unnest(tfs) AS tf, unnest(lens) AS doc_len,"
        " df FROM matched)"
    )
    entries = f" JOIN memory_entries e ON e.tenant_id = ? AND e.memory_id = h.memory_id{narrow}"
    ranking = (
        "SELECT h.memory_id, sum(ln(1 + (docs.n - h.df + 0.5) / (h.df + 0.5))"
        f" * h.tf * {BM25_K1 + 1} / (h.tf + {BM25_K1} * ({1 - BM25_B} + {BM25_B}"
        " * coalesce(h.doc_len, docs.avgdl) / greatest(docs.avgdl, 1)))) AS score"
        f" FROM hits h CROSS JOIN docs{entries if narrow else ''}"
        " GROUP BY h.memory_id ORDER BY score DESC, h.memory_id LIMIT ?"
    )
    params = [tenant_id, tenant_id, *terms, *([tenant_id, *narrowing] if narrow else []),
              int(limit)]  # fmt: skip
    return tables, ranking, params


def _cosine(tenant_id: str, model: str, vector: Sequence[float], narrow: str,
            narrowing: list[Any], limit: int) -> tuple[str, list[Any]]:  # fmt: skip
    """DuckDB's nearest vectors as SQL, and its parameters."""
    if len(vector) == ARRAY_DIMENSION:
        score = f"array_cosine_similarity(v.vector_{ARRAY_DIMENSION}, ?::FLOAT[{ARRAY_DIMENSION}])"
    else:
        score = "list_cosine_similarity(v.vector, ?::FLOAT[])"
    entries = " JOIN memory_entries e ON e.tenant_id = v.tenant_id AND e.memory_id = v.memory_id"
    sql = (
        f"SELECT v.memory_id, {score} AS score FROM memory_vectors v{entries if narrow else ''}"
        f" WHERE v.tenant_id = ? AND v.model = ?{narrow} ORDER BY score DESC, v.memory_id LIMIT ?"
    )
    return sql, [list(map(float, vector)), tenant_id, model, *narrowing, int(limit)]


class SqlMemory(MemoryTables):
    """The memory tables of one store, with the searches recall fuses."""

    def search(
        self, tenant_id: str, terms: Sequence[str], *, vector: Sequence[float] | None,
        model: str | None, statuses: Sequence[str], session_id: str | None, limit: int,
    ) -> tuple[Scored, Scored, dict[str, Record]]:  # fmt: skip
        """Both searches' best ``limit`` entries of any status and session (:meth:`bm25` over
        ``terms``; :meth:`nearest` to ``vector``, of ``model``, when both are given), and
        :meth:`ranking_facts` of those entries in ``statuses`` (and ``session_id``)."""
        unique = sorted(set(terms))
        searched = vector is not None and model is not None
        if not statuses or not (unique or searched):
            return [], [], {}
        if self._backend.dialect != "duckdb":
            lexical = self.bm25(tenant_id, unique, statuses=None, session_id=None, limit=limit)
            nearest = self.nearest(
                tenant_id, str(model), vector or (), statuses=None, session_id=None, limit=limit,
                within=[m for m, _ in lexical],
            ) if searched else []  # fmt: skip
            ids = list(dict.fromkeys(m for m, _ in [*lexical, *nearest]))
            return lexical, nearest, self.ranking_facts(tenant_id, ids, statuses=statuses,
                                                        session_id=session_id)  # fmt: skip
        tables, params = [], []
        if unique:
            ctes, ranking, values = _bm25(tenant_id, unique, "", [], limit)
            tables += [ctes, f"lexical AS ({ranking})"]
            params += values
        if searched:
            nearest_sql, values = _cosine(tenant_id, str(model), vector or (), "", [], limit)
            tables.append(f"nearest AS ({nearest_sql})")
            params += values
        if unique and searched:  # a full join, not a union: no second pass to drop duplicates
            pool = ("SELECT coalesce(l.memory_id, n.memory_id) AS memory_id, l.score AS lexical,"
                    " n.score AS vector FROM lexical l FULL JOIN nearest n ON n.memory_id = l.memory_id")  # fmt: skip
        else:
            pool = ("SELECT memory_id, score AS lexical, NULL AS vector FROM lexical" if unique
                    else "SELECT memory_id, NULL AS lexical, score AS vector FROM nearest")  # fmt: skip
        narrow, narrowing = _narrowing(statuses, session_id)
        sql = (
            f"WITH {', '.join(tables)}, pool AS ({pool}) SELECT pool.memory_id, pool.lexical,"
            f" pool.vector, {', '.join(f'e.{c}' for c in RECALL_COLUMNS)} FROM pool"
            " LEFT JOIN memory_entries e ON e.tenant_id = ? AND e.memory_id = pool.memory_id"
            f"{narrow}"
        )
        with self._backend.transaction() as tx:
            rows = tx.query(sql, [*params, tenant_id, *narrowing])
        found: tuple[Scored, Scored] = ([], [])
        for row in rows:
            for ranked, score in zip(found, row[1:3], strict=True):
                if score is not None and math.isfinite(score):  # a zero vector's cosine is NaN
                    ranked.append((row[0], float(score)))
        for ranked in found:  # the order each search's statement gave
            ranked.sort(key=lambda scored: (-scored[1], scored[0]))
        facts = {r[3]: decode(RECALL_COLUMNS, r[3:]) for r in rows if r[3] is not None}
        return found[0], found[1], facts

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
        match, values = self._one_of("e.memory_id", ids)
        narrow, narrowing = _narrowing(statuses, session_id)
        with self._backend.transaction() as tx:
            rows = tx.query(
                f"SELECT {', '.join(RECALL_COLUMNS)} FROM memory_entries e WHERE e.tenant_id = ?"
                f" AND {match}{narrow}",
                [tenant_id, *values, *narrowing],
            )
        return {r[0]: decode(RECALL_COLUMNS, r) for r in rows}

    def bm25(
        self, tenant_id: str, terms: Sequence[str], *, statuses: Sequence[str] | None,
        session_id: str | None, limit: int,
    ) -> Scored:  # fmt: skip
        """The entries that best match ``terms`` by Okapi BM25 (k1 1.2, b 0.75), best first, in
        ``statuses`` (any status, for None) and of ``session_id`` when given. Document
        frequencies and the mean length are the tenant's, over all its entries. With no status
        or session to narrow by, only the terms are read (each carries its entry's length)."""
        unique = sorted(set(terms))
        if not unique or (statuses is not None and not statuses):
            return []
        tables, ranking, params = _bm25(tenant_id, unique, *_narrowing(statuses, session_id), limit)
        with self._backend.transaction() as tx:
            rows = tx.query(f"WITH {tables} {ranking}", params)
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
            f" AND status IN {in_list(statuses)} AND tags LIKE ?"
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
    ) -> Scored:  # fmt: skip
        """The entries whose vector (of ``model``) is closest to ``vector`` by cosine, best
        first, in ``statuses`` (any status, for None: then the vectors are ranked without
        reading their entries). On PostgreSQL only ``within`` and the most recent entries are
        ranked."""
        if statuses is not None and not statuses:
            return []
        narrow, narrowing = _narrowing(statuses, session_id)
        if self._backend.dialect == "duckdb":
            sql, params = _cosine(tenant_id, model, vector, narrow, narrowing, limit)
            with self._backend.transaction() as tx:
                rows = tx.query(sql, params)
            return [(m, float(s)) for m, s in rows if s is not None and math.isfinite(s)]
        source = " FROM memory_vectors v" + (
            " JOIN memory_entries e ON e.tenant_id = v.tenant_id AND e.memory_id = v.memory_id"
            if narrow else ""
        )  # fmt: skip
        with self._backend.transaction() as tx:
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
                f"SELECT v.memory_id, array_to_string(v.vector, ','){source}"
                f" WHERE v.tenant_id = ? AND v.model = ?{narrow} AND {match}",
                [tenant_id, model, *narrowing, *values],
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
        norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(query)
        scores = (matrix @ query) / np.where(norms == 0, 1.0, norms)
        # A zero vector has no direction: left out, as DuckDB's NaN cosine leaves it.
        kept = [i for i in range(len(ids)) if norms[i] > 0]
        order = sorted(kept, key=lambda i: (-float(scores[i]), ids[i]))[: int(limit)]
        return [(ids[i], float(scores[i])) for i in order]
