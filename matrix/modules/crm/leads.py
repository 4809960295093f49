"""CRM leads (module 02): capture, move through the funnel with history, convert to a customer."""

from __future__ import annotations

from typing import Any

from matrix import envelopes as env
from matrix.errors import ConflictError, NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel
from matrix.modules.customers import service as customers
from matrix.modules.ports import ModuleStore, Record

SOURCE_CHANNELS = ("whatsapp", "web", "manual")


class TransitionError(ConflictError):
    """A funnel move was refused (a business refusal, exit 1); ``code`` is the origin's error code."""

    def __init__(self, message: str, *, code: str, expected_trigger: str | None) -> None:
        super().__init__(message, code=code)
        self.expected_trigger = expected_trigger


def capture(
    store: ModuleStore, work: Work, *, display_name: str, phone: str, source_channel: str = "whatsapp",
    external_key: str | None = None, metadata: dict[str, Any] | None = None, stage: str = "new",
) -> tuple[Record, str]:  # fmt: skip
    """Create a lead, in stage ``new`` unless told otherwise (an import of leads already worked);
    idempotent by external key, default ``wa:<phone>``.

    Safe under concurrency: writers racing on one key all get the one stored lead, and only the
    writer that created it emits ``crm.lead.created`` (which names the contract's public stage).
    """
    name = values.name(display_name)
    values.phone(phone)
    if source_channel not in SOURCE_CHANNELS:
        raise UsageError(
            f"source_channel must be one of {list(SOURCE_CHANNELS)}, got {source_channel!r}."
        )
    if stage not in funnel.STAGES:
        raise UsageError(f"stage must be one of {list(funnel.STAGES)}, got {stage!r}.")
    fields = {"display_name": name, "phone_e164": phone, "source_channel": source_channel, "stage": stage,
              "customer_id": None, "metadata": metadata or {}}  # fmt: skip
    return create_once(
        store, work, store.modules.leads, "lead_id", fields, external_key=external_key or f"wa:{phone}",
        events=lambda lead: [work.event("crm.lead.created", env.CRM, env.OWNER, {
            "lead_id": lead["lead_id"], "source_channel": source_channel, "phone_e164": phone,
            "stage": funnel.PUBLIC_STAGE.get(stage, stage)})],
    )  # fmt: skip


def move(
    store: ModuleStore, work: Work, lead_id: str, *, to_stage: str, trigger: str | None,
    reason_code: str | None = None, actor: str = "owner",
) -> Record:  # fmt: skip
    """Move a lead through the funnel (see :func:`change_stage`); returns the lead."""
    lead, _, _ = change_stage(store, work, lead_id, to_stage=to_stage, trigger=trigger,
                              reason_code=reason_code, actor=actor)  # fmt: skip
    return lead


def change_stage(
    store: ModuleStore, work: Work, lead_id: str, *, to_stage: str, trigger: str | None,
    reason_code: str | None = None, actor: str = "owner", metadata: dict[str, Any] | None = None,
) -> tuple[Record, str, str | None]:  # fmt: skip
    """Move a lead through the funnel, recording its history and emitting
    ``crm.lead.stage.changed``; ``metadata``, when given, replaces the lead's (also when it stays
    in its stage). Returns the lead; ``updated``, or ``idempotent`` when nothing changed; and the
    event emitted (None when the lead stayed in its stage).

    Raises:
        NotFoundError: the tenant has no such lead.
        TransitionError: with the origin's code (``transition_not_allowed``, ``trigger_mismatch``...).
    """
    with store.transaction():
        lead = require(store, work.tenant_id, lead_id)
        verdict = funnel.check_lead(lead["stage"], to_stage, trigger, reason_code)
        if not verdict.ok:
            raise TransitionError(verdict.message("lead", lead["stage"], to_stage), code=str(verdict.code),
                                  expected_trigger=verdict.expected_trigger)  # fmt: skip
        now = work.clock.now()
        changes: Record = {} if metadata is None else {"metadata": metadata, "updated_at": now}
        if verdict.same_state:
            if changes:
                store.modules.leads.update(work.tenant_id, lead_id, changes)
            return {**lead, **changes}, "updated" if changes else "idempotent", None
        changes |= {"stage": to_stage, "updated_at": now}
        changed = store.modules.leads.update(
            work.tenant_id, lead_id, changes, expect={"stage": lead["stage"]}
        )
        if not changed:
            raise TransitionError(
                "The lead moved meanwhile; read it again.",
                code="stale_stage",
                expected_trigger=None,
            )
        store.modules.lead_history.insert({
            "history_id": env.new_id(), "tenant_id": work.tenant_id, "lead_id": lead_id,
            "from_stage": lead["stage"], "to_stage": to_stage, "trigger": trigger, "reason_code": reason_code,
            "actor": actor, "changed_at": now,
        })  # fmt: skip
        store.events.append_many([work.event("crm.lead.stage.changed", env.CRM, env.OWNER, {
            "lead_id": lead_id, "from_stage": lead["stage"], "to_stage": to_stage, "trigger": str(trigger),
            "reason_code": reason_code}, status="info")])  # fmt: skip
    return {**lead, **changes}, "updated", "crm.lead.stage.changed"


