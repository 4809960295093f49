"""``matrix demo``: build the embedded demo store and say where to look next.

It grows with the product; today it checks the contracts, creates and migrates the store,
registers a demo tenant and records one owner request as a traced chain of envelopes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import ContractError
from matrix.storage import open_store

DEMO_TENANT = "demo"
_NAMESPACE = uuid.UUID("6f1d1c1e-4a59-4c39-9b1e-0d5b8a7c2f10")


def _id(label: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, label))


def sample_chain(tenant_id: str, start: datetime) -> list[env.Envelope]:
    """One owner request traced end to end: command, task, acceptance, completion.

    Ids are derived from the tenant, so writing the chain twice stores it once.
    """
    clock = FrozenClock(start)
    corr, trace = _id(f"{tenant_id}:corr"), _id(f"{tenant_id}:trace")
    task_id = _id(f"{tenant_id}:task")
    owner_command_id = _id(f"{tenant_id}:oc")
    owner = {"actor_id": "owner", "actor_type": "owner", "channel": "ui-chat"}
    agent = {"actor_id": "owner-concierge", "actor_type": "agent", "channel": "api"}
    text = "Schedule a meeting with Ana Souza on Friday at 10:00"
    # (delay in seconds, kind, name, source, target, status, payload)
    steps: list[tuple[float, str, str, str, str, str | None, dict[str, object]]] = [
        (0.0, "command", "owner.command.create", env.OWNER, env.OWNER, None,
         {"owner_command_id": owner_command_id, "mode": "one-shot", "text": text}),
        (0.01, "event", "owner.command.created", env.OWNER, env.OWNER, "info",
         {"owner_command_id": owner_command_id, "mode": "one-shot"}),
        (0.02, "command", "module.task.create", env.OWNER, env.AGENDA, None,
         {"task_id": task_id, "task_type": "agenda.commitment.schedule", "priority": "normal",
          "input": {"customer": "Ana Souza", "when": "friday 10:00"}}),
        (0.01, "event", "module.task.created", env.OWNER, env.AGENDA, None,
         {"task_id": task_id, "task_type": "agenda.commitment.schedule",
          "target_module": env.AGENDA}),
        (0.4, "event", "module.task.accepted", env.AGENDA, env.OWNER, "accepted",
         {"task_id": task_id, "accepted_by": f"{env.AGENDA}-worker"}),
        (0.3, "event", "module.task.completed", env.AGENDA, env.OWNER, "completed",
         {"task_id": task_id, "result_summary": "Appointment booked."}),
    ]  # fmt: skip
    chain: list[env.Envelope] = []
    causation: str | None = None
    for index, (delay, kind, name, source, target, status, payload) in enumerate(steps):
        clock.advance(delay)
        if kind == "command":
            actor = owner if not chain else agent
            built = env.command(
                name, tenant_id=tenant_id, source_module=source, target_module=target,
                payload=payload, actor=actor, correlation_id=corr, causation_id=causation,
                trace_id=trace, clock=clock,
            )  # fmt: skip
            built["command_id"] = _id(f"{tenant_id}:{index}")
            causation = built["command_id"]
        else:
            built = env.event(
                name, tenant_id=tenant_id, source_module=source, target_module=target,
                payload=payload, status=status, correlation_id=corr, causation_id=causation,
                trace_id=trace, clock=clock,
            )  # fmt: skip
            built["event_id"] = _id(f"{tenant_id}:{index}")
        chain.append(built)
    return chain


def run_demo(settings: Settings, *, echo: Callable[[str], None]) -> None:
    """Check contracts, build the store, record a sample trace, and print what to do next."""
    report = Catalog(settings.contracts_dir).check()
    if not report.ok:
        first = report.issues[0]
        raise ContractError(
            f"contracts are broken: {first.file}: {first.message}; run `matrix contracts check`."
        )
    echo(
        f"[1/3] contracts ok: {report.schemas} schemas, "
        f"{report.valid_examples + report.invalid_examples} examples checked"
    )
    with open_store(settings=settings, migrate=True) as store:
        echo(f"[2/3] store {store.url} ready at schema version {store.schema_version()}")
        store.tenants.add(DEMO_TENANT, "Demo Tenant")
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        chain = sample_chain(DEMO_TENANT, start)
        result = store.events.append_many(chain)
        total = store.events.count(DEMO_TENANT)
    corr = chain[0]["correlation_id"]
    echo(
        f"[3/3] tenant {DEMO_TENANT!r}: sample owner request recorded "
        f"({result.added} new envelopes, {total} in its log)"
    )
    echo("")
    echo("Where to look next:")
    echo(f"  .venv/bin/matrix events trace {corr} --tenant {DEMO_TENANT}")
    echo(f"  .venv/bin/matrix events list --tenant {DEMO_TENANT}")
    echo("  .venv/bin/matrix config show")
    echo("  .venv/bin/matrix --help")
