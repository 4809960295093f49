"""``matrix user``: dashboard users and what they may see."""

from __future__ import annotations

import sys
from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option, open_app, storage_option
from matrix.cli.output import emit, table
from matrix.errors import UsageError


@click.group(context_settings=CONTEXT)
def user() -> None:
    """Dashboard users: admins see every tenant, managers only theirs."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "manager"]), required=True)
@click.option(
    "--tenant", "tenants", multiple=True, help="A tenant a manager may see (repeat for more)."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of a prompt.",
)
@storage_option
@json_option
def user_add(username: str, role: str, tenants: tuple[str, ...], password_stdin: bool, storage_url: str | None,
             as_json: bool) -> None:  # fmt: skip
    """Create a user (or replace one with the same name) with a password of 8 characters or more."""
    from matrix.access import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():
        raise UsageError(
            "There is no terminal to type the password in; pipe it in with --password-stdin,"
            " e.g. `printf '%s\\n' \"$PASSWORD\" | matrix user add NAME --role manager"
            " --tenant T --password-stdin`."
        )
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_app(storage_url) as app:
        created = add_user(app.store, username, password, role=role, tenants=list(tenants))
    result = {"username": created.username, "role": created.role, "tenants": list(created.tenants)}
    emit(result, as_json, _user_text)


def _user_text(r: dict[str, Any]) -> str:
    seen = f" of {', '.join(r['tenants'])}" if r["tenants"] else " (every tenant)"
    return f"user {r['username']}: {r['role']}{seen}"


@user.command("list")
@storage_option
@json_option
def user_list(storage_url: str | None, as_json: bool) -> None:
    """Every dashboard user with their role and tenants (never a password)."""
    from matrix.access import list_users

    with open_app(storage_url) as app:
        rows = list_users(app.store)
    emit(rows, as_json, lambda r: table(r, ("username", "role", "tenants", "created_at")))


COMMANDS = (user,)
