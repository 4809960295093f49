"""What memory needs from the outside world: an embedder, and the store's memory tables.

``matrix.providers.embeddings`` implements :class:`Embedder` (a local model shipped inside its
wheel, or OpenAI's embeddings through the official SDK); ``matrix.storage.memory_search`` implements
:class:`MemoryRepository`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from matrix.approvals.ports import Journal, TenantDirectory

if TYPE_CHECKING:  # the concierge imports memory; memory needs only its type
    from matrix.concierge.ports import TenantAI


class Embedder(Protocol):
    """Turns texts into unit vectors. Vectors are compared only with vectors of the same
    ``model`` (which names the model and its dimension)."""

    model: str
    dimension: int
    remote: bool
    """Whether it calls a network service: memory then never calls it inside a transaction
    (entries wait for the re-embedding job)."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector of ``dimension`` floats per text, in order; a failure is a
        ProviderError."""
        ...


class EmbedderSelector(Protocol):
    """The embedder that serves one tenant (its key, the embedding mode), or None (mode off)."""

    def __call__(self, tenant: TenantAI | None, mode: str | None = None) -> Embedder | None: ...


Record = dict[str, Any]


class MemoryRepository(Protocol):
    """The store's memory tables. Every read and write names the tenant; session-scoped reads
    name the session too."""

    # short memory and sessions
    def append_turns(
        self, tenant_id: str, session_id: str, turns: Sequence[tuple[str, str]], at: datetime,
        *, keep: int,
    ) -> int: ...  # fmt: skip

    def turns(self, tenant_id: str, session_id: str, limit: int) -> list[Record]: ...

    def sessions(self, tenant_id: str, limit: int) -> list[Record]: ...

    # episodes
    def add_episode(self, record: Record) -> bool: ...

    def episodes(self, tenant_id: str, session_id: str | None, limit: int) -> list[Record]: ...

    # long memory
    def insert_entry(self, record: Record, terms: dict[str, int]) -> None: ...

    def update_entry(
        self, tenant_id: str, memory_id: str, changes: Record, *, expect: Record | None = None
    ) -> bool: ...

    def entry(self, tenant_id: str, memory_id: str) -> Record | None: ...

    def entries(
        self, tenant_id: str, *, session_id: str | None = None, statuses: Sequence[str] = (),
        limit: int = 1000, ids: Sequence[str] | None = None,
    ) -> list[Record]: ...  # fmt: skip

    def ranking_facts(
        self, tenant_id: str, ids: Sequence[str], *, statuses: Sequence[str],
        session_id: str | None = None,
    ) -> dict[str, Record]: ...  # fmt: skip

    def live_by_hash(self, tenant_id: str, content_hash: str) -> Record | None: ...

    def live_by_subject(self, tenant_id: str, subject_key: str) -> list[Record]: ...

    def by_external_key(self, tenant_id: str, external_key: str) -> Record | None: ...

    def audit(self, record: Record) -> None: ...

    def history(self, tenant_id: str, memory_id: str) -> list[Record]: ...

    def summary(self, tenant_id: str) -> Record: ...

    # search
    def search(
        self, tenant_id: str, terms: Sequence[str], *, vector: Sequence[float] | None,
        model: str | None, statuses: Sequence[str], session_id: str | None, limit: int,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], dict[str, Record]]: ...  # fmt: skip

    def bm25(
        self, tenant_id: str, terms: Sequence[str], *, statuses: Sequence[str] | None,
        session_id: str | None, limit: int,
    ) -> list[tuple[str, float]]: ...  # fmt: skip

    def changes_naming(
        self, tenant_id: str, names: Sequence[str], *, statuses: Sequence[str], limit: int
    ) -> list[Record]: ...

    def nearest(
        self, tenant_id: str, model: str, vector: Sequence[float], *,
        statuses: Sequence[str] | None, session_id: str | None, limit: int,
        within: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]: ...  # fmt: skip

    # vectors
    def put_vectors(
        self, tenant_id: str, model: str, vectors: Sequence[tuple[str, Sequence[float]]],
        at: datetime,
    ) -> int: ...  # fmt: skip

    def vector(self, tenant_id: str, memory_id: str, model: str) -> list[float] | None: ...

    def lacking_vector(self, tenant_id: str, model: str, limit: int) -> list[Record]: ...


class MemoryStore(Journal, Protocol):
    """The parts of the operational store memory uses."""

    @property
    def memory(self) -> MemoryRepository: ...

    @property
    def tenants(self) -> TenantDirectory: ...

    def transaction(self) -> AbstractContextManager[object]: ...
