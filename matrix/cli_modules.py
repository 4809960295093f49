"""``matrix customers|crm|agenda|billing``: the common module actions from the command line.

Each command works on one tenant, prints a readable result (``--json`` for the record), and
records the same events the runtime would, on a correlation of its own.
"""

from __future__ import annotations

import json
from datetime import date
from typing import IO, Any

import click

from matrix.cli.options import CONTEXT, json_option, open_existing, storage_option, tenant_option
from matrix.cli.output import emit, table
from matrix.clock import SYSTEM_CLOCK
from matrix.errors import UsageError


def _work(tenant_id: str) -> Any:
    from matrix.modules.context import Work

    return Work.new(tenant_id, SYSTEM_CLOCK)


def _show(record: dict[str, Any], as_json: bool, fields: tuple[str, ...]) -> None:
    emit(record, as_json, lambda r: "  ".join(f"{f}={r.get(f)}" for f in fields))


@click.group(context_settings=CONTEXT)
def customers() -> None:
    """Customers (module 03)."""


@customers.command("add")
@click.argument("name")
@tenant_option
@click.option("--phone", help="WhatsApp number in E.164, e.g. +5511999990000.")
@click.option("--email")
@click.option(
    "--key", "external_key", help="Your id for this customer; adding it again changes nothing."
)
@storage_option
@json_option
def customers_add(name: str, tenant_id: str, phone: str | None, email: str | None, external_key: str | None,
                  storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Add a customer (idempotent by --key)."""
    from matrix.modules import customers as service

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        record, status = service.upsert(store, _work(tenant_id), display_name=name, phone=phone, email=email,
                                        external_key=external_key)  # fmt: skip
    _show(
        {**record, "status": status},
        as_json,
        ("customer_id", "display_name", "primary_phone", "status"),
    )


@customers.command("list")
@tenant_option
@storage_option
@json_option
def customers_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's customers."""
    with open_existing(storage_url) as store:
        rows = store.modules.customers.find(tenant_id, limit=10_000)
    emit(
        rows,
        as_json,
        lambda r: table(
            r, ("customer_id", "display_name", "primary_phone", "status", "merged_into")
        ),
    )


@customers.command("merge")
@click.argument("keep_id")
@click.argument("duplicate_id")
@tenant_option
@click.option("--actor", required=True, help="Who merges (recorded in the audit).")
@click.option("--reason")
@storage_option
@json_option
def customers_merge(keep_id: str, duplicate_id: str, tenant_id: str, actor: str, reason: str | None,
                    storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Fold DUPLICATE_ID into KEEP_ID; the duplicate is archived and the merge audited."""
    from matrix.modules import customers as service

    with open_existing(storage_url) as store:
        record = service.merge(
            store, _work(tenant_id), keep_id, duplicate_id, actor=actor, reason=reason
        )
    _show(record, as_json, ("customer_id", "display_name", "primary_phone"))


@click.group(context_settings=CONTEXT)
def crm() -> None:
    """CRM (module 02): leads and their funnel, and WhatsApp webhooks."""


@crm.command("capture")
@click.argument("name")
@tenant_option
@click.option("--phone", required=True, help="WhatsApp number in E.164.")
@storage_option
@json_option
def crm_capture(
    name: str, tenant_id: str, phone: str, storage_url: str | None, as_json: bool
) -> None:
    """Capture a lead in stage new (idempotent per phone)."""
    from matrix.modules import leads

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        lead, status = leads.capture(
            store, _work(tenant_id), display_name=name, phone=phone, source_channel="manual"
        )
    _show({**lead, "status": status}, as_json, ("lead_id", "display_name", "stage", "status"))


@crm.command("move")
@click.argument("lead_id")
@tenant_option
@click.option("--to", "to_stage", required=True, help="Target stage, e.g. contacted.")
@click.option("--trigger", help="The funnel's trigger for this move, e.g. first_contact_attempt.")
@click.option("--reason", "reason_code", help="Needed to reopen a lost or disqualified lead.")
@storage_option
@json_option
def crm_move(lead_id: str, tenant_id: str, to_stage: str, trigger: str | None, reason_code: str | None,
             storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Move a lead through the funnel (the error says which trigger the move needs)."""
    from matrix.modules import leads

    with open_existing(storage_url) as store:
        try:
            lead = leads.move(store, _work(tenant_id), lead_id, to_stage=to_stage, trigger=trigger,
                              reason_code=reason_code, actor="cli")  # fmt: skip
        except leads.TransitionError as exc:
            hint = f" Use --trigger {exc.expected_trigger}." if exc.expected_trigger else ""
            raise UsageError(f"{str(exc).rstrip('.')} ({exc.code}).{hint}") from None
    _show(lead, as_json, ("lead_id", "display_name", "stage"))


@crm.command("convert")
@click.argument("lead_id")
@tenant_option
@storage_option
@json_option
def crm_convert(lead_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Turn a lead into a customer (once)."""
    from matrix.modules import leads

    with open_existing(storage_url) as store:
        customer, status = leads.convert(store, _work(tenant_id), lead_id)
    _show({**customer, "status": status}, as_json, ("customer_id", "display_name", "status"))


@crm.command("leads")
@tenant_option
@storage_option
@json_option
def crm_leads(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's leads."""
    with open_existing(storage_url) as store:
        rows = store.modules.leads.find(tenant_id, limit=10_000)
    emit(
        rows,
        as_json,
        lambda r: table(r, ("lead_id", "display_name", "phone_e164", "stage", "customer_id")),
    )


@crm.command("ingest")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@tenant_option
@click.option(
    "--signature", required=True, help="The X-Evolution-Signature of the body (HMAC-SHA256, hex)."
)
@storage_option
@json_option
def crm_ingest(
    source: IO[bytes], tenant_id: str, signature: str, storage_url: str | None, as_json: bool
) -> None:
    """File one Evolution webhook body (as received) into the inbox."""
    from matrix.contracts import Catalog
    from matrix.modules import inbox

    body = source.read()
    with open_existing(storage_url) as store:
        secret = store.runtime_config.secret(tenant_id, "crm_evolution.webhook_secret")
        result = inbox.ingest(store, SYSTEM_CLOCK, Catalog(store.settings.contracts_dir), tenant_id=tenant_id,
                              body=body, signature=signature, secret=secret)  # fmt: skip
    emit(result, as_json, lambda r: json.dumps(r, indent=2, default=str))


@click.group(context_settings=CONTEXT)
def agenda() -> None:
    """Agenda (module 04): appointments and their reminders."""


@agenda.command("list")
@tenant_option
@storage_option
@json_option
def agenda_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Appointments with their reminder status."""
    with open_existing(storage_url) as store:
        reminders = {
            r["appointment_id"]: r for r in store.modules.reminders.find(tenant_id, limit=10_000)
        }
        rows = [{**a, "reminder": reminders.get(a["appointment_id"], {}).get("status")}
                for a in store.modules.appointments.find(tenant_id, order="start_at", limit=10_000)]  # fmt: skip
    emit(
        rows,
        as_json,
        lambda r: table(r, ("appointment_id", "title", "start_at", "status", "reminder")),
    )


@click.group(context_settings=CONTEXT)
def billing() -> None:
    """Billing (module 05): charges, payments and collections."""


@billing.command("charge")
@click.argument("customer_id")
@tenant_option
@click.option("--amount", required=True)
@click.option("--currency", default="BRL", show_default=True)
@click.option("--due", "due", required=True, help="Due date, e.g. 2026-12-10.")
@click.option("--key", "external_key", help="Your invoice id; charging it again changes nothing.")
@storage_option
@json_option
def billing_charge(customer_id: str, tenant_id: str, amount: str, currency: str, due: str, external_key: str | None,
                   storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Create a charge for a customer."""
    from matrix.modules import billing as service

    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        raise UsageError(f"--due {due!r} is not a date; use 2026-12-10.") from None
    with open_existing(storage_url) as store:
        charge, status = service.create_charge(store, _work(tenant_id), customer_id=customer_id, amount=amount,
                                               currency=currency, due_date=due_date, external_key=external_key)  # fmt: skip
    _show(
        {**charge, "result": status},
        as_json,
        ("charge_id", "amount", "currency", "due_date", "status", "result"),
    )


@billing.command("pay")
@click.argument("charge_id")
@tenant_option
@click.option("--amount", required=True)
@click.option("--currency", default="BRL", show_default=True)
@storage_option
@json_option
def billing_pay(
    charge_id: str,
    tenant_id: str,
    amount: str,
    currency: str,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """Record a payment; the charge is paid once payments cover it."""
    from matrix.modules import billing as service

    with open_existing(storage_url) as store:
        payment, charge = service.record_payment(
            store, _work(tenant_id), charge_id=charge_id, amount=amount, currency=currency
        )
    _show(
        {**payment, "charge_status": charge["status"]},
        as_json,
        ("payment_id", "amount", "charge_status"),
    )


@billing.command("collect")
@click.argument("charge_id")
@tenant_option
@storage_option
@json_option
def billing_collect(charge_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Ask Persona 2 to send a collection message (delivered by `matrix worker`)."""
    from matrix.modules import billing as service

    with open_existing(storage_url) as store:
        charge = service.request_collection(store, _work(tenant_id), charge_id)
    _show(charge, as_json, ("charge_id", "status", "collection_state"))


@billing.command("list")
@tenant_option
@storage_option
@json_option
def billing_list(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's charges."""
    with open_existing(storage_url) as store:
        rows = store.modules.charges.find(tenant_id, order="due_date", limit=10_000)
    emit(
        rows,
        as_json,
        lambda r: table(
            r,
            (
                "charge_id",
                "customer_id",
                "amount",
                "currency",
                "due_date",
                "status",
                "collection_state",
            ),
        ),
    )


@click.group(context_settings=CONTEXT)
def agreements() -> None:
    """Agreements: contract templates rendered for a customer (Markdown and DOCX)."""


@agreements.command("template")
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE|-")
@tenant_option
@storage_option
@json_option
def agreements_template(
    source: IO[str], tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Save a template ({"key", "title", "fields", "clauses"}); the same key makes a new version."""
    from matrix.modules import agreements as service

    try:
        doc = json.load(source)
    except json.JSONDecodeError as exc:
        raise UsageError(f"The template is not JSON: {exc.msg} at line {exc.lineno}.") from None
    if not isinstance(doc, dict):
        raise UsageError(
            'The template must be an object with "key", "title", "fields" and "clauses".'
        )
    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        template = service.save_template(store, _work(tenant_id), key=doc.get("key"), title=doc.get("title"),
                                         fields=doc.get("fields"), clauses=doc.get("clauses"))  # fmt: skip
    _show(template, as_json, ("template_key", "version", "title"))


@agreements.command("render")
@click.argument("key")
@tenant_option
@click.option("--customer", "customer_id", required=True)
@click.option(
    "--values",
    "values_json",
    default="{}",
    help='Field values as JSON, e.g. \'{"total": "1500"}\'.',
)
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="Write the document here (.docx or .md)."
)
@storage_option
@json_option
def agreements_render(key: str, tenant_id: str, customer_id: str, values_json: str, out: str | None,
                      storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Render the latest version of a template for a customer; the document is kept."""
    import base64
    from pathlib import Path

    from matrix.modules import agreements as service

    try:
        field_values = json.loads(values_json)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--values is not JSON: {exc.msg}.") from None
    with open_existing(storage_url) as store:
        document = service.render(
            store, _work(tenant_id), key=key, customer_id=customer_id, field_values=field_values
        )
    if out:
        path = Path(out)
        if path.suffix == ".docx":
            path.write_bytes(base64.b64decode(document["docx_base64"]))
        else:
            path.write_text(document["markdown"], encoding="utf-8")
    shown = {k: v for k, v in document.items() if k != "docx_base64"}
    emit(
        shown,
        as_json,
        lambda r: r["markdown"] if not out else f"document {r['document_id']} written to {out}",
    )
