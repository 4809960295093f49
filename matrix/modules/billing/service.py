"""Billing (module 05): charges, payments that settle them, collections through Persona 2.

A collection request moves the charge's collection state ``requested → queued`` and sends
``billing.collection.dispatch.request`` to Persona 2 with a queued WhatsApp message; the state
becomes ``sent`` when the transport accepts it, or ``failed`` when the message is dead. A payment
settles its charge (``paid``); write-offs run only after the owner approved them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel, outbound
from matrix.modules.ports import ModuleStore, Record

BILLING_ACTOR = {"actor_id": "billing", "actor_type": "system", "channel": "billing"}
OPEN = ("open", "overdue")


def create_charge(
    store: ModuleStore, work: Work, *, customer_id: str, amount: object, currency: str, due_date: date,
    external_key: str | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Create a charge (idempotent by external key); emits ``billing.charge.created``."""
    value = values.amount(amount)
    code = values.currency(currency)
    if store.modules.customers.get(work.tenant_id, customer_id) is None:
        raise NotFoundError(f"No customer {customer_id!r} for tenant {work.tenant_id!r}.")
    fields = {"customer_id": customer_id, "amount": value, "currency": code, "due_date": due_date,
              "status": "open", "collection_state": None}  # fmt: skip
    return create_once(store, work, store.modules.charges, "charge_id", fields, external_key=external_key,
                       events=lambda charge: [work.event("billing.charge.created", env.BILLING, env.OWNER, {
                           "charge_id": charge["charge_id"], "customer_id": customer_id, "amount": float(value),
                           "currency": code})])  # fmt: skip


def require_charge(store: ModuleStore, tenant_id: str, charge_id: str) -> Record:
    charge = store.modules.charges.get(tenant_id, charge_id)
    if charge is None:
        raise NotFoundError(f"No charge {charge_id!r} for tenant {tenant_id!r} (charge_not_found).")
    return charge


def record_payment(
    store: ModuleStore, work: Work, *, charge_id: str, amount: object, currency: str,
    paid_at: datetime | None = None, external_key: str | None = None,
) -> tuple[Record, Record]:  # fmt: skip
    """Record a payment; when payments cover the charge it becomes ``paid``."""
    value = values.amount(amount)
    code = values.currency(currency)
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if code != charge["currency"]:
            raise UsageError(f"currency {code} does not match the charge's {charge['currency']}.")
        if charge["status"] in ("paid", "written_off", "canceled"):
            raise UsageError(f"Charge {charge_id} is already {charge['status']}; nothing to pay.")
        if external_key and store.modules.payments.find(
            work.tenant_id, external_key=external_key, limit=1
        ):
            return store.modules.payments.find(work.tenant_id, external_key=external_key, limit=1)[
                0
            ], charge
        now = work.clock.now()
        payment: Record = {"payment_id": env.new_id(), "tenant_id": work.tenant_id, "charge_id": charge_id,
                   "external_key": external_key, "amount": value, "currency": code,
                   "paid_at": paid_at or now, "created_at": now}  # fmt: skip
        store.modules.payments.insert(payment)
        paid = sum(
            (
                Decimal(str(p["amount"]))
                for p in store.modules.payments.find(work.tenant_id, charge_id=charge_id)
            ),
            Decimal(0),
        )
        changes: Record = {"updated_at": now}
        if paid >= Decimal(str(charge["amount"])):
            changes["status"] = "paid"
            if charge["collection_state"]:
                changes["collection_state"] = "paid"
        store.modules.charges.update(work.tenant_id, charge_id, changes)
        store.events.append_many([work.event("billing.payment.confirmed", env.BILLING, env.OWNER, {
            "payment_id": payment["payment_id"], "charge_id": charge_id, "amount": float(value), "currency": code,
            "paid_at": env.timestamp(payment["paid_at"])}, status="completed")])  # fmt: skip
    return payment, {**charge, **changes}


def overdue_for(store: ModuleStore, tenant_id: str, customer_id: str, today: date) -> list[Record]:
    """The customer's unpaid charges past their due date, oldest first."""
    charges = store.modules.charges.find(
        tenant_id, customer_id=customer_id, order="due_date", limit=1000
    )
    return [c for c in charges if c["status"] in OPEN and c["due_date"] < today]


