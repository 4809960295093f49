"""``GET /health``: whether the server answers and what it runs on (§g.1), for load balancers.

Public and tenant-free: it names the backend and the schema version, never a path or a URL.
"""

from __future__ import annotations

from typing import Any

from matrix import approvals
from matrix.api.routing import Api, Call


def register(api: Api) -> None:
    @api.get("/health", response="health.health", public=True, tags=["health"], errors=())
    def health(call: Call) -> dict[str, Any]:
        """The server is up; the backend and schema version it serves."""
        settings = call.app.settings
        return {
            "status": "ok",
            "service": "matrix",
            "storage": {
                "backend": call.store.dialect,
                "schema_version": call.store.schema_version(),
            },
            "owner_confirmation": {
                "max_pending_per_tenant": approvals.DEFAULT_MAX_PENDING,
                "ttl_seconds": approvals.DEFAULT_TTL_SECONDS,
            },
            "owner_response": {
                "mode": settings.provider_mode,
                "openai_available": bool(settings.openai_api_key),
            },
        }
