"""``matrix agreements``: save contract templates and render them for a customer."""

from __future__ import annotations

import json
from typing import IO

import click

from matrix.cli.options import CONTEXT, open_existing
from matrix.cli.output import emit
from matrix.errors import UsageError
from matrix.modules.commands import show, tenant_command, work


@click.group(context_settings=CONTEXT)
def agreements() -> None:
    """Agreements: contract templates rendered for a customer (Markdown and DOCX)."""


@agreements.command("template")
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE|-")
@tenant_command
def agreements_template(
    source: IO[str], tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Save a template ({"key", "title", "fields", "clauses"}); the same key makes a new version."""
    from matrix.modules.agreements import service

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
        template = service.save_template(store, work(tenant_id), key=doc.get("key"), title=doc.get("title"),
                                         fields=doc.get("fields"), clauses=doc.get("clauses"))  # fmt: skip
    show(template, as_json, ("template_key", "version", "title"))


@agreements.command("render")
@click.argument("key")
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
@tenant_command
def agreements_render(key: str, tenant_id: str, customer_id: str, values_json: str, out: str | None,
                      storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Render the latest version of a template for a customer; the document is kept."""
    import base64
    from pathlib import Path

    from matrix.modules.agreements import service

    try:
        field_values = json.loads(values_json)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--values is not JSON: {exc.msg}.") from None
    with open_existing(storage_url) as store:
        document = service.render(
            store, work(tenant_id), key=key, customer_id=customer_id, field_values=field_values
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
