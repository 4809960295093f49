"""``matrix billing``: charges, payments and collections."""

from __future__ import annotations

from datetime import date

import click

from matrix.cli.options import CONTEXT, open_existing
from matrix.errors import UsageError
from matrix.modules.commands import list_rows, show, tenant_command, work


@click.group(context_settings=CONTEXT)
def billing() -> None:
    """Billing (module 05): charges, payments and collections."""


@billing.command("charge")
@click.argument("customer_id")
@click.option("--amount", required=True)
@click.option("--currency", default="BRL", show_default=True)
@click.option("--due", "due", required=True, help="Due date, e.g. 2026-12-10.")
@click.option("--key", "external_key", help="Your invoice id; charging it again changes nothing.")
@tenant_command
def billing_charge(customer_id: str, tenant_id: str, amount: str, currency: str, due: str, external_key: str | None,
                   storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Create a charge for a customer."""
    from matrix.modules.billing import service

    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        raise UsageError(f"--due {due!r} is not a date; use 2026-12-10.") from None
    with open_existing(storage_url) as store:
        charge, status = service.create_charge(store, work(tenant_id), customer_id=customer_id, amount=amount,
                                               currency=currency, due_date=due_date, external_key=external_key)  # fmt: skip
    show(
        {**charge, "result": status},
        as_json,
        ("charge_id", "amount", "currency", "due_date", "status", "result"),
    )


@billing.command("pay")
@click.argument("charge_id")
@click.option("--amount", required=True)
@click.option("--currency", default="BRL", show_default=True)
@tenant_command
def billing_pay(
    charge_id: str,
    tenant_id: str,
    amount: str,
    currency: str,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """Record a payment; the charge is paid once payments cover it."""
    from matrix.modules.billing import service

    with open_existing(storage_url) as store:
        payment, charge, _ = service.record_payment(
            store, work(tenant_id), charge_id=charge_id, amount=amount, currency=currency
        )
    show(
        {**payment, "charge_status": charge["status"]},
        as_json,
        ("payment_id", "amount", "charge_status"),
    )


@billing.command("collect")
@click.argument("charge_id")
@tenant_command
def billing_collect(charge_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Ask Persona 2 to send a collection message (delivered by `matrix worker`)."""
    from matrix.modules.billing import service

    with open_existing(storage_url) as store:
        charge, _ = service.request_collection(store, work(tenant_id), charge_id)
    show(charge, as_json, ("charge_id", "status", "collection_state"))


@billing.command("list")
@tenant_command
def billing_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's charges."""
    list_rows(
        storage_url,
        as_json,
        tenant_id,
        "charges",
        (
            "charge_id",
            "customer_id",
            "amount",
            "currency",
            "due_date",
            "status",
            "collection_state",
        ),
        order="due_date",
    )
