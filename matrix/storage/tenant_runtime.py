"""One read of what an owner interaction needs about its tenant: that it exists, its stored
runtime config and its OpenAI key.

The interaction used to ask three questions (the tenant, the config, the key) in three round
trips; on PostgreSQL each is a network round trip, so this joins them into one query. The
config and the secret keep their homes in :class:`matrix.storage.runtime.SqlRuntimeConfig`,
which writes them; the secret is opened by :class:`SqlSecrets` (it is sealed at rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from matrix.storage.base import Backend
from matrix.storage.runtime import config_row
from matrix.storage.secrets import SqlSecrets


@dataclass(frozen=True, kw_only=True)
class TenantRuntimeRow:
    """A known tenant's stored runtime: its config (None when never saved) and one secret."""

    config: tuple[dict[str, Any], int, datetime] | None
    secret: str | None = field(default=None, repr=False)


class SqlTenantRuntime:
    """Reads a tenant's runtime in one query (implements the concierge's port)."""

    def __init__(self, backend: Backend, secrets: SqlSecrets) -> None:
        self._backend = backend
        self._secrets = secrets

    def load(self, tenant_id: str, secret_name: str) -> TenantRuntimeRow | None:
        """The tenant's stored config and its secret ``secret_name``; None for an unknown tenant."""
        with self._backend.transaction() as tx:
            rows = tx.query(
                "SELECT c.config, c.version, c.updated_at, s.value FROM tenants AS t"
                " LEFT JOIN tenant_config AS c ON c.tenant_id = t.tenant_id"
                " LEFT JOIN tenant_secrets AS s ON s.tenant_id = t.tenant_id AND s.name = ?"
                " WHERE t.tenant_id = ?",
                [secret_name, tenant_id],
            )
        if not rows:
            return None
        config, version, updated_at, secret = rows[0]
        stored = None if config is None else config_row(config, version, updated_at)
        opened = (
            None if secret is None else self._secrets.opened(tenant_id, secret_name, str(secret))
        )
        return TenantRuntimeRow(config=stored, secret=opened)
