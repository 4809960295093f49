"""``matrix events``: append, list, count and trace the command/event log."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from matrix.cli.options import CONTEXT, json_option, open_app, storage_option, tenant_option, when
from matrix.cli.output import emit, table
from matrix.errors import NotFoundError, UsageError


@click.group(context_settings=CONTEXT)
def events() -> None:
    """The command/event log: append, list, count and trace envelopes."""


@events.command("append")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@storage_option
@json_option
def events_append(source: IO[bytes], storage_url: str | None, as_json: bool) -> None:
    """Validate and append envelopes from a JSON file (object, array, or one per line).

    Nothing is appended when any envelope is invalid; the error names its index and field.
    """
    from tqdm import tqdm

    from matrix import values
    from matrix.envelopes import read_envelopes

    name = getattr(source, "name", "input")
    text = values.utf8(source.read(), str(name))
    if not text.strip():
        raise UsageError(
            f"{name} is empty; give a JSON envelope, an array of them, or one per line."
        )
    envelopes = read_envelopes(text, str(name))
    bar = tqdm(total=len(envelopes), unit="env", disable=None, file=sys.stderr)
    with open_app(storage_url) as app, bar:
        result = app.store.events.append_many(envelopes, batch_size=10_000, progress=bar.update)
    emit(
        result.as_dict(),
        as_json,
        lambda r: f"appended {r['added']}, already stored {r['duplicates']}",
    )


def _summary(env: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": env.get("created_at") or env.get("emitted_at"),
        "kind": env["kind"],
        "name": env["name"],
        "status": env.get("status", ""),
        "source": env["source_module"],
        "target": env["target_module"],
        "correlation_id": env["correlation_id"],
    }


def _envelopes_table(columns: tuple[str, ...]) -> Any:
    return lambda found: table([_summary(e) for e in found], columns)


@events.command("list")
@tenant_option
@click.option("--name", help="Only envelopes with this name.")
@click.option("--kind", type=click.Choice(["command", "event"]), help="Only commands or events.")
@click.option("--since", help="From this date or time (inclusive), e.g. 2026-11-01.")
@click.option("--until", help="Before this date or time.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@storage_option
@json_option
def events_list(
    tenant_id: str,
    name: str | None,
    kind: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """The tenant's newest envelopes first."""
    start, end = when(since, "--since"), when(until, "--until")
    if start and end and end <= start:
        raise UsageError(f"--until {until} is not after --since {since}; swap them.")
    with open_app(storage_url) as app:
        found = app.store.events.list(
            tenant_id, name=name, kind=kind, since=start, until=end, limit=limit
        )
    emit(found, as_json, _envelopes_table(("at", "kind", "name", "status", "correlation_id")))


@events.command("count")
@tenant_option
@click.option("--name", help="Only envelopes with this name.")
@storage_option
@json_option
def events_count(tenant_id: str, name: str | None, storage_url: str | None, as_json: bool) -> None:
    """How many envelopes the tenant has."""
    with open_app(storage_url) as app:
        n = app.store.events.count(tenant_id, name=name)
    emit({"tenant_id": tenant_id, "count": n}, as_json, lambda r: str(r["count"]))


@events.command("trace")
@click.argument("correlation_id")
@tenant_option
@storage_option
@json_option
def events_trace(
    correlation_id: str, tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """One correlation id end to end: every command and event, in order."""
    with open_app(storage_url) as app:
        chain = app.store.events.trace(tenant_id, correlation_id)
    if not chain and not as_json:
        raise NotFoundError(
            f"No envelopes with correlation id {correlation_id!r} for tenant {tenant_id!r};"
            " `matrix events list --tenant ID` shows the recent ones.",
            code="correlation_not_found",
        )
    emit(chain, as_json, _envelopes_table(("at", "kind", "name", "status", "source", "target")))


COMMANDS = (events,)
