"""``GET /api/analytics/status``: how fresh the numbers are (the analytics store's lag per table)."""

from __future__ import annotations

from typing import Any

from matrix.api.routing import Api, Call, TenantQuery


def register(api: Api) -> None:
    @api.get("/api/analytics/status", response="analytics.status_response", tags=["metrics"])
    def analytics_status(call: Call, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """Per copied table: rows copied, the tenant's rows not copied yet, seconds since the last
        sync; ``live`` when metrics read the operational store itself."""
        tenant = call.for_tenant(tenant_id)
        return call.app.analytics.status(tenant).as_dict()
