"""The correlation a module operation runs under, and a helper to emit events on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.modules.ports import ModuleStore, Record, TableGateway

if TYPE_CHECKING:
    from matrix.modules.tasks import Task


@dataclass(frozen=True, kw_only=True)
class Work:
    """One operation's tenant, clock and trace: every event it emits carries these ids."""

    tenant_id: str
    clock: Clock
    correlation_id: str
    trace_id: str
    causation_id: str | None = None

    @classmethod
    def of(cls, task: Task, clock: Clock) -> Work:
        """The work of a queued task: its tenant and correlation, caused by its command."""
        return cls(tenant_id=task.tenant_id, clock=clock, correlation_id=task.correlation_id,
                   trace_id=task.trace_id, causation_id=task.command_id)  # fmt: skip

    @classmethod
    def new(cls, tenant_id: str, clock: Clock) -> Work:
        return cls(
            tenant_id=tenant_id, clock=clock, correlation_id=env.new_id(), trace_id=env.new_id()
        )

    def event(self, name: str, source: str, target: str, payload: dict[str, Any], status: str | None = None,
              causation_id: str | None = None) -> env.Envelope:  # fmt: skip
        return env.event(
            name, tenant_id=self.tenant_id, source_module=source, target_module=target, payload=payload,
            status=status, correlation_id=self.correlation_id, trace_id=self.trace_id,
            causation_id=causation_id or self.causation_id, clock=self.clock,
        )  # fmt: skip

    def command(
        self, name: str, source: str, target: str, payload: dict[str, Any], actor: dict[str, str]
    ) -> env.Envelope:
        return env.command(
            name, tenant_id=self.tenant_id, source_module=source, target_module=target, payload=payload,
            actor=actor, correlation_id=self.correlation_id, trace_id=self.trace_id,
            causation_id=self.causation_id, clock=self.clock,
        )  # fmt: skip


def create_once(
    store: ModuleStore, work: Work, table: TableGateway, key_column: str, fields: Record, *,
    external_key: str | None, events: Callable[[Record], list[env.Envelope]],
) -> tuple[Record, str]:  # fmt: skip
    """Insert a record unless the tenant already has one with this external key.

    Returns the record and ``created``, or the stored record unchanged and ``idempotent``; only a
    creation emits the record's lifecycle events.
    """
    with store.transaction():
        if external_key:
            found = table.find(work.tenant_id, external_key=external_key, limit=1)
            if found:
                return found[0], "idempotent"
        now = work.clock.now()
        record = {key_column: env.new_id(), "tenant_id": work.tenant_id, "external_key": external_key,
                  "created_at": now, "updated_at": now, **fields}  # fmt: skip
        table.insert(record)
        store.events.append_many(events(record))
    return record, "created"


Outcome = Callable[[ModuleStore, Work, Record, str, str | None, bool], None]
"""Called after an outbound send: (store, work, message, status sent|failed|dead, error code,
retryable); the module that asked for the message reports it on the message's correlation."""
