"""CRM leads (module 02): capture, move through the funnel with history, convert to a customer."""

from __future__ import annotations

from typing import Any

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel
from matrix.modules.customers import service as customers
from matrix.modules.ports import ModuleStore, Record

SOURCE_CHANNELS = ("whatsapp", "web", "manual")


class TransitionError(UsageError):
    """A funnel move was refused; ``code`` is the origin's error code."""

    def __init__(self, message: str, *, code: str, expected_trigger: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.expected_trigger = expected_trigger


def capture(
    store: ModuleStore, work: Work, *, display_name: str, phone: str, source_channel: str = "whatsapp",
    external_key: str | None = None, metadata: dict[str, Any] | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Create a lead in stage ``new`` (idempotent by external key, default ``wa:<phone>``).

    Safe under concurrency: writers racing on one key all get the one stored lead, and only the
    writer that created it emits ``crm.lead.created``.
    """
    name = values.name(display_name)
    values.phone(phone)
    if source_channel not in SOURCE_CHANNELS:
        raise UsageError(
            f"source_channel must be one of {list(SOURCE_CHANNELS)}, got {source_channel!r}."
        )
    fields = {"display_name": name, "phone_e164": phone, "source_channel": source_channel, "stage": "new",
              "customer_id": None, "metadata": metadata or {}}  # fmt: skip
    return create_once(
        store, work, store.modules.leads, "lead_id", fields, external_key=external_key or f"wa:{phone}",
        events=lambda lead: [work.event("crm.lead.created", env.CRM, env.OWNER, {
            "lead_id": lead["lead_id"], "source_channel": source_channel, "phone_e164": phone, "stage": "new"})],
    )  # fmt: skip


def move(
    store: ModuleStore, work: Work, lead_id: str, *, to_stage: str, trigger: str | None,
    reason_code: str | None = None, actor: str = "owner",
) -> Record:  # fmt: skip
    """Move a lead through the funnel; records history and emits ``crm.lead.stage.changed``.

    Raises:
        TransitionError: with the origin's code (``transition_not_allowed``, ``trigger_mismatch``...).
    """
    with store.transaction():
        lead = require(store, work.tenant_id, lead_id)
        verdict = funnel.check_lead(lead["stage"], to_stage, trigger, reason_code)
        if not verdict.ok:
            raise TransitionError(verdict.message("lead", lead["stage"], to_stage), code=str(verdict.code),
                                  expected_trigger=verdict.expected_trigger)  # fmt: skip
        if verdict.same_state:
            return lead
        now = work.clock.now()
        changed = store.modules.leads.update(work.tenant_id, lead_id, {"stage": to_stage, "updated_at": now},
                                             expect={"stage": lead["stage"]})  # fmt: skip
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
    return {**lead, "stage": to_stage, "updated_at": now}


def convert(store: ModuleStore, work: Work, lead_id: str) -> tuple[Record, str]:
    """Turn a lead into a customer (once); emits ``crm.lead.converted`` the first time."""
    with store.transaction():
        lead = require(store, work.tenant_id, lead_id)
        if lead["customer_id"]:
            customer = customers.require(store, work.tenant_id, lead["customer_id"])
            return customer, "idempotent"
        customer, _ = customers.upsert(
            store, work, display_name=lead["display_name"], phone=lead["phone_e164"],
            external_key=f"lead:{lead_id}", origin="lead_conversion", source_module=env.CRM, lead_id=lead_id,
        )  # fmt: skip
        store.modules.leads.update(work.tenant_id, lead_id, {"customer_id": customer["customer_id"],
                                                              "updated_at": work.clock.now()})  # fmt: skip
        store.events.append_many([work.event("crm.lead.converted", env.CRM, env.CUSTOMERS,
                                             {"lead_id": lead_id, "customer_id": customer["customer_id"]})])  # fmt: skip
    return customer, "created"


def require(store: ModuleStore, tenant_id: str, lead_id: str) -> Record:
    lead = store.modules.leads.get(tenant_id, lead_id)
    if lead is None:
        raise NotFoundError(f"No lead {lead_id!r} for tenant {tenant_id!r}.")
    return lead


def history(store: ModuleStore, tenant_id: str, lead_id: str) -> list[Record]:
    return store.modules.lead_history.find(
        tenant_id, lead_id=lead_id, order="changed_at", limit=1000
    )
