"""``matrix init`` and ``matrix migrate``: create the store and bring its schema up to date."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import json_option, storage_option
from matrix.cli.output import emit
from matrix.config import Settings


@click.command()
@storage_option
@json_option
def init(storage_url: str | None, as_json: bool) -> None:
    """Create the store if needed and bring its schema up to date."""
    emit(_migrate(storage_url, must_exist=False), as_json, _migration_text)


@click.command()
@storage_option
@json_option
def migrate(storage_url: str | None, as_json: bool) -> None:
    """Apply pending migrations to an existing store (safe to run twice)."""
    emit(_migrate(storage_url, must_exist=True), as_json, _migration_text)


def _migrate(storage_url: str | None, *, must_exist: bool) -> dict[str, Any]:
    # The one place that opens a store below the current schema: it is here to raise it.
    from matrix.storage import open_store

    settings = Settings.load(storage_url=storage_url)
    with open_store(settings=settings, must_exist=must_exist, check_schema=False) as store:
        created = store.created_folder
        made = {"created_folder": str(created)} if created else {}
        return {"store": store.url, **made, **store.migrate().as_dict()}


def _migration_text(r: dict[str, Any]) -> str:
    if "created_folder" in r:
        folder = r["created_folder"]
        where = "" if folder.startswith("/") else (
            " (relative to the current folder: duckdb:/// with three slashes is a relative path,"
            " four make an absolute one)"
        )  # fmt: skip
        return f"created folder {folder}{where}\n" + _migration_text(
            {k: v for k, v in r.items() if k != "created_folder"}
        )
    if not r["applied"]:
        return f"store {r['store']} is up to date at schema version {r['after']}"
    return (
        f"store {r['store']}: applied {', '.join(r['applied'])}; now at schema version {r['after']}"
    )


COMMANDS = (init, migrate)
