"""The correlation a module operation runs under, and a helper to emit events on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matrix import envelopes as env
from matrix import values
from matrix.clock import Clock
from matrix.modules.ports import ModuleStore, Record, TableGateway

if TYPE_CHECKING:
    from matrix.modules.tasks import Task


@dataclass(frozen=True, kw_only=True)
class Work(env.Chain):
    """One operation's tenant, clock and trace: every event it emits carries these ids (the
    envelopes are built by :class:`matrix.envelopes.Chain`)."""

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


def create_once(
    store: ModuleStore, work: Work, table: TableGateway, key_column: str, fields: Record, *,
    external_key: str | None, events: Callable[[Record], list[env.Envelope]],
) -> tuple[Record, str]:  # fmt: skip
    """Insert a record unless the tenant already has one with this external key.

    Returns the record and ``created``, or the stored record unchanged and ``idempotent``; only a
    creation emits the record's lifecycle events. Concurrent creations of one key store one
    record where the table has a unique key on it: the later writers get the stored one.
    """
    if external_key:
        values.one_line(external_key, "external_key")
    with store.transaction():
        if external_key:
            found = table.find(work.tenant_id, external_key=external_key, limit=1)
            if found:
                return found[0], "idempotent"
        now = work.clock.now()
        record = {key_column: env.new_id(), "tenant_id": work.tenant_id, "external_key": external_key,
                  "created_at": now, "updated_at": now, **fields}  # fmt: skip
        if not external_key:
            table.insert(record)
        elif not table.insert_once(record, key=("external_key",)):
            # A concurrent writer stored this key first; its row is committed by now.
            return table.find(work.tenant_id, external_key=external_key, limit=1)[0], "idempotent"
        store.events.append_many(events(record))
    return record, "created"


Outcome = Callable[[ModuleStore, Work, Record, str, str | None, bool], None]
"""Called after an outbound send: (store, work, message, status sent|failed|dead, error code,
retryable); the module that asked for the message reports it on the message's correlation."""
