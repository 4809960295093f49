"""The customers' task handler, and the customer a request names (other modules' handlers use it)."""

from __future__ import annotations

from matrix.modules import extract
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.modules.ports import Record
from matrix.modules.tasks import TaskContext, TaskRefused, text_of
from matrix.policy.rules import normalize


def named_customer(ctx: TaskContext) -> Record:
    """The tenant's customer named in the request, or a permanent failure saying what to do."""
    found = customers.find_in_text(ctx.store, ctx.task.tenant_id, text_of(ctx))
    if found is None:
        raise TaskRefused("CUSTOMER_NOT_FOUND", "no customer of this tenant is named in the request; "
                          "register the customer first")  # fmt: skip
    return found


def upsert_customer(ctx: TaskContext) -> str:
    text = text_of(ctx)
    name = extract.person(text)
    if not name:
        raise TaskRefused(
            "MISSING_NAME", "the request names no customer (e.g. 'cadastrar cliente Maria Souza')"
        )
    customer, status = customers.upsert(ctx.store, Work.of(ctx.task, ctx.clock), display_name=name,
                                        phone=extract.phone(text), external_key=f"name:{normalize(name)}")  # fmt: skip
    return f"customer {customer['display_name']} {status}"


HANDLERS = {"customer.upsert": upsert_customer}
