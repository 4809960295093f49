"""``matrix token``: API bearer tokens, each bound to one tenant or (admin) to the platform."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import CONTEXT, actor_option, json_option, open_app, storage_option
from matrix.cli.output import emit, table


@click.group(context_settings=CONTEXT)
def token() -> None:
    """API bearer tokens: the token is shown once; the store keeps only a keyed hash."""


@token.command("create")
@click.option("--tenant", "tenant_id", help="The tenant the token acts for.")
@click.option("--admin", is_flag=True, help="A platform token instead, for every tenant.")
@click.option("--name", help="What the token is for (e.g. crm-console).")
@click.option(
    "--expires-days", type=int, help="Days until it stops working (default: it does not expire)."
)
@actor_option("Who makes it, for the record (default: MATRIX_OPERATOR, else $USER).")
@storage_option
@json_option
def token_create(tenant_id: str | None, admin: bool, name: str | None, expires_days: int | None,
                 actor: str, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Make a token and print it once; store it now, it cannot be shown again."""
    from matrix.tokens import create_token

    with open_app(storage_url) as app:
        issued = create_token(app.store, tenant_id=tenant_id, name=name, expires_days=expires_days,
                              admin=admin, actor=actor)  # fmt: skip
    emit(issued.as_dict(), as_json, _created_text)


def _created_text(r: dict[str, Any]) -> str:
    bound = "the platform (admin)" if r["admin"] else f"tenant {r['tenant_id']}"
    until = f"until {r['expires_at']}" if r["expires_at"] else "with no expiry"
    return (f"{r['token']}\n\ntoken {r['token_id']} ({r['name']}) for {bound}, {until}.\n"
            "This is the only time the token is shown: keep it now.")  # fmt: skip


@token.command("list")
@click.option("--tenant", "tenant_id", help="Only this tenant's tokens.")
@storage_option
@json_option
def token_list(tenant_id: str | None, storage_url: str | None, as_json: bool) -> None:
    """Every token: id, tenant, name, prefix and last four characters, state (never the token)."""
    from matrix.tokens import list_tokens

    with open_app(storage_url) as app:
        rows = list_tokens(app.store, tenant_id)
    columns = ("token_id", "tenant_id", "name", "shown_as", "state", "created_at", "expires_at")
    emit(
        rows,
        as_json,
        lambda r: table([{**x, "tenant_id": x["tenant_id"] or "(admin)"} for x in r], columns),
    )


@token.command("revoke")
@click.argument("token_id")
@storage_option
@json_option
def token_revoke(token_id: str, storage_url: str | None, as_json: bool) -> None:
    """Revoke a token: the next request with it is refused."""
    from matrix.tokens import revoke_token

    with open_app(storage_url) as app:
        result = revoke_token(app.store, token_id)
    emit(result, as_json, lambda r: f"token {r['token_id']} ({r['shown_as']}):"
                                    f" {'already ' if r['already_revoked'] else ''}revoked at {r['revoked_at']}")  # fmt: skip


COMMANDS = (token,)
