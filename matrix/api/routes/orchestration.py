"""Orchestration read-outs: one correlation's commands and events, and the task queue (origin
§g 63–64), at ``/v1/orchestration`` and at the origin's ``/internal/orchestration`` paths.

Both are read-only and scoped to the token's tenant: another tenant's correlation id answers
exactly as an unknown one (no commands, no events). The origin's drain routes are not here: the
scheduler runs the queue.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from matrix.api.routing import Api, Call, TenantQuery
from matrix.modules.tasks import queue_view

TAGS = ["orchestration"]
PREFIXES = ("/v1/orchestration", "/internal/orchestration")
DEFAULT_QUEUE_LIMIT = 50
MAX_QUEUE_LIMIT = 200

CorrelationId = Annotated[
    str, Query(min_length=1, max_length=200, description="The correlation id to follow.")
]
QueueLimit = Annotated[
    int, Query(ge=1, le=MAX_QUEUE_LIMIT, description="At most this many tasks on each side.")
]


def register(api: Api) -> None:
    for prefix in PREFIXES:
        name = prefix.strip("/").replace("/", "_")

        def trace(
            call: Call, correlation_id: CorrelationId, tenant_id: TenantQuery = None
        ) -> dict[str, Any]:
            """Every command and event of one correlation id, in the order they were recorded."""
            tenant = call.for_tenant(tenant_id)
            chain = call.store.events.trace(tenant, correlation_id)
            return {"tenant_id": tenant, "correlation_id": correlation_id,
                    "commands": [e for e in chain if e["kind"] == "command"],
                    "events": [e for e in chain if e["kind"] == "event"]}  # fmt: skip

        def task_queue(
            call: Call, tenant_id: TenantQuery = None, limit: QueueLimit = DEFAULT_QUEUE_LIMIT
        ) -> dict[str, Any]:
            """The tenant's tasks: waiting or running (in the order they will run) and finished
            (newest first), with the totals of each."""
            tenant = call.for_tenant(tenant_id)
            return queue_view(call.store.tasks, tenant, limit=limit).as_dict()

        trace.__name__ = f"{name}_trace"
        task_queue.__name__ = f"{name}_module_task_queue"
        api.get(f"{prefix}/trace", response="orchestration.trace_response", tags=TAGS)(trace)
        api.get(f"{prefix}/module-task-queue", response="orchestration.queue_response",
                tags=TAGS)(task_queue)  # fmt: skip
