"""The command/event log: append-only, tenant-scoped, traceable by correlation id.

Envelopes are validated against ``contracts/`` before they are stored and are stored as their
exact JSON text, so a read returns what was appended. An envelope is identified by its tenant and
its id: appending one whose id its tenant already stored is a no-op (retries are safe), and
another tenant's envelope with the same id is its own. Every read names its tenant; there is no
window limit.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.envelopes import Envelope, EnvelopeValidator, envelope_id, occurred_at, parse_timestamp
from matrix.errors import ContractError, UsageError
from matrix.storage.base import Backend

COLUMNS = (
    "envelope_id", "kind", "name", "tenant_id", "correlation_id", "causation_id", "trace_id",
    "source_module", "target_module", "status", "occurred_at", "recorded_at", "envelope",
)  # fmt: skip

MAX_LIST_LIMIT = 10_000


@dataclass(frozen=True, kw_only=True)
class AppendResult:
    """How many envelopes a batch added, and how many were already stored."""

    added: int
    duplicates: int

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "duplicates": self.duplicates}


class EventLog:
    """Append and read envelopes in one store."""

    def __init__(
        self,
        backend: Backend,
        validator: Callable[[], EnvelopeValidator],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._backend = backend
        # Built on first append: loading jsonschema costs about a second, and reads never need it.
        self._validator_factory = validator
        self._clock = clock

    def append(self, envelope: Envelope) -> bool:
        """Validate and store one envelope. Returns False when its tenant already stored its id."""
        return self.append_many([envelope]).added == 1

    def append_many(
        self,
        envelopes: Iterable[Envelope],
        *,
        batch_size: int = 50_000,
        progress: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Validate every envelope, then store them all in order in one transaction.

        Nothing is stored when any envelope is invalid; the error's pointer starts with the
        envelope's index in the batch (``/3/payload/amount``).
        """
        rows, total = self._rows(envelopes)
        added = 0
        with self._backend.transaction() as tx:
            if rows and self._backend.dialect == "postgres":
                # Its id before its sequence numbers: see the analytics sync's safe horizon.
                tx.query("SELECT pg_current_xact_id()")
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                added += tx.insert_rows(
                    "event_log", COLUMNS, chunk, skip_existing="tenant_id, envelope_id"
                )
                if progress:
                    progress(len(chunk))
        return AppendResult(added=added, duplicates=total - added)

    def trace(self, tenant_id: str, correlation_id: str) -> list[Envelope]:
        """Every command and event of one correlation id, in the order they were appended."""
        return self._select(
            "tenant_id = ? AND correlation_id = ?", [_tenant(tenant_id), correlation_id], None
        )

    def list(
        self,
        tenant_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[Envelope]:
        """The tenant's newest envelopes first, optionally filtered by name, kind and time."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise UsageError(f"limit must be between 1 and {MAX_LIST_LIMIT}; got {limit}.")
        where, params = self._filters(tenant_id, name, kind, since, until)
        return self._select(where, params, limit, newest_first=True)

    def requests(
        self,
        tenant_id: str,
        names: Sequence[str],
        *,
        since: datetime,
        until: datetime,
        term: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[Envelope]:
        """The tenant's envelopes named ``names`` in ``[since, until)``, newest first, one page of
        ``limit`` after ``offset``; with ``term``, only those whose correlation has an envelope
        containing it (any case: a customer's name, words of a message, a correlation id)."""
        if not names or not 1 <= limit <= MAX_LIST_LIMIT or offset < 0:
            raise UsageError(f"limit must be between 1 and {MAX_LIST_LIMIT} and offset at least 0.")
        where = f"tenant_id = ? AND name IN ({', '.join('?' * len(names))}) AND occurred_at >= ? AND occurred_at < ?"
        params: builtins.list[Any] = [_tenant(tenant_id), *names, since, until]
        if term:
            escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where += (" AND correlation_id IN (SELECT correlation_id FROM event_log WHERE tenant_id = ?"
                      " AND occurred_at >= ? AND lower(envelope) LIKE ? ESCAPE '\\')")  # fmt: skip
            params += [tenant_id, since, f"%{escaped}%"]
        sql = f"SELECT envelope FROM event_log WHERE {where} ORDER BY seq DESC LIMIT {int(limit)} OFFSET {int(offset)}"
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        return [json.loads(r[0]) for r in rows]

    def count(
        self,
        tenant_id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many envelopes the tenant has, optionally filtered."""
        where, params = self._filters(tenant_id, name, kind, since, until)
        with self._backend.transaction() as tx:
            return int(tx.query(f"SELECT count(*) FROM event_log WHERE {where}", params)[0][0])

    def count_all_tenants(self) -> dict[str, int]:
        """Admin aggregate: envelopes per tenant. The one read that spans tenants, by design."""
        with self._backend.transaction() as tx:
            rows = tx.query("SELECT tenant_id, count(*) FROM event_log GROUP BY tenant_id")
        return {str(t): int(n) for t, n in rows}

    # -- internals --------------------------------------------------------------------------

    def _rows(self, envelopes: Iterable[Envelope]) -> tuple[builtins.list[tuple[Any, ...]], int]:
        recorded = self._clock.now()
        validator = self._validator_factory()
        rows = []
        seen: set[tuple[str, str]] = set()
        total = 0
        for index, env in enumerate(envelopes):
            total += 1
            try:
                validator.validate(env)
            except ContractError as exc:
                raise ContractError(
                    f"envelope {index}: {exc}",
                    schema_id=exc.schema_id,
                    pointer=f"/{index}{exc.pointer}",
                    value=exc.value,
                ) from None
            key = envelope_id(env)
            if (env["tenant_id"], key) in seen:
                continue  # the same envelope twice in one batch is stored once
            seen.add((env["tenant_id"], key))
            rows.append(
                (
                    key, env["kind"], env["name"], env["tenant_id"],
                    env["correlation_id"], env.get("causation_id"), env["trace_id"],
                    env["source_module"], env["target_module"], env.get("status"),
                    parse_timestamp(occurred_at(env)), recorded,
                    json.dumps(env, ensure_ascii=False, separators=(",", ":")),
                )
            )  # fmt: skip
        return rows, total

    @staticmethod
    def _filters(
        tenant_id: str,
        name: str | None,
        kind: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[str, builtins.list[Any]]:
        clauses: builtins.list[str] = ["tenant_id = ?"]
        params: builtins.list[Any] = [_tenant(tenant_id)]
        for clause, value in (
            ("name = ?", name),
            ("kind = ?", kind),
            ("occurred_at >= ?", since),
            ("occurred_at < ?", until),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return " AND ".join(clauses), params

    def _select(
        self, where: str, params: Sequence[Any], limit: int | None, *, newest_first: bool = False
    ) -> builtins.list[Envelope]:
        order = "seq DESC" if newest_first else "seq"
        sql = f"SELECT envelope FROM event_log WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._backend.transaction() as tx:
            rows = tx.query(sql, params)
        return [json.loads(r[0]) for r in rows]


def _tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id:
        raise UsageError("Every read names its tenant: pass a non-empty tenant_id.")
    return tenant_id