# A customer is someone who bought: only a won lead converts.
CONVERTIBLE = ("won",)


def convert(store: ModuleStore, work: Work, lead_id: str) -> tuple[Record, str]:
    """Turn a won lead into a customer (once); emits ``crm.lead.converted`` the first time.

    Raises:
        NotFoundError: the tenant has no such lead.
        ConflictError: ``lead_not_won``, the lead is in another stage; nothing is changed.
    """
    with store.transaction():
        lead = require(store, work.tenant_id, lead_id)
        if lead["customer_id"]:
            customer = customers.require(store, work.tenant_id, lead["customer_id"])
            return customer, "idempotent"
        if lead["stage"] not in CONVERTIBLE:
            path = " → ".join(_path_to_won(lead["stage"])) or "none (the stage is final)"
            raise ConflictError(f"Lead {lead_id} is in stage {lead['stage']!r}; only a won lead becomes a customer"
                                f" (lead_not_won). Move it to won first: {path}.", code="lead_not_won")  # fmt: skip
        customer, _ = customers.upsert(
            store, work, display_name=lead["display_name"], phone=lead["phone_e164"],
            external_key=f"lead:{lead_id}", origin="lead_conversion", source_module=env.CRM, lead_id=lead_id,
        )  # fmt: skip
        store.modules.leads.update(work.tenant_id, lead_id, {"customer_id": customer["customer_id"],
                                                              "updated_at": work.clock.now()})  # fmt: skip
        store.events.append_many([work.event("crm.lead.converted", env.CRM, env.CUSTOMERS,
                                             {"lead_id": lead_id, "customer_id": customer["customer_id"]})])  # fmt: skip
    return customer, "created"


def _path_to_won(stage: str) -> list[str]:
    """The shortest run of funnel moves from ``stage`` to won (empty when there is none)."""
    paths, seen = [[stage]], {stage}
    while paths:
        path = paths.pop(0)
        for target in funnel.lead_targets(path[-1]):
            if target == "won":
                return [*path, target]
            if target not in seen:
                seen.add(target)
                paths.append([*path, target])
    return []


def require(store: ModuleStore, tenant_id: str, lead_id: str) -> Record:
    lead = store.modules.leads.get(tenant_id, lead_id)
    if lead is None:
        raise NotFoundError(f"No lead {lead_id!r} for tenant {tenant_id!r}.")
    return lead


def history(store: ModuleStore, tenant_id: str, lead_id: str) -> list[Record]:
    """A lead's stage changes, oldest first."""
    return store.modules.lead_history.find(
        tenant_id, lead_id=lead_id, order="changed_at", limit=1000
    )


def with_history(store: ModuleStore, tenant_id: str, lead_id: str) -> Record:
    """One lead and its ``stage_history``.

    Raises:
        NotFoundError: the tenant has no such lead.
    """
    lead = require(store, tenant_id, lead_id)
    return {**lead, "stage_history": history(store, tenant_id, lead_id)}


def page(
    store: ModuleStore,
    tenant_id: str,
    *,
    stage: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Record], int]:
    """One page of the tenant's leads, oldest first, and how many match in all."""
    filters: dict[str, Any] = {"stage": stage} if stage is not None else {}
    return store.modules.leads.page(tenant_id, limit=limit, offset=offset, **filters)
