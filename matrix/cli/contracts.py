"""``matrix contracts``: check the JSON Schemas for commands, events and gate verdicts."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option
from matrix.cli.output import emit
from matrix.config import Settings


@click.group(context_settings=CONTEXT)
def contracts() -> None:
    """JSON Schemas for commands, events and gate verdicts."""


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


def _text(r: dict[str, Any]) -> str:
    lines = [
        f"{i['level']}: {i['file']}{' at ' + i['pointer'] if i['pointer'] else ''}: {i['message']}"
        for i in r["issues"]
    ]
    verdict = "ok" if r["ok"] else "FAILED"
    lines.append(
        f"contracts {verdict}: {r['schemas']} schemas, {r['valid_examples']} valid and"
        f" {r['invalid_examples']} invalid examples, {len(r['issues'])} issue(s)"
    )
    return "\n".join(lines)


COMMANDS = (contracts,)
