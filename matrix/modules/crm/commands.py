"""``matrix crm``: capture leads, move them through the funnel, convert them, and file webhooks."""

from __future__ import annotations

import json
from typing import IO

import click

from matrix.cli.options import CONTEXT, open_existing
from matrix.cli.output import emit
from matrix.clock import SYSTEM_CLOCK
from matrix.errors import UsageError
from matrix.modules.commands import list_rows, show, tenant_command, work


@click.group(context_settings=CONTEXT)
def crm() -> None:
    """CRM (module 02): leads and their funnel, and WhatsApp webhooks."""


@crm.command("capture")
@click.argument("name")
@click.option("--phone", required=True, help="WhatsApp number in E.164.")
@tenant_command
def crm_capture(
    name: str, tenant_id: str, phone: str, storage_url: str | None, as_json: bool
) -> None:
    """Capture a lead in stage new (idempotent per phone)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        lead, status = leads.capture(
            store, work(tenant_id), display_name=name, phone=phone, source_channel="manual"
        )
    show({**lead, "status": status}, as_json, ("lead_id", "display_name", "stage", "status"))


@crm.command("move")
@click.argument("lead_id")
@click.option("--to", "to_stage", required=True, help="Target stage, e.g. contacted.")
@click.option("--trigger", help="The funnel's trigger for this move, e.g. first_contact_attempt.")
@click.option("--reason", "reason_code", help="Needed to reopen a lost or disqualified lead.")
@tenant_command
def crm_move(lead_id: str, tenant_id: str, to_stage: str, trigger: str | None, reason_code: str | None,
             storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Move a lead through the funnel (the error says which trigger the move needs)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        try:
            lead = leads.move(store, work(tenant_id), lead_id, to_stage=to_stage, trigger=trigger,
                              reason_code=reason_code, actor="cli")  # fmt: skip
        except leads.TransitionError as exc:
            hint = f" Use --trigger {exc.expected_trigger}." if exc.expected_trigger else ""
            raise UsageError(f"{str(exc).rstrip('.')} ({exc.code}).{hint}") from None
    show(lead, as_json, ("lead_id", "display_name", "stage"))


@crm.command("convert")
@click.argument("lead_id")
@tenant_command
def crm_convert(lead_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Turn a lead into a customer (once)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        customer, status = leads.convert(store, work(tenant_id), lead_id)
    show({**customer, "status": status}, as_json, ("customer_id", "display_name", "status"))


@crm.command("leads")
@tenant_command
def crm_leads(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's leads."""
    list_rows(
        storage_url,
        as_json,
        tenant_id,
        "leads",
        ("lead_id", "display_name", "phone_e164", "stage", "customer_id"),
    )


@crm.command("ingest")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--signature",
    required=True,
    help="The body's signature: HMAC-SHA256 with the webhook secret, hex (sha256= optional).",
)
@tenant_command
def crm_ingest(
    source: IO[bytes], tenant_id: str, signature: str, storage_url: str | None, as_json: bool
) -> None:
    """File one Evolution webhook body (as received) into the inbox."""
    from matrix.contracts import Catalog
    from matrix.modules.crm import inbox

    body = source.read()
    with open_existing(storage_url) as store:
        secret = store.runtime_config.secret(tenant_id, "crm_evolution.webhook_secret")
        result = inbox.ingest(store, SYSTEM_CLOCK, Catalog(store.settings.contracts_dir), tenant_id=tenant_id,
                              body=body, signature=signature, secret=secret)  # fmt: skip
    emit(result, as_json, lambda r: json.dumps(r, indent=2, default=str))
