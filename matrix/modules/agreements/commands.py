"""``matrix agreements``: save contract templates and render them for a customer."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click

from matrix import values
from matrix.cli.options import CONTEXT, open_existing
from matrix.cli.output import emit
from matrix.errors import UsageError
from matrix.modules.commands import show, tenant_command, work


@click.group(context_settings=CONTEXT)
def agreements() -> None:
    """Agreements: contract templates rendered for a customer (Markdown and DOCX)."""


@agreements.command("template")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@tenant_command
def agreements_template(
    source: IO[bytes], tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Save a template ({"key", "title", "fields", "clauses"}); the same key makes a new version."""
    from matrix.modules.agreements import service

    name = str(getattr(source, "name", "the template"))
    doc = values.json_document(values.utf8(source.read(), name), name)
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
    from matrix.modules.agreements import service

    field_values = values.json_document(values_json, "--values")
    with open_existing(storage_url) as store, store.transaction():
        # One unit: when the file cannot be written, the document is not kept either.
        document = service.render(
            store, work(tenant_id), key=key, customer_id=customer_id, field_values=field_values
        )
        if out:
            _write(Path(out), document)
    shown = {k: v for k, v in document.items() if k != "docx_base64"}
    emit(
        shown,
        as_json,
        lambda r: r["markdown"] if not out else f"document {r['document_id']} written to {out}",
    )


def _write(path: Path, document: dict[str, Any]) -> None:
    """Write the rendered document to ``path`` (.docx as Word, anything else as Markdown).

    Raises:
        UsageError: the file cannot be written; the message says why.
    """
    import base64

    try:
        if path.suffix == ".docx":
            path.write_bytes(base64.b64decode(document["docx_base64"]))
        else:
            path.write_text(document["markdown"], encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"--out {str(path)!r} could not be written ({exc.strerror or exc}); nothing was"
            " stored. Give a path in a folder you can write to, on a disk with room."
        ) from None
