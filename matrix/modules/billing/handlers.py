"""Billing's task handlers: collect an overdue charge, create a charge, write one off."""

from __future__ import annotations

from datetime import timedelta

from matrix.modules import extract
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.customers.handlers import named_customer
from matrix.modules.tasks import TaskContext, TaskRefused, text_of


def request_collection(ctx: TaskContext) -> str:
    customer = named_customer(ctx)
    overdue = billing.overdue_for(
        ctx.store, ctx.task.tenant_id, customer["customer_id"], ctx.clock.now().date()
    )
    if not overdue:
        raise TaskRefused(
            "NO_OVERDUE_CHARGE", f"{customer['display_name']} has no overdue charge to collect"
        )
    charge = overdue[0]
    ctx.once("billing.collection", lambda _key: billing.request_collection(
        ctx.store, Work.of(ctx.task, ctx.clock), charge["charge_id"],
        language=extract.language(text_of(ctx)))[0]["charge_id"])  # fmt: skip
    return f"collection of {charge['currency']} {charge['amount']} requested from {customer['display_name']}"


def create_charge(ctx: TaskContext) -> str:
    customer = named_customer(ctx)
    amount = extract.money(text_of(ctx))
    if amount is None:
        raise TaskRefused("MISSING_AMOUNT", "the request names no amount (e.g. 'R$ 300')")
    charge, status = billing.create_charge(ctx.store, Work.of(ctx.task, ctx.clock), customer_id=customer["customer_id"],
                                           amount=amount, currency="BRL",
                                           due_date=(ctx.clock.now() + timedelta(days=7)).date(),
                                           external_key=f"task:{ctx.task.task_id}")  # fmt: skip
    return (
        f"charge of {charge['currency']} {charge['amount']} for {customer['display_name']} {status}"
    )


def write_off(ctx: TaskContext) -> str:
    customer = named_customer(ctx)
    open_charges = [c for c in ctx.store.modules.charges.find(ctx.task.tenant_id, customer_id=customer["customer_id"],
                                                              order="due_date") if c["status"] in billing.OPEN]  # fmt: skip
    if not open_charges:
        raise TaskRefused(
            "NO_OPEN_CHARGE", f"{customer['display_name']} has no open charge to write off"
        )
    charge = open_charges[0]
    ctx.once(
        "billing.writeoff",
        lambda _key: billing.write_off(
            ctx.store, Work.of(ctx.task, ctx.clock), charge["charge_id"]
        )["charge_id"],
    )
    return f"charge {charge['charge_id']} of {customer['display_name']} written off"


HANDLERS = {
    "billing.collection.request": request_collection,
    "billing.charge.create": create_charge,
    "billing.writeoff.request": write_off,
}