def request_collection(
    store: ModuleStore, work: Work, charge_id: str, *, language: str = "pt"
) -> Record:
    """Ask Persona 2 to send a collection message for an unpaid charge."""
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if charge["status"] not in OPEN:
            raise UsageError(
                f"Charge {charge_id} is {charge['status']}; only open charges are collected."
            )
        customer = store.modules.customers.get(work.tenant_id, charge["customer_id"])
        phone = customer.get("primary_phone") if customer else None
        if not phone:
            raise UsageError(
                f"Customer {charge['customer_id']} has no WhatsApp number to collect through."
            )
        amount = f"{charge['currency']} {Decimal(str(charge['amount'])):.2f}"
        text = (f"Olá {customer['display_name'].split()[0]}, a fatura de {amount} venceu em "  # type: ignore[index]
                f"{charge['due_date']:%d/%m}. Podemos ajudar com o pagamento?") if language == "pt" else (
                f"Hi {customer['display_name'].split()[0]}, the invoice of {amount} was due on "  # type: ignore[index]
                f"{charge['due_date']:%b %d}. Can we help you settle it?")  # fmt: skip
        command = work.command("billing.collection.dispatch.request", env.BILLING, env.CRM, {
            "charge_id": charge_id, "customer_id": charge["customer_id"], "amount": float(charge["amount"]),
            "currency": charge["currency"], "channel": "whatsapp", "phone_e164": phone, "message": text}, BILLING_ACTOR)  # fmt: skip
        state = charge["collection_state"] or "requested"
        target = "queued" if state in ("requested", "failed") else state
        verdict = funnel.check_collection(
            state, target, "enqueue_message" if state == "requested" else "retry_eligible"
        )
        if not verdict.ok:
            raise UsageError(
                f"Charge {charge_id} has a collection in state {state}; wait for it to finish."
            )
        store.modules.charges.update(
            work.tenant_id, charge_id, {"collection_state": target, "updated_at": work.clock.now()}
        )
        store.events.append_many([command, work.event("billing.collection.requested", env.BILLING, env.CRM,
                                                      {"charge_id": charge_id, "channel": "whatsapp"},
                                                      causation_id=command["command_id"])])  # fmt: skip
        outbound.enqueue(store, Work(tenant_id=work.tenant_id, clock=work.clock, correlation_id=work.correlation_id,
                                     trace_id=work.trace_id, causation_id=command["command_id"]),
                         context_type="collection", context_id=charge_id, phone=phone, text=text,
                         idempotency_key=f"collection:{command['command_id']}")  # fmt: skip
    return {**charge, "collection_state": target}


def on_outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    """Report a collection message: sent, or failed once it is dead."""
    if status == "failed":
        return
    charge = store.modules.charges.get(work.tenant_id, message["context_id"])
    if charge is None:
        return
    now = work.clock.now()
    if status == "sent":
        store.modules.charges.update(
            work.tenant_id, charge["charge_id"], {"collection_state": "sent", "updated_at": now}
        )
        store.events.append_many([work.event("billing.collection.sent", env.CRM, env.BILLING, {
            "charge_id": charge["charge_id"], "message_id": message["provider_message_id"], "sent_at": env.timestamp(now)})])  # fmt: skip
    else:
        store.modules.charges.update(
            work.tenant_id, charge["charge_id"], {"collection_state": "failed", "updated_at": now}
        )
        store.events.append_many([work.event("billing.collection.failed", env.CRM, env.BILLING, {
            "charge_id": charge["charge_id"], "error_code": error or "DELIVERY_FAILED", "retryable": False},
            status="failed")])  # fmt: skip


def write_off(store: ModuleStore, work: Work, charge_id: str) -> Record:
    """Write a charge off (run only by an approved ``billing.writeoff.request`` task)."""
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if charge["status"] not in OPEN:
            raise UsageError(
                f"Charge {charge_id} is {charge['status']}; only open charges can be written off."
            )
        store.modules.charges.update(
            work.tenant_id, charge_id, {"status": "written_off", "updated_at": work.clock.now()}
        )
    return {**charge, "status": "written_off"}
