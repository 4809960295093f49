"""``matrix customers``: add, list and merge a tenant's customers."""

from __future__ import annotations

import click

from matrix.cli.options import CONTEXT, open_existing
from matrix.modules.commands import list_rows, show, tenant_command, work


@click.group(context_settings=CONTEXT)
def customers() -> None:
    """Customers (module 03)."""


@customers.command("add")
@click.argument("name")
@click.option("--phone", help="WhatsApp number in E.164, e.g. +5511999990000.")
@click.option("--email")
@click.option(
    "--key", "external_key", help="Your id for this customer; adding it again changes nothing."
)
@tenant_command
def customers_add(name: str, tenant_id: str, phone: str | None, email: str | None, external_key: str | None,
                  storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Add a customer (idempotent by --key)."""
    from matrix.modules.customers import service

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        record, status = service.upsert(store, work(tenant_id), display_name=name, phone=phone, email=email,
                                        external_key=external_key)  # fmt: skip
    show(
        {**record, "status": status},
        as_json,
        ("customer_id", "display_name", "primary_phone", "status"),
    )


@customers.command("list")
@tenant_command
def customers_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's customers."""
    list_rows(
        storage_url,
        as_json,
        tenant_id,
        "customers",
        ("customer_id", "display_name", "primary_phone", "status", "merged_into"),
    )


@customers.command("merge")
@click.argument("keep_id")
@click.argument("duplicate_id")
@click.option("--actor", required=True, help="Who merges (recorded in the audit).")
@click.option("--reason")
@tenant_command
def customers_merge(keep_id: str, duplicate_id: str, tenant_id: str, actor: str, reason: str | None,
                    storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Fold DUPLICATE_ID into KEEP_ID; the duplicate is archived and the merge audited."""
    from matrix.modules.customers import service

    with open_existing(storage_url) as store:
        record = service.merge(
            store, work(tenant_id), keep_id, duplicate_id, actor=actor, reason=reason
        )
    show(record, as_json, ("customer_id", "display_name", "primary_phone"))
