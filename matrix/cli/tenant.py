"""``matrix tenant``: tenants, their runtime config and their subscription plan."""

from __future__ import annotations

import sys
from typing import IO

import click

from matrix.cli.options import CONTEXT, actor_option, json_option, open_app, storage_option, when
from matrix.cli.output import emit, pretty, table, usd


@click.group(context_settings=CONTEXT)
def tenant() -> None:
    """Tenants and their runtime config (AI provider, prompts, execution switches)."""


@tenant.command("create")
@click.argument("tenant_id")
@click.option("--name", "display_name", help="Display name (default: the id).")
@storage_option
@json_option
def tenant_create(
    tenant_id: str, display_name: str | None, storage_url: str | None, as_json: bool
) -> None:
    """Register a tenant (creating the same id again changes nothing)."""
    with open_app(storage_url) as app:
        created = app.store.tenants.add(tenant_id, display_name)
    result = {"tenant_id": tenant_id, "status": "created" if created else "exists"}
    emit(result, as_json, lambda r: f"tenant {r['tenant_id']}: {r['status']}")


@tenant.command("list")
@storage_option
@json_option
def tenant_list(storage_url: str | None, as_json: bool) -> None:
    """Every tenant (an admin view)."""
    with open_app(storage_url) as app:
        rows = [t.as_dict() for t in app.store.tenants.list()]
    emit(rows, as_json, lambda r: table(r, ("tenant_id", "display_name", "status", "created_at")))


@tenant.command("show")
@click.argument("tenant_id")
@storage_option
@json_option
def tenant_show(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's runtime config summary (secrets shown only as configured or not)."""
    with open_app(storage_url) as app:
        result = app.concierge.config_summary(tenant_id)
    emit(result, as_json, pretty)


@tenant.command("plan")
@click.argument("tenant_id")
@click.option("--plan", "plan_name", default="standard", show_default=True, help="Plan name.")
@click.option("--fee", type=click.FloatRange(min=0), required=True, help="USD per month.")
@click.option(
    "--from", "effective", required=True, help="In force from this date, e.g. 2026-01-01."
)
@actor_option()
@storage_option
@json_option
def tenant_plan(tenant_id: str, plan_name: str, fee: float, effective: str, actor: str,
                storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Record what the tenant pays per month from a date (the revenue of the gross-margin proxy)."""
    from matrix.metrics.costs import set_plan

    start = when(effective, "--from")
    assert start is not None
    with open_app(storage_url) as app:
        row = set_plan(app.store, tenant_id, plan=plan_name, monthly_fee_usd=fee, effective_from=start,
                       actor=actor, now=app.clock.now())  # fmt: skip
    emit(row, as_json, lambda r: f"{r['tenant_id']}: plan {r['plan']} at {usd(r['monthly_fee_usd'])}/month"
                                 f" from {r['effective_from']:%Y-%m-%d}")  # fmt: skip


@tenant.command("config")
@click.argument("tenant_id")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Set one field, e.g. --set openai.model=gpt-5-mini --set execution.confirmations_enabled=false.",
)
@click.option(
    "--file",
    "config_file",
    type=click.File("rb"),
    help="A JSON file with the fields to change.",
)
@click.option(
    "--openai-key-stdin",
    is_flag=True,
    help="Read the tenant's OpenAI key from standard input (keeps it out of shell history).",
)
@storage_option
@json_option
def tenant_config(
    tenant_id: str, assignments: tuple[str, ...], config_file: IO[bytes] | None,
    openai_key_stdin: bool, storage_url: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Change a tenant's runtime config; fields not given keep their value.

    An OpenAI key set here is never shown again: summaries say only whether it is configured.
    Setting it to an empty value clears it.
    """
    from matrix import values
    from matrix.concierge.config_input import config_update

    update = config_update(
        assignments=assignments,
        document=values.utf8(config_file.read(), "--file") if config_file is not None else None,
        openai_key=sys.stdin.readline().strip() if openai_key_stdin else None,
    )
    with open_app(storage_url) as app:
        result = app.concierge.save_config(tenant_id, update)
    emit(result, as_json, pretty)


@tenant.command("apply")
@click.argument("pack_dir")
@click.option("--dry-run", is_flag=True, help="Check the pack and say what would change; store nothing.")
@storage_option
@json_option
def tenant_apply(pack_dir: str, dry_run: bool, storage_url: str | None, as_json: bool) -> None:
    """Load a tenant pack (tenant.json, personas/, policies/) into the tenant's runtime config.

    The whole pack is checked first, every problem named with its file and JSON pointer; an
    invalid pack changes nothing. The tenant is created if it is unknown.
    """
    from pathlib import Path

    from matrix.concierge.packs import apply_pack, read_pack
    from matrix.config import Settings
    from matrix.contracts import Catalog

    # The pack is checked before the store is opened: a bad pack is named even without a store.
    pack = read_pack(Path(pack_dir), Catalog(Settings.load().contracts_dir))
    with open_app(storage_url) as app:
        result = apply_pack(app.concierge.runtimes, pack, dry_run=dry_run)
    emit(result, as_json, _applied)


def _applied(result: dict[str, object]) -> str:
    changes = result["changes"]
    assert isinstance(changes, dict)
    lines = [f"tenant {result['tenant_id']}: {result['status']} (tenant {result['tenant']})"]
    lines += [f"  {kind}: {', '.join(fields)}" for kind, fields in sorted(changes.items())] or [
        "  nothing changed"
    ]
    rules = result["rules"]
    assert isinstance(rules, list)
    lines += [f"  rule {r['key']}={r['value']!r}: {r['status']} ({r['file']})" for r in rules]
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    lines += [f"  {w}" for w in warnings]
    return "\n".join(lines)


COMMANDS = (tenant,)
