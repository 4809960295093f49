"""``matrix contracts``: check the JSON Schemas for commands, events and gate verdicts, and print
or refresh the API's OpenAPI document (``contracts/openapi.json``)."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option
from matrix.cli.output import emit, plural
from matrix.config import Settings


@click.group(context_settings=CONTEXT)
def contracts() -> None:
    """JSON Schemas for commands, events, gate verdicts and the HTTP API."""


@contracts.command("check")
@click.option("--contracts-dir", metavar="DIR", help="Folder to check (default: contracts/).")
@json_option
def contracts_check(contracts_dir: str | None, as_json: bool) -> None:
    """Check every schema and example; exit 1 when anything is wrong."""
    from matrix.contracts import Catalog

    report = Catalog(Settings.load(contracts_dir=contracts_dir).contracts_dir).check()
    emit(report.as_dict(), as_json, _text)
    if not report.ok:
        raise SystemExit(1)


@contracts.command("openapi")
@click.option("--write", is_flag=True, help="Write it to contracts/openapi.json.")
@click.option(
    "--check", is_flag=True, help="Exit 1 when contracts/openapi.json is not the app's document."
)
@click.option(
    "--contracts-dir", metavar="DIR", help="Schemas to build it from (default: contracts/)."
)
@json_option
def contracts_openapi(write: bool, check: bool, contracts_dir: str | None, as_json: bool) -> None:
    """Print the HTTP API's OpenAPI 3.1 document, or write or check the committed copy
    (``--json``: what --write or --check found, as JSON; the document itself is JSON already)."""
    import tempfile
    from pathlib import Path

    from matrix.api import write_document
    from matrix.app import build

    settings = Settings.load(contracts_dir=contracts_dir, storage_url="duckdb:///:memory:")
    committed = (settings.contracts_dir / "openapi.json").resolve()
    shown = committed.relative_to(Path.cwd()) if committed.is_relative_to(Path.cwd()) else committed
    with build(settings) as app, tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "openapi.json"
        write_document(app, fresh)  # the one rendering, for printing, writing and checking alike
        text = fresh.read_text(encoding="utf-8")
    if not write and not check:
        click.echo(text, nl=False)
        return
    current = committed.read_text(encoding="utf-8") if committed.exists() else None
    status = "up to date" if current == text else ("written" if write else "out of date")
    if status == "written":
        committed.write_text(text, encoding="utf-8")
    emit({"file": str(shown), "status": status}, as_json, _openapi_text)
    if status == "out of date":
        raise SystemExit(1)


def _openapi_text(r: dict[str, Any]) -> str:
    if r["status"] == "out of date":
        return (f"{r['file']} is not the app's OpenAPI document: run"
                " `matrix contracts openapi --write` and commit it.")  # fmt: skip
    return f"{r['file']}: {r['status']}"


def _text(r: dict[str, Any]) -> str:
    lines = [
        f"{i['level']}: {i['file']}{' at ' + i['pointer'] if i['pointer'] else ''}: {i['message']}"
        for i in r["issues"]
    ]
    verdict = "ok" if r["ok"] else "FAILED"
    lines.append(
        f"contracts {verdict}: {r['schemas']} schemas, {r['valid_examples']} valid and"
        f" {r['invalid_examples']} invalid examples, {plural(len(r['issues']), 'issue')}"
    )
    return "\n".join(lines)


COMMANDS = (contracts,)
