"""``matrix secrets``: the key that seals tenant secrets in the store, and its rotation."""

from __future__ import annotations

import sys
from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option, open_app, storage_option
from matrix.cli.output import emit


@click.group(context_settings=CONTEXT)
def secrets() -> None:
    """Tenant secrets are sealed (AES-256-GCM) under MATRIX_SECRET_KEY, or an embedded store's key file."""


@secrets.command("new-key")
@json_option
def secrets_new_key(as_json: bool) -> None:
    """Print a fresh random key for MATRIX_SECRET_KEY (nothing is stored)."""
    from matrix.storage.secrets import new_key

    emit({"key": new_key()}, as_json, lambda r: str(r["key"]))


@secrets.command("status")
@storage_option
@json_option
def secrets_status(storage_url: str | None, as_json: bool) -> None:
    """Where the key comes from, its id (never the key), and how many secrets it seals."""
    with open_app(storage_url) as app:
        result = app.store.secrets.status()
    emit(result, as_json, _status_text)


def _status_text(r: dict[str, Any]) -> str:
    key = (f"key {r['key_id']} from {r['key_where']}" if r["key_id"]
           else "no key yet (MATRIX_SECRET_KEY is not set)")  # fmt: skip
    lines = [key, f"{r['sealed']} secret(s) sealed, {r['in_clear']} in clear"]
    if r["in_clear"]:
        lines.append("seal them now with `matrix secrets seal` (else on their first use)")
    if not r["key_opens_all"]:
        others = ", ".join(k for k in r["sealed_with"] if k != r["key_id"])
        lines.append(
            f"this key does not open secrets sealed with key {others}: set MATRIX_SECRET_KEY"
        )
    return "\n".join(lines)


@secrets.command("seal")
@storage_option
@json_option
def secrets_seal(storage_url: str | None, as_json: bool) -> None:
    """Seal the secrets an older matrix stored in clear (done on first use otherwise)."""
    with open_app(storage_url) as app:
        sealed = app.store.secrets.seal_clear()
    emit({"sealed": sealed}, as_json, lambda r: f"sealed {r['sealed']} secret(s) stored in clear")


@secrets.command("rotate-key")
@click.option(
    "--new-key-stdin", is_flag=True,
    help="Read the new key from standard input (default: make one and print it).",
)  # fmt: skip
@storage_option
@json_option
def secrets_rotate_key(new_key_stdin: bool, storage_url: str | None, as_json: bool) -> None:
    """Reseal every secret under a new key, all or nothing, with the current key still set.

    An embedded store whose key is its key file gets the new key there. Otherwise set
    MATRIX_SECRET_KEY to the new key before the next start.
    """
    from matrix.storage.secrets import new_key

    text = sys.stdin.readline().strip() if new_key_stdin else new_key()
    with open_app(storage_url) as app:
        result = app.store.secrets.rotate(text).as_dict()
    if result["key_file"] is None and not new_key_stdin:
        result["new_key"] = text  # made here: the only time it is shown
    emit(result, as_json, _rotated_text)


def _rotated_text(r: dict[str, Any]) -> str:
    done = f"resealed {r['resealed']} secret(s) under key {r['new_key_id']}"
    if r["key_file"]:
        return f"{done}; the new key is in {r['key_file']}"
    shown = f"\n{r['new_key']}\n" if r.get("new_key") else " "
    return (f"{done}.{shown}Set MATRIX_SECRET_KEY to the new key before the next start; until"
            " then this store's secrets do not open.")  # fmt: skip


COMMANDS = (secrets,)
